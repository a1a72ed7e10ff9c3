"""Single sign-on in real Chromium: from a page that needs sign-in, "Sign in with Test SSO", sign in at
the provider (tests/identity_servers/oidc_provider.py), land back on that page signed in, with the
department from the provider on the profile and the community membership the group mapping grants."""
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from cop import create_app
from cop.extensions import db
from tests.browser.conftest import LiveServer, _seed
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.conftest import make_config
from tests.identity_servers.helpers import oidc_config
from tests.identity_servers.oidc_provider import RunningProvider

pytestmark = pytest.mark.browser

GROUP_MAP = '[[group]]\nname = "cop-python-guild"\ncommunity = "python-guild"\nrole = "member"\n'


@pytest.fixture(scope="module")
def provider():
    with RunningProvider() as running:
        running.add_user("sam", "sam-provider-pass", name="Sam Single", email="sam.single@example.com",
                         email_verified=True, department="Platform Engineering", title="Staff Engineer",
                         groups=["cop-python-guild"])
        yield running


@pytest.fixture(scope="module")
def sso_server(chromium_executable, tmp_path_factory, provider):
    """The seeded app with single sign-on (and passwords) on, served on loopback."""
    root = tmp_path_factory.mktemp("sso-live")
    (root / "groups.toml").write_text(GROUP_MAP)
    app = create_app(make_config(f"sqlite:///{root / 'browser.db'}", str(root / "instance"),
                                 **oidc_config(provider, GROUP_MAP_FILE=str(root / "groups.toml"))))
    with app.app_context():
        db.create_all()
        server = LiveServer(url="", app=app)
        _seed(server)
        db.session.remove()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="sso-live-server", daemon=True)
    thread.start()
    server.url = app.config["BASE_URL"] = f"http://127.0.0.1:{http.server_port}"
    try:
        yield server
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()
        with app.app_context():
            db.engine.dispose()


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
