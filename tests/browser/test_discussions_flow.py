"""A question's life in real Chromium: asked, answered, discussed in nested replies, quoted,
a member mentioned, the answer accepted, an off-topic reply flagged and hidden by the
coordinator. axe-core checks the discussion pages along the way."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.communities.models import Community
from cop.discussions import services
from cop.extensions import db
from tests.browser.conftest import Person
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.builders import add_membership, make_user

pytestmark = pytest.mark.browser

DEVI = Person("devi.developer@example.com", "Devi Developer")
TITLE = "How do I share one fixture across test modules?"
ANSWER = "Put it in `conftest.py` at the package root; @casey_coordinator wrote our guide on it."
OFF_TOPIC = "Thanks, that worked! Also: is anyone selling a used bike?"


@pytest.fixture(scope="module")
def devi(live_server):
    """A second plain member of the open community, with an urgent open problem for the triage queue."""
    with live_server.app.app_context():
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        user = make_user(DEVI.email, DEVI.name, department="Engineering")
        add_membership(community, user)
        services.create_thread(
            user,
            community,
            title="CI run hangs after the upgrade",
            kind="problem",
            priority=1,
            body="Since Tuesday the test job never finishes.",
        )
        db.session.remove()
    return DEVI


def post_id(page) -> int:
    """The id of the post a reply just redirected to (``...#post-<id>``)."""
    return int(re.search(r"#post-(\d+)$", page.url).group(1))


def test_question_is_answered_quoted_accepted_and_an_off_topic_reply_hidden(page_as, live_server, devi):
    server = live_server

    # Morgan starts a question from the community page; posting the empty form shows the errors first.
    morgan = page_as(server.member)
    morgan.goto(f"{server.url}/c/{server.open_slug}")
    morgan.get_by_role("link", name="Start a thread").click()
    expect(morgan.get_by_role("heading", name=f"Start a thread in {server.open_name}", level=1)).to_be_visible()
    morgan.get_by_role("button", name="Post thread").click()
    expect(morgan.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(morgan.get_by_label("Title")).to_have_accessible_description("Give the thread a title.")
    expect(morgan.get_by_label("Your message")).to_have_accessible_description(
        "Write something first: the text cannot be empty."
    )
    assert_no_serious_violations(morgan)

    morgan.get_by_label("Title").fill(TITLE)
    morgan.get_by_label("Kind").select_option(label="Question")
    morgan.get_by_label("Priority").select_option(label="2 · Soon")
    morgan.get_by_label("Tags (comma-separated)").fill("pytest, fixtures")
    morgan.get_by_label("Your message").fill("Several modules need the same **database** fixture.")
    morgan.get_by_role("button", name="Post thread").click()
    question = morgan.get_by_role("article", name=TITLE)
    expect(morgan.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(question.get_by_text("Question", exact=True)).to_be_visible()
    expect(question.get_by_text("Open", exact=True)).to_be_visible()
    expect(question.get_by_role("list", name="Tags").get_by_role("listitem")).to_have_text(["fixtures", "pytest"])
    thread_url = morgan.url

    # Devi answers, mentioning Casey: the mention links to Casey's profile.
    devi_page = page_as(devi)
    devi_page.goto(thread_url)
    devi_page.get_by_label("Your reply").fill(ANSWER)
    devi_page.get_by_role("button", name="Post reply").click()
    answer = devi_page.get_by_role("article", name=f"Post by {DEVI.name}")
    expect(answer).to_contain_text("Put it in conftest.py at the package root")
    mention = answer.get_by_role("link", name="@casey_coordinator")
    expect(mention).to_have_attribute("href", "/people/casey_coordinator")
    answer_id = post_id(devi_page)
    mention.click()
    expect(devi_page.get_by_role("heading", name=server.coordinator.name, level=1)).to_be_visible()

    # Morgan replies to Devi's answer (the form opens in place): the reply is nested in the answer's list item.
    morgan.goto(thread_url)
    morgan.get_by_role("article", name=f"Post by {DEVI.name}").get_by_role("link", name=f"Reply to {DEVI.name}").click()
    expect(morgan.get_by_text(f"Replying to {DEVI.name}.")).to_be_visible()
    morgan.get_by_label("Your reply").fill(OFF_TOPIC)
    morgan.get_by_role("button", name="Post reply").click()
    off_topic_id = post_id(morgan)
    answer_item = morgan.get_by_role("listitem").filter(has=morgan.get_by_role("article", name=f"Post by {DEVI.name}"))
    expect(answer_item.get_by_role("article", name=f"Post by {server.member.name}")).to_contain_text(OFF_TOPIC)
    expect(morgan.locator(f"#post-{off_topic_id}").locator("xpath=ancestor::li[1]")).to_have_id(f"post-{answer_id}")

    # Casey quotes Devi's answer: the reply box starts with the attribution.
    casey = page_as(server.coordinator)
    casey.goto(thread_url)
    casey.get_by_role("article", name=f"Post by {DEVI.name}").get_by_role("link", name=f"Quote {DEVI.name}").click()
    body = casey.get_by_label("Your reply")
    expect(body).to_have_value(re.compile(rf"^> \*\*{DEVI.name}\*\* wrote:\n>\n> Put it in `conftest.py`"))
    body.fill(body.input_value() + "Agreed, and keep such fixtures small.")
    casey.get_by_role("button", name="Post reply").click()
    quoting = casey.get_by_role("article", name=f"Post by {server.coordinator.name}")
    expect(quoting.locator("blockquote")).to_contain_text(f"{DEVI.name} wrote:")
    expect(quoting.locator("blockquote strong")).to_have_text(DEVI.name)
    expect(quoting).to_contain_text("Agreed, and keep such fixtures small.")

    # Morgan accepts Devi's answer: it is shown under the question, which now reads "Answered".
    morgan.goto(thread_url)
    morgan.get_by_role("article", name=f"Post by {DEVI.name}").get_by_role("button", name="Accept this answer").click()
    expect(morgan.get_by_role("status")).to_contain_text("Accepted answer marked.")
    accepted = morgan.get_by_role("region", name="Accepted answer", exact=True)
    expect(accepted).to_contain_text("Put it in conftest.py at the package root")
    expect(accepted.get_by_role("link", name=DEVI.name)).to_be_visible()
    # Both boxes in one synchronous script: the page may still scroll to the post's anchor between two calls.
    question_bottom, accepted_top = morgan.evaluate("""() => [
        document.querySelector('article.thread').getBoundingClientRect().bottom,
        document.querySelector('section.accepted').getBoundingClientRect().top]""")
    assert accepted_top >= question_bottom
    expect(question.get_by_text("Answered", exact=True)).to_be_visible()
    expect(question.get_by_text("Open", exact=True)).to_have_count(0)
    assert_no_serious_violations(morgan)  # nested replies, quote, mention, accepted answer

    # Devi flags Morgan's off-topic reply against a platform guideline.
    devi_page.goto(thread_url)
    devi_page.get_by_role("article", name=f"Post by {server.member.name}").get_by_role("link", name="Flag").click()
    expect(devi_page.get_by_role("heading", name="Flag a post for the coordinators")).to_be_visible()
    devi_page.get_by_label("Which guideline does it break?").select_option(label="Add value")
    devi_page.get_by_label("Note for the coordinators (optional)").fill("Off topic: a bike sale.")
    devi_page.get_by_role("button", name="Send flag").click()
    expect(devi_page.get_by_role("status")).to_contain_text("Thank you. The coordinators will review this post")

    # Casey triages, then hides the post from the flag queue.
    casey.goto(f"{server.url}/c/{server.open_slug}")
    casey.get_by_role("link", name="Triage queue").click()
    expect(casey.get_by_role("heading", name="Triage queue", level=1)).to_be_visible()
    expect(casey.get_by_role("row", name=re.compile("CI run hangs after the upgrade"))).to_be_visible()
    assert_no_serious_violations(casey)
    casey.get_by_role("navigation", name="Triage views").get_by_role("link", name="Flags").click()
    expect(casey).to_have_url(re.compile(rf"/c/{server.open_slug}/flags$"))
    flag = casey.get_by_role("listitem").filter(has_text=f"flagged by {DEVI.name}")
    expect(flag).to_contain_text("Add value")
    expect(flag).to_contain_text("Note: Off topic: a bike sale.")
    expect(flag.locator("blockquote")).to_have_text(OFF_TOPIC)
    assert_no_serious_violations(casey)
    flag.get_by_role("button", name="Hide the post").click()
    expect(casey.get_by_role("status")).to_contain_text("Post hidden.")
    expect(casey.get_by_text("No open flags.")).to_be_visible()

    # Members now see a placeholder where the reply was.
    devi_page.goto(thread_url)
    hidden = devi_page.get_by_role("article", name=f"Post by {server.member.name}")
    expect(hidden).to_contain_text("Post hidden by a coordinator")
    expect(hidden).not_to_contain_text("bike")
    expect(devi_page.get_by_role("region", name="Accepted answer", exact=True)).to_contain_text("Put it in conftest.py")
