"""Meetings in real Chromium: a coordinator schedules one (after fixing the form's errors), a member
answers and finds it on the home page; axe on the form (with errors), the meeting and the list."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser


def _next_january_15() -> date:
    # Winter in Berlin (CET, UTC+1) whatever the current date.
    return date(date.today().year + 1, 1, 15)


def test_schedule_a_meeting_then_answer_it(page_as, live_server):
    server = live_server
    day = _next_january_15()
    page = page_as(server.coordinator)
    page.goto(f"{server.url}/c/{server.open_slug}")
    page.get_by_role("link", name="Schedule a meeting").click()
    expect(page.get_by_role("heading", name="Schedule a meeting", level=1)).to_be_visible()

    page.get_by_label("Title").fill("Refactoring clinic")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Starts at").fill("10:00")
    page.get_by_label("Ends at").fill("09:00")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Meeting link").fill("javascript:alert(1)")
    page.get_by_label("Agenda").fill("1. Bring **legacy code**\n2. Pair on it")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct")
    expect(page.get_by_text("The meeting must end after it starts")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value("Refactoring clinic")
    assert_no_serious_violations(page)

    page.get_by_label("Ends at").fill("11:30")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_text("must be a web address starting with http:// or https://")).to_be_visible()
    page.get_by_label("Meeting link").fill("https://meet.example.com/refactoring")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page.get_by_role("status")).to_contain_text("“Refactoring clinic” is scheduled.")
    expect(page.get_by_role("heading", name="Refactoring clinic", level=1)).to_be_visible()
    expect(page.locator(".meeting-facts")).to_contain_text("10:00–11:30 CET (Europe/Berlin)")
    expect(page.locator(".meeting-facts")).to_contain_text(f"{day.isoformat()} 09:00–10:30 UTC")
    expect(page.locator(".prose strong")).to_have_text("legacy code")
    meeting_url = page.url

    member = page_as(server.member)
    member.goto(meeting_url)
    member.get_by_role("button", name="Going", exact=True).click()
    expect(member.get_by_role("status")).to_contain_text("Your answer is saved: going.")
    expect(member.locator(".rsvp-counts")).to_contain_text("Going: 1")
    expect(member.get_by_role("list", name="Going (1)")).to_contain_text("Morgan Member")
    assert_no_serious_violations(member)

    with member.expect_download() as info:
        member.get_by_role("link", name="Add to calendar (.ics)").click()
    ics = Path(info.value.path()).read_bytes()
    assert f"DTSTART:{day:%Y%m%d}T090000Z".encode() in ics and b"SUMMARY:Refactoring clinic" in ics

    member.goto(f"{server.url}/")
    expect(member.locator(".meeting-list")).to_contain_text("You are going")
    member.get_by_role("link", name="Refactoring clinic").click()
    expect(member.get_by_role("heading", name="Refactoring clinic", level=1)).to_be_visible()
    member.get_by_role("link", name=f"← Meetings of {server.open_name}").click()
    expect(member.get_by_role("heading", name="Upcoming meetings")).to_be_visible()
    expect(member.locator(".meeting-list")).to_contain_text("Refactoring clinic")
    assert_no_serious_violations(member)
