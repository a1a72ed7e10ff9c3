"""LDAP sign-in against a real OpenLDAP (Debian's slapd, tests/identity_servers/slapd.py)."""

import shutil
import subprocess

import pytest
from sqlalchemy import select

from cop.accounts.models import User
from cop.admin.models import AuditEntry
from cop.extensions import db
from cop.identity.models import ExternalIdentity
from tests.builders import PASSWORD, make_user
from tests.identity_servers.helpers import counts, signed_in_as
from tests.identity_servers.slapd import ldap_config, person_dn


@pytest.fixture
def app_config(slapd):
    return ldap_config(slapd)


def ldap_sign_in(client, username, password, next_url=None):
    url = "/login/ldap" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password})


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_first_sign_in_makes_the_account_from_the_directory(app, client, slapd):
    answer = ldap_sign_in(client, "alice", "alice-pass", next_url="/people")
    assert answer.status_code == 302 and answer.headers["Location"] == "/people"
    user = _user("alice@example.com")
    assert (user.display_name, user.department, user.title, user.location, user.auth_source) == (
        "Alice Archer",
        "Platform Engineering",
        "Staff Engineer",
        "Lisbon",
        "ldap",
    )
    identity = db.session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    assert identity.provider == "ldap" and len(identity.subject) == 36  # entryUUID
    assert identity.directory_dn == person_dn("alice")
    assert signed_in_as(client) == "alice@example.com"


def test_later_sign_ins_refresh_the_profile(app, client, slapd):
    ldap_sign_in(client, "alice", "alice-pass")
    client.post("/logout", data={})
    slapd.set_attribute("alice", "ou", ["Developer Experience"])
    assert ldap_sign_in(client, "alice", "alice-pass").status_code == 302
    assert _user("alice@example.com").department == "Developer Experience"
    assert counts() == (1, 1)


def test_a_wrong_password_is_the_login_page_again_with_the_name_kept(app, client):
    answer = ldap_sign_in(client, "alice", "not-her-password")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "do not match an active account in the directory" in page and 'value="alice"' in page
    assert counts() == (0, 0) and signed_in_as(client) is None


def test_an_empty_password_is_never_an_anonymous_bind(app, client, slapd):
    # The server itself accepts an unauthenticated bind (a DN with an empty password) ...
    if shutil.which("ldapwhoami"):
        whoami = subprocess.run(
            ["ldapwhoami", "-x", "-H", slapd.url, "-D", person_dn("alice"), "-w", ""],
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert whoami.returncode == 0 and "anonymous" in whoami.stdout
    # ... but cop never sends one.
    for password in ("", None):
        data = {"username": "alice"} | ({} if password is None else {"password": password})
        answer = client.post("/login/ldap", data=data)
        assert answer.status_code == 400 and "Enter your password." in answer.get_data(as_text=True)
    assert counts() == (0, 0) and signed_in_as(client) is None


@pytest.mark.parametrize(
    "username", ["al*", "*", "alice)(uid=*", "*)(|(uid=*", "alice\x00", "\\", "(", "a" * 300, "alice\\2a"]
)
def test_filter_metacharacters_in_the_name_match_nobody_else(app, client, username):
    answer = ldap_sign_in(client, username, "alice-pass")
    assert answer.status_code == 400
    assert counts() == (0, 0) and signed_in_as(client) is None


@pytest.mark.parametrize(
    "username, password, email",
    [("o(brien)*", "obrien-pass", "orla@example.com"), ("back\\slash", "backslash-pass", "bea@example.com")],
)
def test_people_whose_names_hold_metacharacters_sign_in(app, client, username, password, email):
    assert ldap_sign_in(client, username, password).status_code == 302
    assert signed_in_as(client) == email


def test_an_existing_account_is_linked_by_its_directory_address(app, client):
    bob = make_user("bob@example.com", "Bob Local")
    assert ldap_sign_in(client, "bob", "bob-pass").status_code == 302
    assert _user("bob@example.com").id == bob.id and _user("bob@example.com").auth_source == "ldap"
    client.post("/logout", data={})
    assert client.post("/login", data={"email": "bob@example.com", "password": PASSWORD}).status_code == 400


def test_a_leaver_is_refused_and_all_their_sessions_end(app, client, slapd):
    other_device = app.test_client()
    assert ldap_sign_in(other_device, "alice", "alice-pass").status_code == 302
    assert signed_in_as(other_device) == "alice@example.com"
    slapd.set_attribute("alice", "employeeType", ["left"])

    answer = ldap_sign_in(client, "alice", "alice-pass")
    assert answer.status_code == 400 and signed_in_as(client) is None
    user = _user("alice@example.com")
    assert user.is_disabled
    assert signed_in_as(other_device) is None  # the session on the other device has ended
    action = db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "account.directory_disable"))
    assert action == "account.directory_disable"


def test_someone_the_directory_excludes_gets_no_account(app, client):
    assert ldap_sign_in(client, "dan", "dan-pass").status_code == 400
    assert counts() == (0, 0)


def test_a_directory_that_is_down_is_a_clear_page_and_passwords_still_work(app, client):
    app.config["LDAP_URL"] = "ldap://127.0.0.1:9"
    admin = make_user("root@example.com", admin=True)
    answer = ldap_sign_in(client, "alice", "alice-pass")
    assert answer.status_code == 503 and "directory is unavailable" in answer.get_data(as_text=True)
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302


def test_the_login_page_offers_the_directory_form(app, client):
    page = client.get("/login").get_data(as_text=True)
    assert 'action="/login/ldap"' in page and "Sign in with your company account" in page
    assert page.index('action="/login/ldap"') < page.index("Forgot your password?")
