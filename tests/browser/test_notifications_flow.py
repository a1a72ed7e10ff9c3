"""A mention in real Chromium: Morgan mentions Casey in a reply; Casey logs in, sees the unread
count in the header, opens the notification and lands on the post. axe-core checks the
notifications page and the settings page."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.extensions import db
from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser

TITLE = "Who reviews the release notes?"
REPLY = "I can draft them; @casey_coordinator could you review before Friday?"


@pytest.fixture(scope="module")
def thread_id(live_server):
    with live_server.app.app_context():
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        morgan = db.session.scalar(select(User).filter_by(email=live_server.member.email))
        thread = services.create_thread(morgan, community, title=TITLE, body="We ship on Monday.")
        found = thread.id
        db.session.remove()
    return found


def test_a_mentioned_colleague_sees_the_count_opens_the_notification_and_lands_on_the_post(
    page_as, live_server, thread_id
):
    server = live_server
    morgan = page_as(server.member)
    morgan.goto(f"{server.url}/t/{thread_id}")
    morgan.get_by_label("Your reply").fill(REPLY)
    morgan.get_by_role("button", name="Post reply").click()
    expect(morgan).to_have_url(re.compile(r"#post-\d+$"))
    post_id = re.search(r"#post-(\d+)$", morgan.url).group(1)

    casey = page_as(server.coordinator)
    casey.goto(f"{server.url}/")
    link = casey.get_by_role("link", name=re.compile(r"^Notifications"))
    expect(link).to_have_accessible_name("Notifications 1 unread")
    link.click()
    expect(casey.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    assert_no_serious_violations(casey)
    notification = casey.get_by_role("button", name=f"Unread: Morgan Member mentioned you in “{TITLE}”")
    expect(notification).to_be_visible()
    notification.focus()
    casey.keyboard.press("Enter")  # keyboard only: the notification is a button in a form

    expect(casey).to_have_url(re.compile(rf"/t/{thread_id}(\?page=1)?#post-{post_id}$"))
    post = casey.locator(f"#post-{post_id}")
    expect(post).to_contain_text("could you review before Friday?")
    expect(casey.get_by_role("link", name=re.compile(r"^Notifications"))).to_have_accessible_name("Notifications")

    casey.get_by_role("link", name="Notifications").click()
    expect(casey.get_by_role("button", name=f"Morgan Member mentioned you in “{TITLE}”")).to_be_visible()
    casey.get_by_role("link", name="Notification settings").click()
    expect(casey.get_by_label("Mentions of you")).to_have_value("immediately")
    assert_no_serious_violations(casey)
