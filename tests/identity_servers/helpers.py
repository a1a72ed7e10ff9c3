"""Helpers for tests that sign in through the test OpenID Provider or OpenLDAP."""

from urllib.parse import quote, urlsplit

from sqlalchemy import func, select

from cop.accounts.models import User
from cop.extensions import db
from cop.identity.models import ExternalIdentity
from tests.identity_servers.oidc_provider import CLIENT_ID, CLIENT_SECRET


def oidc_config(provider, **overrides) -> dict:
    """App settings for cop as a client of ``provider``."""
    return {
        "AUTH_MODES": ("oidc", "local"),
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": CLIENT_ID,
        "OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_PROVIDER_NAME": "Test SSO",
        "OIDC_TIMEOUT": 2,
        "LINK_EMAIL_DOMAINS": ("example.com",),
        **overrides,
    }


def start_oidc(client, next_url=None):
    """Press "Sign in with ...": cop answers with a redirect to the provider."""
    url = "/login/oidc" + ("" if next_url is None else "?next=" + quote(next_url, safe=""))
    return client.post(url, data={})


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def sign_in_oidc(client, provider, username, password="provider-pass", next_url=None):
    """The whole round trip; returns cop's answer to the provider's redirect back."""
    start = start_oidc(client, next_url)
    assert start.status_code == 302, start.get_data(as_text=True)[:500]
    return client.get(callback_path(provider.sign_in(start.headers["Location"], username, password)))


def counts() -> tuple[int, int]:
    """(accounts, external identities): what a refused sign-in must leave unchanged."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(User)),
        db.session.scalar(select(func.count()).select_from(ExternalIdentity)),
    )


def signed_in_as(client) -> str | None:
    """The e-mail of the person the client's session belongs to, from the profile link in the header."""
    page = client.get("/people")
    if page.status_code != 200:
        return None
    db.session.expire_all()
    for user in db.session.scalars(select(User)):
        if f'href="/people/{user.handle}" class="who"' in page.get_data(as_text=True):
            return user.email
    return None
