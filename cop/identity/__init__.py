"""Enterprise identity: sign-in with OpenID Connect or LDAP / Active Directory, accounts made and
refreshed from the provider's claims, and community memberships that follow directory groups.

``COP_AUTH_MODES`` names the ways to sign in (``local``, ``oidc``, ``ldap``), in the order the login
page offers them. ``init_app`` checks the settings once at start-up, so a misconfigured deployment
fails loudly instead of at someone's first sign-in.
"""

from authlib.common.security import is_secure_transport
from flask import Flask, current_app

MODES = ("local", "oidc", "ldap")
PROFILE_FIELDS = ("display_name", "email", "department", "title", "location", "expertise")
DEFAULT_OIDC_CLAIMS = {
    "display_name": "name",
    "email": "email",
    "department": "department",
    "title": "title",
    "location": "locality",
    "expertise": "",
}
DEFAULT_LDAP_ATTRIBUTES = {
    "display_name": "displayName",
    "email": "mail",
    "department": "department",
    "title": "title",
    "location": "l",
    "expertise": "",
}


class IdentityConfigError(RuntimeError):
    """The sign-in settings cannot work (raised at start-up)."""


def parse_field_map(raw: str, defaults: dict[str, str]) -> dict[str, str]:
    """``"department=ou,title=title"`` over ``defaults``: which claim or attribute fills each profile field.

    An empty right-hand side (``expertise=``) leaves that field alone.
    :raise IdentityConfigError: an unknown field or a pair without ``=``.
    """
    mapping = dict(defaults)
    for pair in filter(None, (part.strip() for part in (raw or "").split(","))):
        field, sep, source = pair.partition("=")
        field = field.strip()
        if not sep or field not in PROFILE_FIELDS:
            raise IdentityConfigError(f"cannot read {pair!r}: use field=claim with a field from {PROFILE_FIELDS}")
        mapping[field] = source.strip()
    return mapping


def directory_fields(user) -> frozenset[str]:
    """The profile fields the provider or directory fills for ``user`` (refreshed at every sign-in, so not
    edited by hand): those with a claim or attribute in the map, for accounts that sign in that way."""
    config = current_app.config
    if user.auth_source == "oidc":
        mapping = parse_field_map(config.get("OIDC_CLAIM_MAP", ""), DEFAULT_OIDC_CLAIMS)
    elif user.auth_source == "ldap":
        mapping = parse_field_map(config.get("LDAP_ATTRIBUTE_MAP", ""), DEFAULT_LDAP_ATTRIBUTES)
    else:
        return frozenset()
    return frozenset(name for name in ("display_name", "department", "title", "location") if mapping.get(name))


def auth_modes(app: Flask | None = None) -> tuple[str, ...]:
    """The enabled ways to sign in, in the configured order."""
    return tuple((app or current_app).config.get("AUTH_MODES") or ("local",))


def mode_enabled(mode: str) -> bool:
    return mode in auth_modes()


def init_app(app: Flask) -> None:
    """Check the sign-in settings and expose them to templates.

    :raise IdentityConfigError: an unknown mode, or a mode without the settings it needs.
    """
    modes = auth_modes(app)
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise IdentityConfigError(f"COP_AUTH_MODES: unknown {unknown}; use any of {', '.join(MODES)}")
    config = app.config
    if "oidc" in modes:
        missing = [name for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID") if not config.get(name)]
        if missing:
            raise IdentityConfigError(
                "COP_AUTH_MODES has oidc but these are not set: " + ", ".join("COP_" + name for name in missing)
            )
        if not is_secure_transport(config["OIDC_ISSUER"]):
            raise IdentityConfigError("COP_OIDC_ISSUER must be an https:// address (http only on loopback)")
        parse_field_map(config.get("OIDC_CLAIM_MAP", ""), DEFAULT_OIDC_CLAIMS)
    if "ldap" in modes:
        missing = [name for name in ("LDAP_URL", "LDAP_USER_BASE") if not config.get(name)]
        if missing:
            raise IdentityConfigError(
                "COP_AUTH_MODES has ldap but these are not set: " + ", ".join("COP_" + name for name in missing)
            )
        parse_field_map(config.get("LDAP_ATTRIBUTE_MAP", ""), DEFAULT_LDAP_ATTRIBUTES)

    from cop.identity.groups import check_file

    check_file(app)
    app.jinja_env.globals["auth_modes"] = auth_modes
    app.jinja_env.globals["provider_sign_out_url"] = provider_sign_out_url
    app.jinja_env.globals["directory_fields"] = directory_fields
    app.after_request(_allow_form_action_to_provider)


SIGN_IN_PAGES = frozenset({"accounts.login", "identity.ldap_login"})


def _allow_form_action_to_provider(response):
    """The "Sign in with ..." button posts to cop, which redirects to the provider: browsers check a
    form's redirects against CSP ``form-action`` too, so the login page also allows the issuer's
    origin (and the authorization endpoint's, once discovery is known). Runs before cop's own
    security headers, which keep a policy already set."""
    from flask import request

    if request.endpoint not in SIGN_IN_PAGES or not mode_enabled("oidc"):
        return response
    from cop import CONTENT_SECURITY_POLICY
    from cop.identity.oidc import oidc_client

    origins = {_origin(current_app.config["OIDC_ISSUER"])}
    metadata = oidc_client()._metadata  # only what is already known: rendering the page never waits
    if metadata:
        origins.add(_origin(metadata["authorization_endpoint"]))
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", "form-action 'self' " + " ".join(sorted(origins))
    )
    return response


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def provider_sign_out_url() -> str | None:
    """After signing out of a session that began at the OpenID Provider: the provider's end-session
    address (when its discovery document advertises one), offered once on the login page."""
    from flask import session, url_for

    from cop.identity.oidc import oidc_client

    if "signed_out_of" not in session:  # (pop would mark every session modified)
        return None
    if session.pop("signed_out_of") != "oidc" or not mode_enabled("oidc"):
        return None
    return oidc_client().end_session_url(current_app.config["BASE_URL"] + url_for("accounts.login"))
