"""Sign-in through an OpenID Provider or an LDAP directory (the password form stays in cop.accounts)."""

import logging
import time

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user

from cop.accounts.forms import ConfirmForm, LoginForm
from cop.accounts.views import _failed_login, _ip_limit, _start_session, safe_next
from cop.extensions import csrf, db, limiter
from cop.identity import DEFAULT_OIDC_CLAIMS, mode_enabled, parse_field_map, provisioning
from cop.identity.errors import AccountRefused, SignInError, SignInRejected
from cop.identity.oidc import FLOW_MAX_AGE, UNVERIFIED, oidc_client

log = logging.getLogger(__name__)

bp = Blueprint("identity", __name__)

MAX_PENDING_FLOWS = 3  # sign-ins started in other tabs that may still come back


def _require_mode(mode: str) -> None:
    """:raise 404: the mode is not enabled (the route does not exist for this site)."""
    if not mode_enabled(mode):
        abort(404)


def sign_in_failed(exc: SignInError, method: str):
    """The page for a sign-in that did not happen; the log gets the exact reason, the page does not."""
    db.session.rollback()
    log.warning("%s sign-in refused (%s): %s", method, type(exc).__name__, exc.reason)
    return render_template("identity/sign_in_failed.html", error=exc), exc.status


def provider_name() -> str:
    return current_app.config.get("OIDC_PROVIDER_NAME") or "single sign-on"


@bp.route("/login/oidc", methods=["POST"])
def oidc_start():
    """Send the browser to the provider, remembering this attempt's state, nonce and PKCE verifier."""
    _require_mode("oidc")
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        url, flow = oidc_client().begin(current_app.config["BASE_URL"] + url_for(".oidc_callback"))
    except SignInError as exc:
        return sign_in_failed(exc, "oidc")
    now = time.time()
    pending = {
        state: f
        for state, f in (session.get("oidc_flows") or {}).items()
        if now - float(f.get("started") or 0) < FLOW_MAX_AGE
    }
    pending = dict(sorted(pending.items(), key=lambda item: item[1]["started"])[-(MAX_PENDING_FLOWS - 1) :])
    pending[flow["state"]] = {**flow, "next": target}
    session["oidc_flows"] = pending
    return redirect(url)


@bp.route("/login/oidc/callback")
def oidc_callback():
    """The provider sends the browser back here with a code (or an error) and the state.

    Each attempt's state works once: it is dropped from the session before anything else happens.
    """
    _require_mode("oidc")
    state = request.args.get("state", "")[:200]
    pending = dict(session.get("oidc_flows") or {})
    flow = pending.pop(state, None) if state else None
    session["oidc_flows"] = pending
    try:
        if flow is None:
            raise SignInRejected(
                "This sign-in attempt is not valid: it was already used, it expired, or it was "
                "started in another browser. Nothing was changed; please start again.",
                "unknown or replayed state",
            )
        provider_error = request.args.get("error")
        if provider_error:
            raise AccountRefused(
                f"{provider_name()} did not sign you in. If your company account was recently closed or "
                "changed, ask IT.",
                f"provider error {provider_error[:100]!r}",
            )
        code = request.args.get("code", "")
        if not code or len(code) > 2048:
            raise SignInRejected(UNVERIFIED, "no code")
        client = oidc_client()
        claims = client.finish(flow, code)
        field_map = parse_field_map(current_app.config.get("OIDC_CLAIM_MAP", ""), DEFAULT_OIDC_CLAIMS)
        profile = provisioning.ExternalProfile.from_claims(
            claims, field_map, groups=claims.get(current_app.config.get("OIDC_GROUPS_CLAIM") or "groups")
        )
        user = provisioning.sign_in_external("oidc", claims["sub"], profile)
    except SignInError as exc:
        return sign_in_failed(exc, "oidc")
    _start_session(user)
    session["signed_in_with"] = "oidc"
    return redirect(flow["next"])


def _ldap_account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"]


def _ldap_account_key() -> str:
    return f"ldap-login:{get_remote_address()}:" + (request.form.get("username") or "").strip().lower()[:256]


@bp.route("/login/ldap", methods=["POST"])
@limiter.limit(_ip_limit)
@limiter.limit(_ldap_account_limit, key_func=_ldap_account_key, deduct_when=_failed_login)
def ldap_login():
    """Sign in with the directory's user name and password; a wrong pair shows the login page again."""
    _require_mode("ldap")
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    username = (request.form.get("username") or "").strip()
    try:
        user = provisioning.sign_in_with_directory(username, request.form.get("password") or "")
    except SignInError as exc:
        return sign_in_failed(exc, "ldap")
    if user is None:
        message = (
            "Enter your password."
            if not request.form.get("password")
            else "That user name and password do not match an active account in the directory."
        )
        return render_template(
            "accounts/login.html", form=LoginForm(formdata=None), ldap_error=message, ldap_username=username[:256]
        ), 400
    _start_session(user)
    session["signed_in_with"] = "ldap"
    return redirect(target)


@bp.route("/login/oidc/backchannel-logout", methods=["POST"])
@csrf.exempt
def oidc_backchannel_logout():
    """The provider says a person's session there ended (signed out everywhere, disabled, deleted): end
    all their cop sessions too. The provider, not a browser, posts here, so there is no CSRF token:
    the signed ``logout_token`` is the proof (OpenID Connect Back-Channel Logout 1.0)."""
    _require_mode("oidc")
    try:
        claims = oidc_client().verify_logout_token(request.form.get("logout_token", ""))
    except SignInError as exc:
        log.warning("oidc back-channel logout refused: %s", exc.reason)
        return jsonify(error="invalid_request"), 400
    provisioning.end_sessions_of("oidc", claims["sub"], "back-channel logout from the provider")
    return "", 200
