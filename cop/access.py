"""Who may reach a page without signing in: nobody, except for the endpoints listed here (default deny).

One rule for the whole app (``register``): a request for any other endpoint from someone not signed in
is sent to the login page, with ``next`` pointing back, before any view or blueprint hook runs. A new
route therefore asks for a login unless it is added to ``PUBLIC_ENDPOINTS`` on purpose
(``tests/functional/test_access_map.py`` checks both lists against every route).
"""

from flask import Flask, current_app, request
from flask_login import current_user
from flask_login.config import EXEMPT_METHODS

from cop.extensions import login_manager

PUBLIC_ENDPOINTS = frozenset(
    {
        "static",
        # Signing in and registering (each answers a signed-in visitor by sending them on).
        "accounts.login",
        "accounts.register",
        "accounts.forgot_password",
        # Logging out: an expired session's button lands on the login page, not on one that logs out again.
        "accounts.logout",
        # Sign-in through a provider or directory (a 404 while that way is off: cop.identity), and the
        # provider's server-to-server logout.
        "identity.oidc_start",
        "identity.oidc_callback",
        "identity.ldap_login",
        "identity.oidc_backchannel_logout",
        # Reached from an e-mail's signed link: the token says who (a forged one is a 404).
        "accounts.confirm_registration",
        "accounts.reset_password",
        "notifications.unsubscribe",
        # Feed readers and calendar programs have no session: open content for anyone, the rest by the
        # reader's feed token (cop.feeds).
        "feeds.community_feed",
        "feeds.tag_feed",
        "feeds.search_feed",
        "feeds.community_calendar",
        "feeds.my_calendar",
        # The load balancer's health check, and the API's documentation (no data in either).
        "ops.healthz",
        "api_docs.index",
        "api-docs.openapi_json",
    }
)

#: Blueprints that authenticate every request themselves: the REST API takes only a bearer token and
#: answers 401 with a problem document without one (``cop.api.views._authenticate``), never a redirect.
TOKEN_BLUEPRINTS = frozenset({"api"})


def is_public(endpoint: str | None) -> bool:
    """Whether ``endpoint`` is reached without a session (listed, or in a blueprint with its own tokens)."""
    if endpoint is None:  # no route matched: the 404 or 405 is answered as it is
        return True
    return endpoint in PUBLIC_ENDPOINTS or endpoint.partition(".")[0] in TOKEN_BLUEPRINTS


def allow(app: Flask, endpoint: str) -> None:
    """Make ``endpoint`` public on this app only: for routes that are not cop's own, such as the
    benchmark's floor (``bench.floor``), added to an app after it is built."""
    app.extensions.setdefault("cop.public_endpoints", set()).add(endpoint)


def register(app: Flask) -> None:
    """Install the default-deny rule (before every other hook of the request, blueprints' included)."""

    @app.before_request
    def require_login():
        if is_public(request.endpoint) or request.endpoint in current_app.extensions.get("cop.public_endpoints", ()):
            return None
        if request.method in EXEMPT_METHODS or current_user.is_authenticated:
            return None
        if current_app.config.get("LOGIN_DISABLED"):
            return None
        return login_manager.unauthorized()  # the one bound to every app (create_app)
