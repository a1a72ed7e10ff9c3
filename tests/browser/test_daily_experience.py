"""The daily feel in real Chromium: reactions (count, who, never twice), unread markers and the jump to
the first unread post, times in the viewer's zone, and the phone layout. axe-core checks the pages."""

from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.discussions.models import Thread
from cop.extensions import db
from tests.browser.conftest import Person, log_in
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.builders import make_user

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
    expect(
        morgan.locator(f"#reactions-{answer_id}").get_by_role("button", name="Thumbs up", exact=True)
    ).to_have_attribute("aria-pressed", "false")


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
    expect(morgan.get_by_role("link", name="Unread", exact=True)).to_have_attribute("aria-current", "page")
    assert_no_serious_violations(morgan)


def test_times_in_the_viewers_zone_across_a_daylight_saving_change(page_as, live_server, browser):
    """Riley has chosen no zone: the browser's (New York) is taken on the first visit. Olive reads in
    Berlin: a post from before the clocks went forward reads CET, one from after reads CEST."""
    with live_server.app.app_context():
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        casey = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        olive = db.session.scalar(select(User).filter_by(email=live_server.outsider.email))
        olive.time_zone = "Europe/Berlin"
        thread = services.create_thread(casey, community, title="Spring forward", body="Before the change")
        after = services.reply(casey, thread, thread.opening_post, "After the change")
        thread.opening_post.created_at = datetime(2026, 3, 28, 12, 0)  # 13:00 CET
        after.created_at = datetime(2026, 3, 30, 12, 0)  # 14:00 CEST
        db.session.commit()
        ids = thread.id, thread.opening_post_id, after.id
        db.session.remove()

    olive_page = page_as(live_server.outsider)
    olive_page.goto(f"{live_server.url}/t/{ids[0]}")
    before_time = olive_page.locator(f"#post-{ids[1]} time")
    expect(before_time).to_have_text("2026-03-28 13:00 CET")
    expect(before_time).to_have_attribute("datetime", "2026-03-28T12:00:00Z")
    expect(before_time).to_have_attribute("title", "2026-03-28 13:00 CET (Europe/Berlin)")
    expect(olive_page.locator(f"#post-{ids[2]} time").first).to_have_text("2026-03-30 14:00 CEST")
    assert_no_serious_violations(olive_page)

    context = browser.new_context(timezone_id="America/New_York")
    try:
        riley = context.new_page()
        log_in(riley, live_server, live_server.requester)
        riley.wait_for_load_state("networkidle")
        with live_server.app.app_context():
            stored = db.session.scalar(select(User.time_zone).filter_by(email=live_server.requester.email))
            db.session.remove()
        assert stored == "America/New_York"
        riley.goto(f"{live_server.url}/account/profile")
        expect(riley.get_by_label("Time zone")).to_have_value("America/New_York")
    finally:
        context.close()


NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_phone_layout_has_a_menu_and_never_scrolls_sideways(page_as, live_server, answered):
    casey = page_as(live_server.coordinator)
    casey.set_viewport_size({"width": 390, "height": 844})
    casey.goto(f"{live_server.url}/")
    menu = casey.locator("details.menu-narrow")
    expect(menu.get_by_role("link", name="Communities")).to_be_hidden()
    expect(casey.locator(".menu-wide").get_by_role("link", name="Communities")).to_be_hidden()
    menu.get_by_text("Menu").click()
    expect(menu.get_by_role("link", name="Communities")).to_be_visible()
    assert_no_serious_violations(casey)
    for path in (
        "/",
        f"/c/{live_server.open_slug}",
        f"/t/{answered[0]}",
        "/search?q=linter",
        f"/c/{live_server.open_slug}/report",
    ):
        casey.goto(live_server.url + path)
        assert casey.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at 390 px"
    assert_no_serious_violations(casey)  # the report's wide tables scroll inside themselves


def test_header_fits_one_row_at_1280_for_an_administrator_who_sponsors(page_as, live_server):
    with live_server.app.app_context():
        admin = make_user("alexandra.admin@example.com", "Alexandra Administrator-Sponsorship", admin=True)
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        community.sponsors.append(admin)
        db.session.commit()
        db.session.remove()
    page = page_as(Person("alexandra.admin@example.com", "Alexandra Administrator-Sponsorship"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    header = page.locator(".site-header .menu-wide")
    expect(header.get_by_role("link", name="Portfolio", exact=True)).to_be_visible()
    expect(header.get_by_role("link", name="Admin", exact=True)).to_be_visible()
    tops = page.evaluate("""() => [...document.querySelectorAll(
        '.header-inner > .brand, .menu-wide > nav, .menu-wide > form, .menu-wide > .account')]
        .map(e => e.getBoundingClientRect()).map(r => [r.top, r.bottom, r.right])""")
    assert len(tops) == 4
    assert max(t[0] for t in tops) < min(t[1] for t in tops), f"header items on more than one row: {tops}"
    assert max(t[2] for t in tops) <= 1280 and page.evaluate(NO_SIDEWAYS_SCROLL)
