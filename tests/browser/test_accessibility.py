"""axe-core on the main pages, and the keyboard path into the page.

Only "serious" and "critical" violations fail a test; each failure lists the
rule, its help text and the offending elements so they can be fixed.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()


# axe files an ARIA reference to a missing id under "incomplete", not "violations"
# (it cannot tell whether the id appears later), so this is checked separately.
DANGLING_ARIA_REFERENCES = """() => {
  const attrs = ["aria-describedby", "aria-labelledby", "aria-controls", "aria-owns"];
  const problems = [];
  for (const el of document.querySelectorAll(attrs.map(a => `[${a}]`).join(","))) {
    for (const attr of attrs) {
      for (const id of (el.getAttribute(attr) || "").split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`<${el.localName} id="${el.id}"> ${attr}="${id}"`);
      }
    }
  }
  return problems;
}"""


def assert_no_serious_violations(page) -> None:
    """Fail on axe violations of serious or critical impact, and on ARIA references to missing ids."""
    violations = [v for v in _axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    report = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(", ".join(map(str, node["target"])) for node in v["nodes"])
        for v in violations
    )
    assert not violations, f"axe found serious accessibility problems on {page.url}:\n{report}"
    dangling = page.evaluate(DANGLING_ARIA_REFERENCES)
    assert not dangling, f"ARIA attributes on {page.url} point at ids that do not exist:\n" + "\n".join(dangling)


def test_login_page_anonymous(page, live_server):
    page.goto(f"{live_server.url}/login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_no_serious_violations(page)


def test_login_page_with_errors(page, live_server):
    page.goto(f"{live_server.url}/login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_no_serious_violations(page)


# (who, path, a heading that proves the right page loaded)
SIGNED_IN_PAGES = {
    "home": ("member", "/", "Welcome, Morgan Member"),
    "directory": ("member", "/communities", "Communities"),
    "open-community": ("member", "/c/python-guild", "Python Guild"),
    "restricted-community-non-member": ("outsider", "/c/security-champions", "Security Champions"),
    "join": ("outsider", "/c/python-guild/join", "Join Python Guild"),
    "request-to-join": ("outsider", "/c/security-champions/request", "Request to join Security Champions"),
    "members-as-coordinator": ("coordinator", "/c/security-champions/members", "Members of Security Champions"),
    "edit-profile-with-api-tokens": ("member", "/account/profile", "Your profile"),
    "api-documentation": ("outsider", "/api", "cop API version 1"),
    "webhooks-as-coordinator": ("coordinator", "/c/security-champions/webhooks", "Webhooks of Security Champions"),
    "new-thread-with-the-5-ws": ("member", "/c/python-guild/threads/new", "Start a thread in Python Guild"),
    "people-by-who-knows-a-tag": ("member", "/people?tag=python&sort=knows", "People"),
    "value-stories": ("member", "/c/python-guild/stories", "Value stories of Python Guild"),
}


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_page(name, page_as, live_server):
    who, path, heading = SIGNED_IN_PAGES[name]
    page = page_as(getattr(live_server, who))
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert_no_serious_violations(page)


def test_join_page_with_errors(page_as, live_server):
    page = page_as(live_server.outsider)
    page.goto(f"{live_server.url}/c/python-guild/join")
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_text("Please read and accept the guidelines to join.")).to_be_visible()
    assert_no_serious_violations(page)


def test_first_tab_reaches_visible_skip_link(page, live_server):
    page.goto(f"{live_server.url}/login")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).not_to_be_in_viewport()

    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    expect(skip_link).to_be_visible()

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
