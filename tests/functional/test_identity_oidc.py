"""OpenID Connect sign-in against a real provider on loopback (tests/identity_servers/oidc_provider.py).

Every attack and failure is a clear page with a 4xx (503 when the provider is down), nothing created.
"""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from cop.accounts.models import User
from cop.admin.models import AuditEntry
from cop.extensions import db
from cop.identity.models import ExternalIdentity
from tests.builders import PASSWORD, make_user
from tests.identity_servers.helpers import callback_path, counts, oidc_config, sign_in_oidc, signed_in_as, start_oidc
from tests.identity_servers.oidc_provider import TAMPER_MODES, RunningProvider


@pytest.fixture(scope="module")
def provider():
    with RunningProvider() as running:
        running.add_user(
            "alice",
            "provider-pass",
            name="Alice Archer",
            email="alice@example.com",
            email_verified=True,
            department="Platform Engineering",
            title="Staff Engineer",
            locality="Lisbon",
        )
        yield running


@pytest.fixture(autouse=True)
def _fresh_provider(provider):
    provider.reset()
    yield
    provider.reset()


@pytest.fixture
def app_config(provider):
    return oidc_config(provider)


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_first_sign_in_makes_the_account_from_the_claims_and_lands_where_it_started(app, client, provider):
    start = start_oidc(client, "/people?q=lisbon")
    location = urlsplit(start.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == provider.url + "/authorize"
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["response_type"] == ["code"]

    answer = client.get(callback_path(provider.sign_in(start.headers["Location"], "alice", "provider-pass")))
    assert answer.status_code == 302 and answer.headers["Location"] == "/people?q=lisbon"
    user = _user("alice@example.com")
    assert (user.display_name, user.department, user.title, user.location, user.auth_source) == (
        "Alice Archer",
        "Platform Engineering",
        "Staff Engineer",
        "Lisbon",
        "oidc",
    )
    assert user.password_hash == "" and not user.check_password("")
    identity = db.session.scalar(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    assert (identity.provider, identity.subject) == ("oidc", "sub-alice")
    assert signed_in_as(client) == "alice@example.com"
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == user.id)) == "account.provision"
    assert provider.hits["token"] == 1 and provider.hits["userinfo"] == 1


def test_later_sign_ins_refresh_the_directory_fields_but_keep_bio_and_expertise(app, client, provider):
    sign_in_oidc(client, provider, "alice")
    client.post(
        "/account/profile",
        data={
            "display_name": "Ali",
            "title": "x",
            "department": "x",
            "location": "x",
            "bio": "I *love* compilers.",
            "expertise": "rust, compilers",
        },
    )
    client.post("/logout", data={})
    provider.users["alice"].claims["department"] = "Developer Experience"
    try:
        assert sign_in_oidc(client, provider, "alice").status_code == 302
    finally:
        provider.users["alice"].claims["department"] = "Platform Engineering"
    user = _user("alice@example.com")
    assert (user.display_name, user.department, user.title) == (
        "Alice Archer",
        "Developer Experience",
        "Staff Engineer",
    )
    assert user.bio_md == "I *love* compilers." and [t.name for t in user.expertise] == ["compilers", "rust"]
    assert counts() == (1, 1)


def test_an_existing_account_is_linked_on_a_verified_address_at_an_allowed_domain(app, client, provider):
    bob = make_user("bob@example.com", "Bob Local")
    provider.add_user("bob", "provider-pass", name="Bob Builder", email="Bob@Example.com", email_verified=True)
    assert sign_in_oidc(client, provider, "bob").status_code == 302
    linked = _user("bob@example.com")
    assert linked.id == bob.id and linked.auth_source == "oidc" and linked.display_name == "Bob Builder"
    assert counts() == (1, 1)
    client.post("/logout", data={})
    # Linked accounts sign in through the provider only: the old password no longer works.
    assert client.post("/login", data={"email": "bob@example.com", "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"email_verified": False}, "did not confirm that this address is verified"),
        ({"email": "carol@other.example.org", "email_verified": True}, "only addresses at example.com are linked"),
    ],
)
def test_an_existing_account_is_not_linked_otherwise_and_the_page_says_why(app, client, provider, claims, reason):
    email = claims.get("email", "carol@example.com")
    carol = make_user(email, "Carol Local")
    provider.add_user("carol", "provider-pass", name="Carol", **{"email": "carol@example.com", **claims})
    answer = sign_in_oidc(client, provider, "carol")
    assert answer.status_code == 403
    assert reason in answer.get_data(as_text=True)
    assert counts() == (1, 0) and _user(email).auth_source == "local" and _user(email).id == carol.id
    assert signed_in_as(client) is None


