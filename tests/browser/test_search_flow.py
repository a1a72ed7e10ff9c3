"""Search in real Chromium: search from the header, narrow by a facet, open a result; start a
thread and see a similar one suggested; axe-core on the results page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.extensions import db
from cop.library import services as library
from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser

THREAD_TITLE = "Flaky integration tests on the build farm"


@pytest.fixture(scope="module")
def searchable(live_server):
    """A thread and a document about flaky tests in the open community; a secret in the private one."""
    with live_server.app.app_context():
        open_c = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        private = db.session.scalar(select(Community).filter_by(slug=live_server.private_slug))
        casey = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        services.create_thread(
            casey,
            open_c,
            title=THREAD_TITLE,
            kind="problem",
            body="Our flaky tests fail one run in ten.",
            tags="testing, ci",
        )
        library.add_document(
            casey, open_c, title="Quarantining flaky tests", body="Move flaky tests aside.", tags="testing"
        )
        services.create_thread(casey, private, title="Flaky zqsecretbrowser reorganisation", body="flaky")
        db.session.remove()


def test_search_filter_open_and_similar_threads(page_as, live_server, searchable):
    server = live_server
    morgan = page_as(server.member)
    morgan.goto(f"{server.url}/c/{server.open_slug}")
    morgan.get_by_role("searchbox", name="Search", exact=True).fill("flaky tests")
    morgan.get_by_role("searchbox", name="Search", exact=True).press("Enter")
    expect(morgan.get_by_role("heading", name="2 results")).to_be_visible()
    expect(morgan.locator("body")).not_to_contain_text("zqsecretbrowser")
    assert_no_serious_violations(morgan)

    # Narrow to resources with the Type facet, then back out and open the thread.
    morgan.get_by_role("complementary", name="Refine results").get_by_role("link", name="Resource").click()
    expect(morgan.get_by_role("heading", name="1 result")).to_be_visible()
    expect(morgan.get_by_role("link", name="Quarantining flaky tests")).to_be_visible()
    morgan.get_by_role("link", name="Remove filter Resource").click()
    expect(morgan.get_by_role("heading", name="2 results")).to_be_visible()
    morgan.get_by_role("link", name=THREAD_TITLE).click()
    expect(morgan.get_by_role("heading", name=THREAD_TITLE, level=1)).to_be_visible()

    # Starting a new thread on the same subject: the form points at the existing one.
    morgan.goto(f"{server.url}/c/{server.open_slug}/threads/new")
    morgan.get_by_label("Title").fill("Why are the integration tests flaky?")  # suggestions come as you type
    suggestions = morgan.get_by_role("region", name="Similar threads already exist")
    expect(suggestions.get_by_role("link", name=THREAD_TITLE)).to_be_visible()
    expect(morgan.get_by_label("Title")).to_have_value("Why are the integration tests flaky?")
    assert_no_serious_violations(morgan)
