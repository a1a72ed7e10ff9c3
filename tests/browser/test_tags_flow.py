"""Tags in real Chromium: a tag chip leads to the tag page, the tag and admin pages pass axe,
and the tag inputs' autocomplete fills its datalist as the user types (progressive enhancement)."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.extensions import db
from tests.browser.conftest import Person
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.builders import make_user

pytestmark = pytest.mark.browser

ADA = Person("ada.admin@example.com", "Ada Admin")
TITLE = "Which Python test runner do you use?"


@pytest.fixture(scope="module")
def tagged(live_server):
    """An administrator, and a thread tagged python-testing in the open community."""
    with live_server.app.app_context():
        make_user(ADA.email, ADA.name, admin=True)
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        coordinator = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        services.create_thread(
            coordinator, community, title=TITLE, body="pytest or unittest?", tags="python-testing, tooling"
        )
        db.session.remove()
    return ADA


def test_tag_chip_opens_the_tag_page(page_as, live_server, tagged):
    page = page_as(live_server.member)
    page.goto(f"{live_server.url}/c/{live_server.open_slug}/threads")
    page.get_by_role("list", name="Tags").first.get_by_role("link", name="python-testing").click()
    expect(page).to_have_url(re.compile(r"/tags/python-testing$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("python-testing")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Watch #python-testing").click()
    expect(page.get_by_role("button", name="Stop watching #python-testing")).to_be_visible()
    assert_no_serious_violations(page)


def test_admin_tags_page_is_accessible(page_as, live_server, tagged):
    page = page_as(tagged)
    page.goto(f"{live_server.url}/admin/tags")
    expect(page.get_by_role("heading", name="Tags", level=1)).to_be_visible()
    expect(page.get_by_role("rowheader", name="python-testing")).to_be_visible()
    assert_no_serious_violations(page)
    # A failed rename re-shows the page with the error next to the field.
    page.get_by_label("New name for tooling").fill("%%%")
    page.get_by_role("button", name="Rename tooling").click()
    expect(page.get_by_text("Give the tag a name with letters or digits.")).to_be_visible()
    assert_no_serious_violations(page)


def test_autocomplete_fills_the_datalist(page_as, live_server, tagged):
    page = page_as(live_server.member)
    page.goto(f"{live_server.url}/c/{live_server.open_slug}/threads/new")
    field = page.get_by_label("Tags (comma-separated)")
    field.press_sequentially("Flask, pyth", delay=30)
    page.wait_for_function(
        "() => { const l = document.querySelector('input[data-tag-input]').list; return l && l.options.length > 0; }"
    )
    values = page.evaluate(
        "() => Array.from(document.querySelector('input[data-tag-input]').list.options, o => o.value)"
    )
    assert values == ["Flask, python-testing"]
    assert_no_serious_violations(page)