def test_a_wrong_state_is_refused(app, client, provider):
    start = start_oidc(client)
    location = provider.sign_in(start.headers["Location"], "alice", "provider-pass")
    forged = callback_path(location).replace("state=", "state=forged")
    answer = client.get(forged)
    assert answer.status_code == 400 and "not valid" in answer.get_data(as_text=True)
    assert counts() == (0, 0) and signed_in_as(client) is None


def test_a_replayed_state_and_code_are_refused(app, client, provider):
    first = sign_in_oidc(client, provider, "alice")
    assert first.status_code == 302
    client.post("/logout", data={})
    # The same callback again, in a fresh browser and in the same one: neither signs anybody in.
    start = start_oidc(client)
    callback = callback_path(provider.sign_in(start.headers["Location"], "alice", "provider-pass"))
    assert client.get(callback).status_code == 302
    client.post("/logout", data={})
    replay = client.get(callback)
    assert replay.status_code == 400 and signed_in_as(client) is None
    other_browser = app.test_client()
    assert other_browser.get(callback).status_code == 400 and signed_in_as(other_browser) is None
    assert counts() == (1, 1)


@pytest.mark.parametrize("tamper", [mode for mode in TAMPER_MODES if mode != "slow"])
def test_a_forged_or_broken_id_token_is_refused(app, client, provider, tamper):
    provider.tamper = tamper
    answer = sign_in_oidc(client, provider, "alice")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400, f"{tamper}: {answer.status_code}"
    assert "could not verify the answer" in page and "Sign-in could not be verified" in page
    assert counts() == (0, 0) and signed_in_as(client) is None


def test_an_unknown_key_fetches_the_jwks_once_more_then_refuses(app, client, provider):
    provider.tamper = "unknown-kid"
    assert sign_in_oidc(client, provider, "alice").status_code == 400
    assert provider.hits["jwks"] == 2


def test_a_rotated_key_is_fetched_once_and_accepted(app, client, provider):
    assert sign_in_oidc(client, provider, "alice").status_code == 302
    client.post("/logout", data={})
    assert provider.hits["jwks"] == 1
    provider.rotate_key()
    assert sign_in_oidc(client, provider, "alice").status_code == 302
    assert provider.hits["jwks"] == 2 and signed_in_as(client) == "alice@example.com"


def test_the_provider_refusing_the_sign_in_is_a_clear_page(app, client, provider):
    start = start_oidc(client)
    with __import__("requests").Session() as browser:
        browser.get(start.headers["Location"], timeout=10)
        denied = browser.post(
            start.headers["Location"],
            data={"username": "alice", "password": "provider-pass", "action": "deny"},
            allow_redirects=False,
            timeout=10,
        )
    answer = client.get(callback_path(denied.headers["Location"]))
    assert answer.status_code == 403 and "did not sign you in" in answer.get_data(as_text=True)
    assert counts() == (0, 0)


def test_a_slow_provider_times_out_with_a_clear_page(app, client, provider):
    app.config["OIDC_TIMEOUT"] = 0.5
    provider.tamper, provider.slow_seconds = "slow", 3
    start = start_oidc(client)
    callback = callback_path(provider.sign_in(start.headers["Location"], "alice", "provider-pass"))
    began = time.monotonic()
    answer = client.get(callback)
    assert time.monotonic() - began < 2.5
    assert answer.status_code == 503 and "unavailable" in answer.get_data(as_text=True)
    assert counts() == (0, 0)


def test_a_provider_that_is_down_is_a_clear_page_and_passwords_still_work(app, client):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # discard port: nothing listens
    admin = make_user("root@example.com", admin=True)
    answer = start_oidc(client)
    assert answer.status_code == 503
    assert "The sign-in service is unavailable" in answer.get_data(as_text=True)
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(
    "target", ["https://evil.example/phish", "//evil.example", "/\\evil.example", "javascript:alert(1)"]
)
def test_the_return_address_cannot_leave_the_site(app, client, provider, target):
    answer = sign_in_oidc(client, provider, "alice", next_url=target)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


def test_huge_and_control_character_claims_are_cleaned(app, client, provider):
    provider.add_user(
        "dave",
        "provider-pass",
        email="dave@example.com",
        email_verified=True,
        name="D" * 10_000,
        department="Ops\x00\x1b[31m\u202e team\n\tnorth",
        title=["Lead", "x"],
        locality={"nested": "object"},
    )
    assert sign_in_oidc(client, provider, "dave").status_code == 302
    user = _user("dave@example.com")
    assert user.display_name == "D" * 80 and user.department == "Ops [31m team north"
    assert (user.title, user.location) == ("Lead", "")


