"""Single sign-on in real Chromium: from a page that needs sign-in, "Sign in with Test SSO", sign in at
the provider (tests/identity_servers/oidc_provider.py), land back on that page signed in, with the
department from the provider on the profile and the community membership the group mapping grants."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import seeded_live_server
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.identity_servers.helpers import oidc_config
from tests.identity_servers.oidc_provider import RunningProvider

pytestmark = pytest.mark.browser

GROUP_MAP = '[[group]]\nname = "cop-python-guild"\ncommunity = "python-guild"\nrole = "member"\n'


@pytest.fixture(scope="module")
def provider():
    with RunningProvider() as running:
        running.add_user(
            "sam",
            "sam-provider-pass",
            name="Sam Single",
            email="sam.single@example.com",
            email_verified=True,
            department="Platform Engineering",
            title="Staff Engineer",
            groups=["cop-python-guild"],
        )
        yield running


@pytest.fixture(scope="module")
def sso_server(chromium_executable, tmp_path_factory, provider):
    """The seeded app with single sign-on (and passwords) on, served on loopback."""
    root = tmp_path_factory.mktemp("sso-live")
    (root / "groups.toml").write_text(GROUP_MAP)
    with seeded_live_server(root, **oidc_config(provider, GROUP_MAP_FILE=str(root / "groups.toml"))) as server:
        yield server


def test_sign_in_with_the_provider_lands_where_you_started(page, sso_server):
    server = sso_server
    page.goto(f"{server.url}/c/{server.open_slug}")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_no_serious_violations(page)

    page.get_by_role("button", name="Sign in with Test SSO").click()
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
    page.get_by_label("User name").fill("sam")
    page.get_by_label("Password").fill("sam-provider-pass")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name=server.open_name, level=1)).to_be_visible()
    assert page.url == f"{server.url}/c/{server.open_slug}"
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("banner").get_by_role("link", name="Sam Single").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Platform Engineering")
    expect(main.get_by_role("link", name=server.open_name)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Sign out of Test SSO too")).to_be_visible()
    assert_no_serious_violations(page)
