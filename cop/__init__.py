"""cop: a platform for communities of practice."""

import os
import secrets
from datetime import timedelta

from flask import Flask, Request, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from config import Config
from cop import database  # registers the engine listeners (SQLite pragmas, read-only COMMIT) for every engine

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class CopRequest(Request):
    """A request whose body may be large only when it is a multipart upload.

    Werkzeug applies ``MAX_FORM_MEMORY_SIZE`` to multipart fields only; an
    urlencoded (or any other) body is read and parsed whole, so without this
    a 10 MB form post would be parsed (up to ``MAX_CONTENT_LENGTH``) instead
    of refused with a 413.
    """

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self.mimetype == "multipart/form-data":
            return limit
        form_limit = self.max_form_memory_size
        if form_limit is None:
            return limit
        return form_limit if limit is None else min(limit, form_limit)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def create_app(config_class=Config) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=getattr(config_class, "INSTANCE_PATH", None) or None,
    )
    app.request_class = CopRequest
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    resolve_instance_defaults(app)
    database.resolve_engine_options(app)
    resolve_upload_limit(app)
    resolve_cookie_security(app)
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The client's address as the proxy saw it (rate limits count per address), not the proxy's.
        # Wrapping wsgi_app is how Flask's documentation adds middleware; mypy sees it as replacing a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_HOPS"]))  # type: ignore[method-assign]
    register_extensions(app)
    register_login_rule(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_identity(app)
    register_cli(app)
    return app


def resolve_instance_defaults(app: Flask) -> None:
    """Fill settings whose default lives in the instance folder."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "cop.db")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(app.instance_path)
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = os.path.join(app.instance_path, "search_index")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # Shared by every worker on this host (cop.ratelimits); several hosts set redis://.
        from cop.ratelimits import storage_uri

        app.config["RATELIMIT_STORAGE_URI"] = storage_uri(os.path.join(app.instance_path, "ratelimits.sqlite"))


def resolve_upload_limit(app: Flask) -> None:
    """A request body may be ``MAX_UPLOAD_MB`` plus 1 MB for the form's other fields and multipart framing.

    Derived here, not in ``Config``, so a config that only sets
    ``MAX_UPLOAD_MB`` (a test's 1 MB) moves both. The exact file limit is
    enforced while the upload is stored (``cop.library.storage``).
    """
    app.config["MAX_CONTENT_LENGTH"] = (int(app.config["MAX_UPLOAD_MB"]) + 1) * 1024 * 1024


def resolve_cookie_security(app: Flask) -> None:
    """``SECURE_COOKIES`` is the one switch for HTTPS: it also marks cookies Secure.

    ``Config`` derives the cookie flags from the environment at import time,
    so a config class that only sets ``SECURE_COOKIES`` would otherwise send
    HSTS with cookies a plain-HTTP request could still carry.
    """
    if app.config.get("SECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _instance_secret_key(instance_path: str) -> str:
    """Read the generated secret key, creating it (mode 0600) on first use."""
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_hex(32)
        handle.write(key)
    return key


def register_extensions(app: Flask) -> None:
    # Models must be imported so metadata (and Alembic) sees every table.
    from cop import (  # noqa: F401
        models,
        notifications,
        ratelimits,  # noqa: F401  (registers the cop-sqlite:// rate-limit storage)
        webhooks,
    )
    from cop.extensions import csrf, db, limiter, login_manager, migrate
    from cop.oversight import voice
    from cop.search import outbox
    from cop.tags import evidence

    outbox.register()
    evidence.register()
    voice.register()
    notifications.init_app(app)
    webhooks.init_app(app)

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    database.init_app(app)

    # Sessions live server-side (cop.accounts.sessions); the remember cookie lasts no longer than they do.
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(seconds=int(app.config["SESSION_MAX_AGE"]))

    @login_manager.user_loader
    def load_user(identity: str):
        from cop.accounts.sessions import user_for_identity

        return user_for_identity(identity)


def register_login_rule(app: Flask) -> None:
    """Every page asks for a login except the few listed in ``cop.access`` (default deny)."""
    from cop import access

    access.register(app)


def register_blueprints(app: Flask) -> None:
    from cop.accounts.views import bp as accounts_bp
    from cop.admin.views import bp as admin_bp
    from cop.communities.views import bp as communities_bp
    from cop.discussions.views import bp as discussions_bp
    from cop.events.views import bp as events_bp
    from cop.feeds.views import bp as feeds_bp
    from cop.identity.admin_views import bp as identity_admin_bp
    from cop.identity.views import bp as identity_bp
    from cop.library.views import bp as library_bp
    from cop.notifications.views import bp as notifications_bp
    from cop.ops.views import bp as ops_bp
    from cop.oversight.views import bp as oversight_bp
    from cop.reactions.views import bp as reactions_bp
    from cop.reading.views import bp as reading_bp
    from cop.search.views import bp as search_bp
    from cop.tags.views import admin_bp as tags_admin_bp, bp as tags_bp
    from cop.value.views import bp as value_bp
    from cop.writing.views import bp as writing_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(communities_bp)
    app.register_blueprint(discussions_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(tags_bp)
    app.register_blueprint(tags_admin_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(value_bp)
    app.register_blueprint(oversight_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(identity_admin_bp)
    app.register_blueprint(reactions_bp)
    app.register_blueprint(reading_bp)
    app.register_blueprint(writing_bp)
    register_api(app)


def register_api(app: Flask) -> None:
    """The REST API (``/api/v1``), its documentation (``/api``) and the token pages (``cop.api``)."""
    from cop import api
    from cop.webhooks.views import bp as webhooks_bp

    api.init_app(app)
    app.register_blueprint(webhooks_bp)


ERROR_TEXT = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "There is nothing here, or it is not visible to you."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is larger than we accept. Please send something smaller."),
    429: ("Too many attempts", "Please wait a little before trying again."),
    503: ("Try again in a moment", "The site is busy or cannot save just now. Nothing was changed."),
    500: ("Something went wrong", "An unexpected error happened on our side. It has been logged."),
}


def register_errorhandlers(app: Flask) -> None:
    def render_error(code: int, message: str | None = None):
        title, default_message = ERROR_TEXT.get(code, ERROR_TEXT[500])
        return render_template("errors/error.html", code=code, title=title, message=message or default_message), code

    from cop.api import api_error_response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return render_error(
            400,
            "Your form expired or was not sent from this site. "
            "Go back, reload the page and try again; nothing was changed.",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc):
        api_problem = api_error_response(exc)  # under /api/v1: a problem document, not a page
        if api_problem is not None:
            return api_problem
        if exc.code in ERROR_TEXT:
            return render_error(exc.code)
        return exc

    from cop import unavailable

    unavailable.register(app, render_error)
    register_service_errors(app, render_error)

    @app.errorhandler(500)
    def unexpected_error(exc):
        # Flask has already logged the traceback; the page never shows it.
        api_problem = api_error_response(exc)
        return api_problem if api_problem is not None else render_error(500)


def register_service_errors(app: Flask, render_error) -> None:
    """Errors services raise that no form can show, answered once for every view after rolling back what
    the request did: ``NotAllowed`` is a 403 with the service's message, or a 404 for a thing the actor may
    not know of (``hidden``); an upload over the limit a 413. Under ``/api`` the same status as a problem
    document (the API blueprint words its own 413)."""
    from cop.api.errors import DETAILS, is_api_request, problem
    from cop.errors import NotAllowed
    from cop.extensions import db
    from cop.library.storage import UploadTooLarge

    @app.errorhandler(NotAllowed)
    def not_allowed(exc: NotAllowed):
        db.session.rollback()
        message = None if exc.hidden else exc.message
        if is_api_request():
            return problem(exc.status, message or DETAILS[exc.status])
        return render_error(exc.status, message)

    @app.errorhandler(UploadTooLarge)
    def upload_too_large(_exc):
        db.session.rollback()
        return render_error(413)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SECURE_COOKIES"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_template_helpers(app: Flask) -> None:
    from cop import permissions
    from cop.markup import safe_html
    from cop.timefmt import localtime

    app.jinja_env.globals.update(permissions.TEMPLATE_PREDICATES)
    app.jinja_env.filters["safe_html"] = safe_html
    app.jinja_env.filters["localtime"] = localtime


def register_identity(app: Flask) -> None:
    """Check the sign-in settings (``COP_AUTH_MODES`` and each mode's own) before serving anything."""
    from cop import identity

    identity.init_app(app)


def register_cli(app: Flask) -> None:
    from cop.cli import cop_cli

    app.cli.add_command(cop_cli)
