"""The membership journey in real Chromium: register, join an open community, ask to join a
restricted one, and the coordinator approves the request."""

import email
import email.policy
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, log_in, log_out

pytestmark = pytest.mark.browser

NEWCOMER = Person("nova.newcomer@example.com", "Nova Newcomer", "a-long-enough-password")
GUIDELINES = "I have read and accept the guidelines"


def _confirmation_link(server, address: str, seconds: float = 30) -> str:
    """The link in the confirmation mail (written to the instance folder just after the response)."""
    deadline = time.monotonic() + seconds
    while True:
        for path in (Path(server.app.instance_path) / "mail").glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in message["To"]:
                text = message.get_body(("plain",)).get_content()
                return re.search(r"(http://\S+/register/confirm/\S+)", text).group(1)
        assert time.monotonic() < deadline, f"no confirmation mail to {address}"
        time.sleep(0.1)


def test_newcomer_joins_open_community_and_is_approved_for_restricted_one(page, live_server):
    server = live_server

    # Register through the form, then the e-mailed link; the new account lands on the directory, signed in.
    page.goto(f"{server.url}/register")
    page.get_by_label("Work e-mail").fill(NEWCOMER.email)
    page.get_by_label("Display name").fill(NEWCOMER.name)
    page.get_by_label("Password").fill(NEWCOMER.password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("Almost there")
    page.goto(_confirmation_link(server, NEWCOMER.email))
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome, {NEWCOMER.name}!")
    expect(page.get_by_role("heading", name="Communities", level=1)).to_be_visible()

    log_out(page)
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")
    log_in(page, server, NEWCOMER)

    # Directory -> the open community -> Join.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Communities").click()
    page.get_by_role("link", name=server.open_name).click()
    expect(page.get_by_role("heading", name=server.open_name, level=1)).to_be_visible()
    page.get_by_role("link", name="Join this community").click()
    expect(page.get_by_role("heading", name=f"Join {server.open_name}")).to_be_visible()
    expect(page.get_by_text("Share working code when you ask for help")).to_be_visible()

    # Without accepting the guidelines: an error next to the checkbox, and no membership.
    page.get_by_role("button", name="Join", exact=True).click()
    checkbox = page.get_by_label(GUIDELINES)
    expect(page.get_by_role("alert")).to_contain_text("Please correct the field marked below.")
    expect(page.get_by_text("Please read and accept the guidelines to join.")).to_be_visible()
    expect(checkbox).to_have_accessible_description("Please read and accept the guidelines to join.")
    expect(checkbox).not_to_be_checked()
    assert server.membership_status(NEWCOMER.email, server.open_slug) is None

    # Accepting them joins.
    checkbox.check()
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to {server.open_name}!")
    expect(page.get_by_role("link", name="Leave")).to_be_visible()
    expect(page.get_by_role("link", name="Join this community")).to_have_count(0)
    assert server.membership_status(NEWCOMER.email, server.open_slug) == "active"

    # The restricted community: a request with a message.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Communities").click()
    page.get_by_role("link", name=server.restricted_name).click()
    expect(page.get_by_text("Members and discussions are visible to members only.")).to_be_visible()
    page.get_by_role("link", name="Request to join").click()
    page.get_by_label(GUIDELINES).check()
    page.get_by_label("Why would you like to join? (optional)").fill("I run threat models for the payments team.")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("status")).to_contain_text("Your request has been sent to the coordinators.")
    expect(page.get_by_text("Your request to join is waiting for a coordinator.")).to_be_visible()
    assert server.membership_status(NEWCOMER.email, server.restricted_slug) == "pending"

    # The coordinator approves it from the members page.
    log_out(page)
    log_in(page, server, server.coordinator)
    page.goto(f"{server.url}/c/{server.restricted_slug}")
    page.get_by_role("link", name="Manage members").click()
    expect(page).to_have_url(re.compile(rf"/c/{server.restricted_slug}/members$"))
    requests = page.get_by_role("region", name=re.compile(r"^Join requests"))
    request = requests.get_by_role("listitem").filter(has_text=NEWCOMER.name)
    expect(request).to_contain_text("I run threat models for the payments team.")
    request.get_by_role("button", name=f"Approve {NEWCOMER.name}").click()

    expect(page.get_by_role("status")).to_contain_text(f"{NEWCOMER.name}'s request approved.")
    expect(requests.get_by_text(NEWCOMER.name)).to_have_count(0)
    row = page.get_by_role("table").get_by_role("row").filter(has_text=NEWCOMER.name)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).to_have_text("Member")
    assert server.membership_status(NEWCOMER.email, server.restricted_slug) == "active"
