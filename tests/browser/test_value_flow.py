"""Value stories in real Chromium: a member records a realized-value story, the coordinator confirms it,
the sponsor sees the sum in the report and the portfolio; axe checks the story form and list."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.communities.models import Community
from cop.extensions import db
from tests.browser.conftest import Person
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.builders import make_user

pytestmark = pytest.mark.browser

SPONSOR = Person("vera.value@example.com", "Vera Value")


@pytest.fixture(scope="module")
def sponsor(live_server):
    with live_server.app.app_context():
        vera = make_user(SPONSOR.email, SPONSOR.name, department="Executive")
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        community.sponsors.append(vera)
        db.session.commit()
        db.session.remove()
    return SPONSOR


def test_a_realized_value_story_is_recorded_confirmed_and_summed(page_as, live_server, sponsor):
    page = page_as(live_server.member)
    page.goto(f"{live_server.url}/c/{live_server.open_slug}")
    page.get_by_role("link", name="Value stories").click()
    page.get_by_role("link", name="Record a value story").click()
    expect(page.get_by_role("heading", name="Record a value story", level=1)).to_be_visible()
    page.get_by_role("radio", name=re.compile("Realized value")).check()
    page.get_by_label("The story").fill("The shared runbook halved our release checks.")
    page.get_by_label("Measured result (realized value only)").fill("37.5")
    page.get_by_label("Unit", exact=True).select_option("hours_saved")
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Record the story").click()
    expect(page.get_by_text("your story is recorded")).to_be_visible()
    expect(page.get_by_text("Not confirmed yet")).to_be_visible()

    page = page_as(live_server.coordinator)
    page.goto(f"{live_server.url}/c/{live_server.open_slug}/stories")
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Confirm this story").click()
    expect(page.get_by_text("Story confirmed")).to_be_visible()

    page = page_as(sponsor)
    page.goto(f"{live_server.url}/c/{live_server.open_slug}/report")
    section = page.locator("#value")
    expect(section.get_by_role("heading", name="Value created")).to_be_visible()
    expect(section.locator("#value-realized")).to_contain_text("37.5")
    expect(section.locator("#value-realized")).to_contain_text("hours saved")
    assert_no_serious_violations(page)
    page.goto(f"{live_server.url}/oversight")
    row = page.get_by_role("row", name=re.compile(live_server.open_name))
    expect(row.locator(".value-cell")).to_contain_text("37.5 hours saved")
