"""The nastiest Markdown and HTML a member can post, shown in real Chromium: nothing runs.

A coordinator posts one thread whose opening post and nested reply each
concatenate dozens of vectors; a member opens the pages that show them, with
traps armed before any page script could run: every alert, confirm or prompt
is recorded, every Content-Security-Policy violation is recorded, and the
vectors all try to set ``window.__xss``. The CSP would block inline script on
its own, so the test also requires that the sanitizer left nothing for it to
block (no violation at all) and reads the DOM for handlers and script URLs.
"""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions import services
from cop.extensions import db

pytestmark = pytest.mark.browser

START_MARKER = "Hostile post: every vector below must stay inert."

HOSTILE_VECTORS = [
    # Within the first lines: the quote prefill copies only the first 40 into a <textarea>.
    '</textarea><img src=x onerror="window.__xss = 1">',
    # Markdown before raw HTML blocks: a block left open further down would swallow it.
    "[markdown javascript link](javascript:window.__xss=1)",
    "[mixed case link](JaVaScRiPt:window.__xss=1)",
    "[entity link](&#106;avascript:window.__xss=1)",
    "[hex entity link](&#x6A;avascript:window.__xss=1)",
    "[tab entity link](java&#9;script:window.__xss=1)",
    "[vbscript link](vbscript:msgbox(1))",
    "[data link](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9MTwvc2NyaXB0Pg==)",
    "[reference link][evil]\n\n[evil]: javascript:window.__xss=1",
    "<javascript:window.__xss=1>",
    '<http://a.example/" onmouseover="window.__xss=1>',
    '[title breakout](/ok "a\\" onmouseover=\\"window.__xss=1")',
    '![image breakout](/nope.png" onerror="window.__xss=1)',
    "![javascript image](javascript:window.__xss=1)",
    "<a href=\"javascript:window.__xss = 1; alert('a')\">raw javascript link</a>",
    '<a href=" javascript:window.__xss = 1">spaced javascript link</a>',
    '<a href="java&#x09;script:window.__xss = 1">tabbed javascript link</a>',
    '<a href="javas&#99;ript:window.__xss = 1">entity javascript link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9MTwvc2NyaXB0Pg==">raw data link</a>',
    '<a href="/" onclick="window.__xss = 1" onmouseover="window.__xss = 1">raw link with handlers</a>',
    "<img src=x onerror=\"window.__xss = 1; alert('img')\">",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    '<svg onload="window.__xss = 1">',
    "<scr\x00ipt>window.__xss = 1</scr\x00ipt>",
    '<script>window.__xss = 1; alert("script")</script>',
    "<ScRiPt>window.__xss = 1</sCrIpT>",
    "<!--<script>window.__xss = 1</script>-->",
    '<details open ontoggle="window.__xss = 1"><summary>Toggle me</summary>details body</details>',
    '<div style="background:url(javascript:window.__xss=1)" onmouseover="window.__xss = 1">hover the div</div>',
    '<form action="javascript:window.__xss=1"><button>Submit me</button></form>',
    '<iframe srcdoc="&lt;script&gt;parent.__xss = 1&lt;/script&gt;"></iframe>',
    '<object data="javascript:window.__xss = 1"></object>',
    '<embed src="javascript:window.__xss = 1">',
    '<input autofocus onfocus="window.__xss = 1">',
    '<select autofocus onfocus="window.__xss = 1"></select>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:window.__xss=1//">',
    '<body onload="window.__xss = 1">',
    "<svg><script>window.__xss = 1</script></svg>",
    '<svg><animate onbegin="window.__xss = 1" attributeName=x dur=1s>',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    # Parser-mutation vectors last: they leave elements open.
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss = 1">',
]
HOSTILE_BODY = "\n\n".join([START_MARKER, *HOSTILE_VECTORS])
LINK_TEXTS = [
    "markdown javascript link",
    "mixed case link",
    "entity link",
    "hex entity link",
    "tab entity link",
    "vbscript link",
    "data link",
    "reference link",
    "title breakout",
    "raw javascript link",
    "spaced javascript link",
    "tabbed javascript link",
    "entity javascript link",
    "raw data link",
    "raw link with handlers",
]

