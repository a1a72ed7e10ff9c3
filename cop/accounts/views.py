from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from cop.accounts import registration, reset, services, sessions
from cop.accounts.forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from cop.accounts.models import User
from cop.communities.services import public_memberships
from cop.errors import DomainError
from cop.events.services import zone_names
from cop.extensions import db, limiter
from cop.forms import form_status, page_arg, show_domain_error, showing_errors
from cop.tags import experts

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a same-site path, else the home page.

    Rejected: anything not starting with a single ``/`` (so ``//host`` and
    ``https://…``), backslashes (browsers read ``/\\host`` as ``//host``),
    control characters and whitespace tricks, and anything that parses to a
    scheme or host.
    """
    home = url_for("communities.home")
    if not target or not isinstance(target, str) or len(target) > 2000:
        return home
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return home
    if not target.startswith("/") or target.startswith("//"):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return home
    return target


def _login_account_key() -> str:
    """Failed logins count per account *and* client address: an attacker elsewhere cannot lock the
    owner out (the per-address limit bounds how many accounts one address may try)."""
    return f"login-account:{get_remote_address()}:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed_login(response) -> bool:
    return response.status_code != 302


def _ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_IP"]


def _account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"]


def _require_local_accounts() -> None:
    """:raise 404: with ``local`` off in ``COP_AUTH_MODES`` there is no registration or password reset."""
    if "local" not in current_app.config["AUTH_MODES"]:
        abort(404)


def _start_session(user: User, remember: bool = False) -> None:
    """Log in with a fresh session: nothing from before login carries over.

    The session is recorded server-side (``cop.accounts.sessions``) so sign-out can end it.
    """
    session.clear()
    sessions.start_session(user, remember=remember, user_agent=request.user_agent.string)
    login_user(user, remember=remember)


def _sign_out_this_browser() -> None:
    """Forget the signed-in user in this browser: the session and the "Keep me signed in" cookie.

    logout_user() leaves a flag telling Flask-Login to delete the remember cookie in this response:
    clear everything else but keep that flag, or the cookie signs the browser back in.
    """
    logout_user()
    remember = session.get("_remember")
    session.clear()
    if remember:
        session["_remember"] = remember


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def register():
    """Answers the same whether or not the address has an account: the link, or the note to its owner,
    comes by e-mail (``cop.accounts.registration``)."""
    _require_local_accounts()
    if current_user.is_authenticated:
        return redirect(url_for("communities.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        with showing_errors(form):
            send = registration.request_account(form.email.data, form.display_name.data, form.password.data)
            registration.after_response(send)
            flash(
                "Almost there: we have sent a link to the address you gave. Open it within "
                f"{registration.LINK_MAX_AGE // 3600} hours to finish creating your account.",
                "info",
            )
            return redirect(url_for("accounts.login"))
    status = form_status(form)
    return render_template(
        "accounts/register.html", form=form, min_length=current_app.config["PASSWORD_MIN_LENGTH"]
    ), status


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token):
    """:raise 404: a forged or expired link (or no password sign-in on this site)."""
    _require_local_accounts()
    pending = registration.registration_for_token(token)
    if pending is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        user = registration.confirm(pending)
        if user is None:
            flash("This address already has an account: log in.", "info")
            return redirect(url_for("accounts.login"))
        _start_session(user)
        flash(f"Welcome, {user.display_name}! Find a community to join below.", "success")
        return redirect(url_for("communities.directory"))
    return render_template("accounts/register_confirm.html", form=form, registration=pending)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_login_account_key, deduct_when=_failed_login)
def login():
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            return redirect(target)
        form.password.errors = ["That e-mail and password do not match an active account."]
    status = form_status(form)
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    signed_in_with = session.get("signed_in_with")
    sessions.end_session(session.get("_user_id"))  # a copy of this session's cookies dies too
    _sign_out_this_browser()
    if signed_in_with == "oidc":  # offered on the login page: the provider's end-session endpoint
        session["signed_out_of"] = "oidc"
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/forgot-password", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def forgot_password():
    _require_local_accounts()
    if current_user.is_authenticated:
        return redirect(url_for("communities.home"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        registration.after_response(reset.reset_mail(form.email.data))  # the same work for any address
        flash(
            "If an account uses that address, we have sent it a link to choose a new password "
            f"(valid for {reset.RESET_MAX_AGE // 60} minutes).",
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form), form_status(form)


@bp.route("/account/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    """:raise 404: a forged, expired or already used link (or no password sign-in on this site)."""
    _require_local_accounts()
    user = reset.user_for_reset_token(token)
    if user is None:
        abort(404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset.reset_password(user, form.password.data)
        except DomainError as exc:
            exc.field = "password"
            show_domain_error(form, exc)
        else:
            _start_session(user)
            flash("Your password is changed and you are logged in. Other sessions have been signed out.", "success")
            return redirect(url_for("communities.home"))
    return render_template(
        "accounts/reset_password.html",
        form=form,
        email=user.email,
        min_length=current_app.config["PASSWORD_MIN_LENGTH"],
    ), form_status(form)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """:raise 404: for people who sign in through a provider or directory (they have no cop password)."""
    if not current_user.uses_password:
        abort(404)
    form = ChangePasswordForm()
    if form.validate_on_submit():
        with showing_errors(form):
            services.change_password(current_user, form.current_password.data, form.new_password.data)
            _start_session(current_user._get_current_object())
            flash("Password changed. Your other sessions have been signed out.", "success")
            return redirect(url_for("accounts.profile", handle=current_user.handle))
    status = form_status(form)
    return render_template(
        "accounts/password.html", form=form, min_length=current_app.config["PASSWORD_MIN_LENGTH"]
    ), status


@bp.route("/account/profile", methods=["GET", "POST"])
def edit_profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user) if request.method == "GET" else ProfileForm()
    if request.method == "GET":
        form.bio.data = user.bio_md
        form.expertise.data = ", ".join(t.name for t in user.expertise)
    if form.validate_on_submit():
        with showing_errors(form):
            services.update_profile(
                user,
                display_name=form.display_name.data,
                title=form.title.data,
                department=form.department.data,
                location=form.location.data,
                bio=form.bio.data,
                expertise=form.expertise.data,
            )
            services.set_time_zone(user, form.time_zone.data)
            flash("Profile saved.", "success")
            return redirect(url_for("accounts.profile", handle=user.handle))
    status = form_status(form)
    return render_template("accounts/edit_profile.html", form=form, zone_names=zone_names()), status


@bp.route("/account/time-zone", methods=["POST"])
def browser_time_zone():
    """The browser's zone (``static/timezone.js``) for someone who has not chosen one; a chosen one stays.

    204 either way; 400 for a name that is not an IANA zone.
    """
    try:
        services.set_time_zone(
            current_user._get_current_object(), request.form.get("time_zone", "")[:64] or "-", only_if_unset=True
        )
    except DomainError as exc:
        return exc.message, 400
    return "", 204


@bp.route("/people")
def people():
    query = request.args.get("q", "")[:100]
    department = request.args.get("department", "")[:120]
    tag = request.args.get("tag", "")[:40]
    sort = "knows" if request.args.get("sort") == "knows" else "name"
    pagination = services.people_directory(query, department, tag, page=page_arg(request))
    knowers = experts.directory_ranking(current_user, tag, department) if sort == "knows" and tag else None
    return render_template(
        "accounts/people.html",
        pagination=pagination,
        query=query,
        department=department,
        tag=tag,
        departments=services.departments(),
        sort=sort,
        knowers=knowers,
    )


@bp.route("/people/<handle>")
def profile(handle):
    user = db.session.scalar(select(User).where(User.handle == handle))
    if user is None or (user.is_disabled and not current_user.is_admin):
        abort(404)
    own = user.id == current_user.id
    return render_template(
        "accounts/profile.html",
        person=user,
        memberships=public_memberships(user, current_user),
        sessions=sessions.active_sessions(user) if own else (),
        this_session=getattr(current_user, "_session_id", None),
    )


@bp.route("/account/sessions/end-all", methods=["POST"])
def end_all_sessions():
    """Sign out everywhere: every session of this account ends, this one included."""
    services.sign_out_everywhere(current_user._get_current_object())
    _sign_out_this_browser()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("accounts.login"))
