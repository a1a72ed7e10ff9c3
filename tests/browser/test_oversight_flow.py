"""Oversight in real Chromium: a sponsor opens the portfolio, a community's report, switches the
period and downloads the CSV; axe checks the portfolio and the report (with its SVG charts)."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services as discussions
from cop.extensions import db
from cop.oversight import services as oversight
from tests.browser.conftest import Person
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.builders import make_user

pytestmark = pytest.mark.browser

SPONSOR = Person("stella.sponsor@example.com", "Stella Sponsor")


@pytest.fixture(scope="module")
def sponsored(live_server):
    """Stella sponsors the open community, which has a question, its accepted answer and an objective."""
    with live_server.app.app_context():
        stella = make_user(SPONSOR.email, SPONSOR.name, department="Executive")
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        community.sponsors.append(stella)
        db.session.commit()
        member = db.session.scalar(select(User).filter_by(email=live_server.member.email))
        coordinator = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        thread = discussions.create_thread(
            member,
            community,
            title="How do we pin dependencies?",
            body="pip?",
            kind="question",
            priority=2,
            tags="python",
        )
        answer = discussions.reply(coordinator, thread, thread.opening_post, "Use a lock file.")
        discussions.set_accepted(member, thread, answer)
        oversight.create_objective(
            stella,
            community,
            title="Questions get answered",
            business_goal="Less rework",
            metric="answered_share",
            baseline=40,
            target=80,
            due_on="2099-12-31",
        )
        db.session.remove()
    return SPONSOR


def test_a_sponsor_opens_the_portfolio_and_a_report_switches_the_period_and_exports(page_as, live_server, sponsored):
    page = page_as(sponsored)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Portfolio").click()
    expect(page.get_by_role("heading", name="Your portfolio", level=1)).to_be_visible()
    row = page.get_by_role("row", name=re.compile(live_server.open_name))
    expect(row.get_by_role("cell").nth(5)).to_contain_text("100.0 %")  # questions answered
    expect(row.get_by_role("cell").nth(6)).to_contain_text("1 of 1")  # objectives on track
    assert_no_serious_violations(page)

    row.get_by_role("link", name=live_server.open_name).click()
    expect(page.get_by_role("heading", name=f"Report: {live_server.open_name}", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Posts per week")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Questions get answered"))).to_contain_text("On track")
    assert_no_serious_violations(page)

    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_role("button", name="Show report").click()
    expect(page).to_have_url(re.compile(r"/report\?period=7"))
    expect(page.get_by_text(re.compile(r"\(7 days\), compared with the previous period"))).to_be_visible()
    posts_on_page = page.locator("#figure-posts .figure-value").inner_text()

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert re.fullmatch(rf"{live_server.open_slug}-report-\d{{8}}-\d{{8}}\.csv", download.suggested_filename)
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["Community report", live_server.open_name]
    posts = next(r for r in rows if r[:2] == ["Volume", "Posts"])
    assert posts[3] == posts_on_page == "2"