# Runs in every document before its own content: the traps, and a click guard that keeps
# ordinary links (http, https, mailto) from navigating away. Any other scheme is let
# through, so a javascript: or data: link that survived would run.
TRAPS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  e => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
document.addEventListener("click", e => {
  const link = e.target.closest && e.target.closest("a[href]");
  if (link && ["http:", "https:", "mailto:"].includes(new URL(link.href, location.href).protocol)) e.preventDefault();
}, true);
"""

# Elements with event-handler attributes, and links or sources with any scheme but http(s)/mailto.
DOM_PROBLEMS = """() => {
  const problems = [];
  const named = document.querySelectorAll('[onerror],[onload],[onmouseover],[onfocus],[ontoggle]');
  if (named.length) problems.push(`${named.length} elements with onerror/onload/onmouseover/onfocus/ontoggle`);
  const jsLinks = document.querySelectorAll('a[href^="javascript" i]');
  if (jsLinks.length) problems.push(`${jsLinks.length} a[href^=javascript]`);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) problems.push(`<${el.localName} ${attr.name}="${attr.value}">`);
    }
  }
  for (const el of document.querySelectorAll("[href], [src], [action], [formaction], [data], [srcdoc]")) {
    for (const name of ["href", "src", "action", "formaction", "data"]) {
      const value = el.getAttribute(name);
      if (value === null) continue;
      const protocol = new URL(value, location.href).protocol;
      if (!["http:", "https:", "mailto:"].includes(protocol)) problems.push(`<${el.localName} ${name}="${value}">`);
    }
    if (el.hasAttribute("srcdoc")) problems.push(`<${el.localName} srcdoc>`);
  }
  const active = "script, iframe, object, embed, form, input, select, textarea, style, meta, base, link, svg, math";
  for (const body of document.querySelectorAll(".post-body, blockquote")) {
    for (const el of body.querySelectorAll(active)) problems.push(`<${el.localName}> inside a post`);
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def hostile_thread(live_server):
    """The coordinator's thread: the hostile body as opening post and as a reply to it. Returns (thread id, reply id)."""
    with live_server.app.app_context():
        author = db.session.scalar(select(User).filter_by(email=live_server.coordinator.email))
        community = db.session.scalar(select(Community).filter_by(slug=live_server.open_slug))
        thread = services.create_thread(
            author, community, title="Hostile markup", body=HOSTILE_BODY, kind="discussion", tags="security"
        )
        reply = services.reply(author, thread, thread.opening_post, HOSTILE_BODY)
        ids = thread.id, reply.id
        db.session.remove()
    return ids


@pytest.fixture
def trapped_page(page_as, live_server):
    """The member's page with the traps armed; ``page.dialogs`` lists every dialog opened."""
    page = page_as(live_server.member)
    page.dialogs = []

    def record(dialog):
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", record)
    page.add_init_script(TRAPS)
    return page


def poke_everything(page, within: str) -> None:
    """Fire mouse and focus events at everything in the ``within`` elements, then click each of
    their links and summaries with the real mouse (which moves there first: a hover)."""
    page.evaluate(
        """within => {
      for (const el of document.querySelectorAll(within.split(",").map(s => `${s} *`).join(","))) {
        for (const type of ["mouseover", "mouseenter", "focus", "toggle"]) el.dispatchEvent(new Event(type));
      }
    }""",
        within,
    )
    targets = page.locator(within).locator("a, summary")
    for index in range(targets.count()):
        targets.nth(index).click(timeout=2000, no_wait_after=True)
    page.keyboard.press("Tab")


def assert_nothing_ran(page, url: str) -> None:
    expect(page).to_have_url(url)  # no meta refresh, no base-href or form hijack
    assert page.dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("window.__cspViolations") == [], "the CSP had to block something the sanitizer let through"
    assert page.evaluate(DOM_PROBLEMS) == []


def test_hostile_posts_run_nothing_on_the_thread_page(trapped_page, live_server, hostile_thread):
    page = trapped_page
    thread_id, reply_id = hostile_thread
    url = f"{live_server.url}/t/{thread_id}"
    page.goto(url)

    # Both copies rendered, down to the last link before the parser-mutation vectors.
    expect(page.get_by_text(START_MARKER)).to_have_count(2)
    reply = page.get_by_role("article", name="Post by Casey Coordinator")
    for text in LINK_TEXTS:
        expect(page.locator(".opening").get_by_text(text, exact=True)).to_have_count(1)
        expect(reply.get_by_text(text, exact=True)).to_have_count(1)
    assert page.evaluate(DOM_PROBLEMS) == []

    poke_everything(page, ".post-body")
    assert_nothing_ran(page, url)


def test_hostile_post_runs_nothing_when_quoted_or_flagged(trapped_page, live_server, hostile_thread):
    page = trapped_page
    thread_id, reply_id = hostile_thread

    # The quote prefill puts the raw Markdown in a textarea: "</textarea><img ...>" must come
    # back intact as the field's value, not end the field early.
    url = f"{live_server.url}/t/{thread_id}/reply?to={reply_id}&quote=1"
    page.goto(url)
    body = page.get_by_label("Your reply")
    assert body.input_value().startswith(
        f"> **Casey Coordinator** wrote:\n>\n> {START_MARKER}\n> \n> {HOSTILE_VECTORS[0]}\n"
    )
    expect(page.locator("blockquote.replying-to").get_by_text(START_MARKER)).to_be_visible()
    poke_everything(page, "blockquote.replying-to")
    assert_nothing_ran(page, url)

    url = f"{live_server.url}/p/{reply_id}/flag"
    page.goto(url)
    expect(page.get_by_role("heading", name="Flag a post for the coordinators")).to_be_visible()
    expect(page.locator("blockquote").get_by_text(START_MARKER)).to_be_visible()
    poke_everything(page, "blockquote")
    assert_nothing_ran(page, url)


def test_the_traps_would_catch_a_dialog_and_a_csp_violation(trapped_page, live_server):
    """Without this, an unarmed trap would make the tests above pass vacuously."""
    page = trapped_page
    page.goto(f"{live_server.url}/")
    page.evaluate("() => alert('probe')")
    assert page.dialogs == ["alert: probe"]
    page.evaluate(
        "() => { const img = document.createElement('img'); img.src = 'https://blocked.example/x.png';"
        " document.body.append(img); }"
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__cspViolations")[0].startswith("img-src https://blocked.example/x.png")
