"""Writing in real Chromium: Write/Preview with and without JavaScript, drafts that survive leaving the
page and signing in elsewhere, inline Reply and Quote of a selection, @mention autocomplete by keyboard
only, and the similar-threads check with a 20 KB draft. axe-core checks the pages along the way."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.extensions import db
from tests.browser.conftest import log_in
from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser

TITLE = "Blue green deploys without downtime"
OPENING = "First sentence here. Second sentence there."


@pytest.fixture(scope="module")
def thread_url(live_server):
    """A thread by the coordinator in the open community; its URL."""
    with live_server.app.app_context():
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        casey = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        thread = services.create_thread(casey, community, title=TITLE, body=OPENING, kind="question", tags="")
        url = f"{live_server.url}/t/{thread.id}"
        db.session.remove()
    return url


def test_preview_with_and_without_javascript(page_as, live_server, new_context):
    page = page_as(live_server.member)
    page.goto(f"{live_server.url}/c/{live_server.open_slug}/threads/new")
    page.get_by_label("Your message").fill("Some **bold** words")
    page.get_by_role("tab", name="Preview").click()
    panel = page.get_by_role("tabpanel", name="Preview")
    expect(panel.locator("strong")).to_have_text("bold")
    expect(page.get_by_label("Your message")).to_be_hidden()
    assert_no_serious_violations(page)
    page.get_by_role("tab", name="Write").click()
    expect(page.get_by_label("Your message")).to_have_value("Some **bold** words")

    # Without JavaScript: the Preview button posts the form; it comes back with the text and the rendering.
    context = new_context(java_script_enabled=False)
    plain = context.new_page()
    log_in(plain, live_server, live_server.member)
    plain.goto(f"{live_server.url}/account/profile")
    plain.get_by_label("About you (Markdown)").fill("I *like* tests")
    plain.get_by_role("button", name="Preview About you (Markdown)").click()
    expect(plain.get_by_role("region", name="Preview")).to_be_visible()
    expect(plain.locator(".md-preview-static em")).to_have_text("like")
    expect(plain.get_by_label("About you (Markdown)")).to_have_value("I *like* tests")
    expect(plain.get_by_role("tab")).to_have_count(0)


def test_draft_restored_after_leaving_and_from_a_second_browser(page_as, live_server, new_context):
    new_thread = f"{live_server.url}/c/{live_server.open_slug}/threads/new"
    page = page_as(live_server.member)
    page.goto(new_thread)
    page.get_by_label("Title").fill("Rollout checklist for the platform team")
    page.get_by_label("Your message").fill("Step one: write it down.")
    expect(page.locator("[data-draft-status]")).to_contain_text("Draft saved", timeout=8000)
    page.goto(f"{live_server.url}/")
    drafts = page.get_by_role("region", name="My drafts")
    expect(drafts).to_contain_text("Rollout checklist for the platform team")
    assert_no_serious_violations(page)
    drafts.get_by_role("link", name=f"New thread in {live_server.open_name}").click()
    expect(page.get_by_label("Your message")).to_have_value("Step one: write it down.")

    # Signing in from a second browser (a fresh context): the same draft.
    context = new_context()
    other = context.new_page()
    log_in(other, live_server, live_server.member)
    other.goto(new_thread)
    expect(other.get_by_text("Restored your draft")).to_be_visible()
    expect(other.get_by_label("Title")).to_have_value("Rollout checklist for the platform team")
    expect(other.get_by_label("Your message")).to_have_value("Step one: write it down.")
    other.get_by_role("button", name="Discard draft").click()
    expect(other.get_by_role("status")).to_contain_text("Draft discarded.")
    expect(other.get_by_label("Your message")).to_have_value("")


def test_inline_reply_and_quote_of_a_selection(page_as, live_server, thread_url):
    page = page_as(live_server.member)
    page.goto(thread_url)
    opening_id = page.locator(".post.opening").get_attribute("id").removeprefix("post-")
    page.goto(f"{thread_url}/reply?to={opening_id}&quote=1")  # the separate page stays (no JavaScript path)
    expect(page.get_by_label("Your reply")).to_have_value(re.compile(r"^> \*\*Casey Coordinator\*\* wrote:"))
    assert_no_serious_violations(page)
    page.goto(thread_url)
    opening = page.locator(".post.opening")
    opening.get_by_role("link", name=f"Reply to {live_server.coordinator.name}").click()
    expect(page.get_by_text(f"Replying to {live_server.coordinator.name}.")).to_be_visible()
    expect(page.get_by_label("Your reply")).to_be_focused()
    assert page.url == thread_url  # in place: no page change
    assert_no_serious_violations(page)
    page.get_by_role("button", name="Cancel inline reply").click()
    expect(page.get_by_text(f"Replying to {live_server.coordinator.name}.")).to_be_hidden()

    # Select "Second sentence there." in the post, then Quote: just that text is quoted.
    page.evaluate("""() => {
        const body = document.querySelector('.post.opening .post-body p');
        const text = body.firstChild, start = text.data.indexOf('Second');
        const range = document.createRange();
        range.setStart(text, start); range.setEnd(text, text.data.length);
        const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    }""")
    opening.get_by_role("link", name=f"Quote {live_server.coordinator.name}").click()
    body = page.get_by_label("Your reply")
    expect(body).to_have_value(f"> **{live_server.coordinator.name}** wrote:\n>\n> Second sentence there.\n\n")
    body.press("End")
    body.type("Agreed.")
    page.get_by_role("button", name="Post reply").click()
    reply = page.get_by_role("article", name=f"Post by {live_server.member.name}")
    expect(reply.locator("blockquote p").last).to_have_text("Second sentence there.")
    expect(reply.locator("blockquote")).not_to_contain_text("First sentence")
    expect(reply).to_contain_text("Agreed.")


def test_mention_autocomplete_by_keyboard_only(page_as, live_server, thread_url):
    page = page_as(live_server.member)
    page.goto(thread_url)
    body = page.get_by_label("Your reply")
    body.focus()
    page.keyboard.type("Thanks @cas")
    listbox = page.get_by_role("listbox", name="People to mention")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option", name=re.compile(live_server.coordinator.name))
    expect(option).to_have_attribute("aria-selected", "true")
    expect(body).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    assert_no_serious_violations(page)
    page.keyboard.press("Enter")
    expect(listbox).to_be_hidden()
    expect(body).to_have_value("Thanks @casey_coordinator ")
    page.keyboard.type("and @zz")
    page.wait_for_timeout(400)
    expect(listbox).to_be_hidden()  # nobody: no list
    page.keyboard.press("Escape")
    expect(body).to_be_focused()


def test_similar_threads_with_a_20_kb_draft(page_as, live_server, thread_url):
    page = page_as(live_server.coordinator)
    new_thread = f"{live_server.url}/c/{live_server.open_slug}/threads/new"
    page.goto(new_thread)
    big = "A long careful write-up. " * 820  # ~20 KB
    page.get_by_label("Your message").fill(big)
    title = page.get_by_label("Title")
    title.fill("blue green deploys")
    suggestions = page.get_by_role("region", name="Similar threads already exist")
    expect(suggestions.get_by_role("link", name=TITLE)).to_be_visible()
    title.press("Enter")  # moves on; submits nothing
    expect(page.get_by_label("Kind")).to_be_focused()
    assert page.url == new_thread
    expect(page.get_by_label("Your message")).to_have_value(big)
    assert_no_serious_violations(page)
