"""The daily feel in real Chromium: reactions (count, who, never twice), unread markers and the jump to
the first unread post, times in the viewer's zone, and the phone layout. axe-core checks the pages."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.discussions.models import Thread
from cop.extensions import db
from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def answered(live_server):
    """A thread in the open community by Casey (coordinator) with Morgan's answer: ids of thread and answer."""
    with live_server.app.app_context():
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        casey = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        morgan = db.session.scalar(select(User).filter_by(email=live_server.member.email))
        thread = services.create_thread(casey, community, title="Which linter do you use?", body="Asking for a team.")
        answer = services.reply(morgan, thread, thread.opening_post, "Ruff, with the default rules.")
        ids = thread.id, answer.id
        db.session.remove()
    return ids


def test_reactions_show_count_and_who_and_count_once(page_as, live_server, answered):
    thread_id, answer_id = answered
    casey = page_as(live_server.coordinator)
    casey.goto(f"{live_server.url}/t/{thread_id}")
    bar = casey.locator(f"#reactions-{answer_id}")
    helpful = bar.get_by_role("button", name="Helpful")
    expect(helpful).to_have_attribute("aria-pressed", "false")
    helpful.click()  # with JavaScript: the bar is swapped in place, focus stays on the button
    bar = casey.locator(f"#reactions-{answer_id}")
    expect(bar.get_by_role("button", name="Helpful 1")).to_have_attribute("aria-pressed", "true")
    expect(bar.get_by_role("button", name="Helpful 1")).to_be_focused()
    bar.get_by_text("Who reacted").click()
    expect(bar.get_by_role("listitem")).to_contain_text("Helpful: Casey Coordinator")
    casey.reload()  # stored, and still once
    expect(casey.locator(f"#reactions-{answer_id}").get_by_role("button", name="Helpful 1")).to_be_visible()
    assert_no_serious_violations(casey)

    # Morgan cannot mark her own answer helpful: no button, just the count; her thumbs-up counts once.
    morgan = page_as(live_server.member)
    morgan.goto(f"{live_server.url}/t/{thread_id}")
    own = morgan.locator(f"#reactions-{answer_id}")
    expect(own.get_by_role("button", name="Helpful")).to_have_count(0)
    expect(own.locator(".reaction-static")).to_contain_text("Helpful 1")
    own.get_by_role("button", name="Thumbs up").click()
    expect(morgan.locator(f"#reactions-{answer_id}").get_by_role("button", name="Thumbs up 1")).to_be_visible()
    morgan.locator(f"#reactions-{answer_id}").get_by_role("button", name="Thumbs up 1").click()
    expect(morgan.locator(f"#reactions-{answer_id}").get_by_role("button", name="Thumbs up", exact=True)) \
        .to_have_attribute("aria-pressed", "false")


def test_unread_marker_and_jump_to_the_first_unread_post(page_as, live_server, answered):
    thread_id, answer_id = answered
    morgan = page_as(live_server.member)
    morgan.goto(f"{live_server.url}/t/{thread_id}")  # read as it is
    with live_server.app.app_context():
        thread = db.session.get(Thread, thread_id)
        casey = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        for i in range(12):  # enough to push the first new one below the fold
            last = services.reply(casey, thread, thread.opening_post, f"Follow-up {i}\n\n" + "More detail. " * 40)
            if i == 0:
                first_new = last.id
        db.session.remove()

    morgan.goto(f"{live_server.url}/c/{live_server.open_slug}/threads")
    row = morgan.locator(".thread-row", has_text="Which linter do you use?")
    expect(row.locator(".badge-unread")).to_have_text("12 unread posts")
    assert_no_serious_violations(morgan)
    row.get_by_role("link", name="Which linter do you use?").click()
    expect(morgan).to_have_url(f"{live_server.url}/t/{thread_id}?page=1#post-{first_new}")
    expect(morgan.locator(f"#post-{first_new} > article")).to_be_in_viewport()
    morgan.goto(f"{live_server.url}/unread")
    expect(morgan.get_by_text("You are all caught up.")).to_be_visible()