def test_an_unusable_email_claim_creates_nothing(app, client, provider):
    provider.add_user("eve", "provider-pass", email="e" * 10_000 + "@example.com", email_verified=True)
    answer = sign_in_oidc(client, provider, "eve")
    assert answer.status_code == 400 and "cannot be used" in answer.get_data(as_text=True)
    assert counts() == (0, 0)


def test_a_disabled_account_is_refused(app, client, provider):
    assert sign_in_oidc(client, provider, "alice").status_code == 302
    client.post("/logout", data={})
    user = _user("alice@example.com")
    user.is_disabled = True
    db.session.commit()
    answer = sign_in_oidc(client, provider, "alice")
    assert answer.status_code == 403 and "disabled" in answer.get_data(as_text=True)
    assert signed_in_as(client) is None


def test_sign_out_offers_the_providers_end_session_endpoint(app, client, provider):
    sign_in_oidc(client, provider, "alice")
    page = client.post("/logout", data={}, follow_redirects=True).get_data(as_text=True)
    assert f'href="{provider.url}/logout?client_id=cop-test-client&amp;post_logout_redirect_uri=' in page
    assert "Sign out of Test SSO too" in page
    # Shown once, and not after a password sign-in.
    assert "Sign out of Test SSO" not in client.get("/login").get_data(as_text=True)
    make_user("local@example.com")
    client.post("/login", data={"email": "local@example.com", "password": PASSWORD})
    assert "Sign out of Test SSO" not in client.post("/logout", data={}, follow_redirects=True).get_data(as_text=True)


def test_no_end_session_link_when_the_provider_does_not_advertise_one(app, client, provider):
    provider.advertise_end_session = False
    sign_in_oidc(client, provider, "alice")
    page = client.post("/logout", data={}, follow_redirects=True).get_data(as_text=True)
    assert "You are logged out" in page and "Sign out of Test SSO" not in page


def test_back_channel_logout_ends_every_session_of_that_person(app, client, provider):
    assert sign_in_oidc(client, provider, "alice").status_code == 302
    other_device = app.test_client()
    assert sign_in_oidc(other_device, provider, "alice").status_code == 302
    answer = client.post(
        "/login/oidc/backchannel-logout", csrf=False, data={"logout_token": provider.logout_token("sub-alice")}
    )
    assert answer.status_code == 200
    assert signed_in_as(client) is None and signed_in_as(other_device) is None
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "account.sessions_ended"))


@pytest.mark.parametrize(
    "forgery", ["other-key", "wrong-aud", "wrong-iss", "no-event", "nonce", "old", "no-jti", "garbage"]
)
def test_a_forged_back_channel_logout_ends_nothing(app, client, provider, forgery):
    from joserfc.jwk import RSAKey

    assert sign_in_oidc(client, provider, "alice").status_code == 302
    now = int(time.time())
    token = {
        "other-key": lambda: provider.logout_token("sub-alice", key=RSAKey.generate_key(2048, private=True)),
        "wrong-aud": lambda: provider.logout_token("sub-alice", aud="another-client"),
        "wrong-iss": lambda: provider.logout_token("sub-alice", iss="http://evil.example"),
        "no-event": lambda: provider.logout_token("sub-alice", events={}),
        "nonce": lambda: provider.logout_token("sub-alice", nonce="n"),
        "old": lambda: provider.logout_token("sub-alice", iat=now - 3600, exp=now + 60),
        "no-jti": lambda: provider.logout_token("sub-alice", jti=None),
        "garbage": lambda: "not.a.token",
    }[forgery]()
    answer = client.post("/login/oidc/backchannel-logout", csrf=False, data={"logout_token": token})
    assert answer.status_code == 400
    assert signed_in_as(client) == "alice@example.com"


def test_directory_fields_are_read_only_on_the_profile_form(app, client, provider):
    sign_in_oidc(client, provider, "alice")
    form = client.get("/account/profile").get_data(as_text=True)
    assert form.count("From the company directory") == 4 and form.count("readonly") == 4
    client.post(
        "/account/profile",
        data={
            "display_name": "Mallory",
            "title": "CEO",
            "department": "Board",
            "location": "Moon",
            "bio": "Mine.",
            "expertise": "",
        },
    )
    user = _user("alice@example.com")
    assert (user.display_name, user.title, user.department, user.location, user.bio_md) == (
        "Alice Archer",
        "Staff Engineer",
        "Platform Engineering",
        "Lisbon",
        "Mine.",
    )
