"""COP_AUTH_MODES: which ways to sign in exist, in which order; with local off only the break-glass
administrator from ``flask cop create-admin`` has a password."""

import pytest
from sqlalchemy import select

from cop import create_app
from cop.accounts.models import User
from cop.extensions import db
from cop.identity import IdentityConfigError
from cop.identity.groups import GroupMapFileError
from tests.builders import PASSWORD, make_user
from tests.conftest import make_config
from tests.identity_servers.helpers import oidc_config, sign_in_oidc
from tests.identity_servers.oidc_provider import RunningProvider

BREAK_GLASS_PASSWORD = "break-glass-passphrase-1"


@pytest.fixture(scope="module")
def provider():
    with RunningProvider() as running:
        running.add_user("alice", "provider-pass", name="Alice Archer", email="alice@example.com", email_verified=True)
        yield running


@pytest.fixture
def app_config(provider):
    return oidc_config(provider, AUTH_MODES=("oidc",))


def _break_glass(runner, email="root@example.com"):
    result = runner.invoke(args=["cop", "create-admin", email, "--password", BREAK_GLASS_PASSWORD])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_without_local_there_is_no_registration_or_password_reset(app, client):
    for path in ("/register", "/account/forgot-password", "/account/reset-password/some-token"):
        assert client.get(path).status_code == 404, path
    assert (
        client.post("/register", data={"email": "x@example.com", "display_name": "X", "password": PASSWORD}).status_code
        == 404
    )
    assert db.session.scalar(select(User)) is None


def test_without_local_the_login_page_offers_the_provider_and_a_discreet_emergency_sign_in(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test SSO" in page
    assert 'name="password"' not in page and "Register" not in page and "Forgot your password" not in page
    assert "Emergency administrator sign-in" in page
    form = client.get("/login?method=password").get_data(as_text=True)
    assert 'name="password"' in form and 'name="email"' in form


def test_only_the_break_glass_administrator_signs_in_with_a_password(app, client, runner):
    local = make_user("old.local@example.com")
    answer = client.post("/login?method=password", data={"email": local.email, "password": PASSWORD})
    assert answer.status_code == 400 and 'name="password"' in answer.get_data(as_text=True)
    admin = _break_glass(runner)
    assert admin.is_break_glass and admin.is_admin
    answer = client.post("/login?method=password", data={"email": admin.email, "password": BREAK_GLASS_PASSWORD})
    assert answer.status_code == 302
    assert client.get("/account/password").status_code == 200  # and may change that password


def test_break_glass_works_while_the_provider_is_down(app, client, runner):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"
    admin = _break_glass(runner)
    assert client.post("/login/oidc", data={}).status_code == 503
    assert (
        client.post("/login?method=password", data={"email": admin.email, "password": BREAK_GLASS_PASSWORD}).status_code
        == 302
    )


def test_directory_accounts_have_no_password_pages(app, client, provider):
    sign_in_oidc(client, provider, "alice")
    assert client.get("/account/password").status_code == 404
    assert "Change password" not in client.get("/people/alice").get_data(as_text=True)


def test_the_login_page_shows_the_ways_in_the_configured_order(app, client):
    app.config.update(
        AUTH_MODES=("ldap", "local", "oidc"),
        LDAP_URL="ldap://127.0.0.1:9",
        LDAP_USER_BASE="ou=people,dc=example,dc=com",
        LDAP_LABEL="Example account",
    )
    page = client.get("/login").get_data(as_text=True)
    positions = [page.index(marker) for marker in ('action="/login/ldap', 'name="email"', 'action="/login/oidc')]
    assert positions == sorted(positions)
    assert "Sign in with your Example account" in page and "Create an account" in page


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"AUTH_MODES": ("local", "saml")}, "unknown ['saml']"),
        ({"AUTH_MODES": ("oidc",)}, "COP_OIDC_ISSUER, COP_OIDC_CLIENT_ID"),
        ({"AUTH_MODES": ("ldap",)}, "COP_LDAP_URL, COP_LDAP_USER_BASE"),
        ({"AUTH_MODES": ("oidc",), "OIDC_ISSUER": "http://sso.example.com", "OIDC_CLIENT_ID": "cop"}, "https"),
        ({"GROUP_MAP_FILE": "/nonexistent/groups.toml"}, "does not exist"),
    ],
)
def test_settings_that_cannot_work_stop_the_start(tmp_path, settings, message):
    with pytest.raises((IdentityConfigError, GroupMapFileError)) as caught:
        create_app(make_config(f"sqlite:///{tmp_path / 'x.db'}", str(tmp_path / "instance"), **settings))
    assert message in str(caught.value)
