"""Busy, read-only or full storage answered as "try again in a moment" (503), not as a crash (500).

The driver's error is recognised where SQLAlchemy reports it (the engine's ``handle_error`` event)
and, during a request, replaced by ``cop.errors.Unavailable``: a ``DomainError``, so every view that
shows a service's error next to its form keeps the user's text and says what happened, and
``form_status`` gives 503. Other requests get the 503 page (or problem document) from
``register``'s handler. The cause is logged once per request. Outside requests (commands, workers)
the original error is raised unchanged, so their own retry logic still sees it.
"""

import errno
import sqlite3

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cop.errors import Unavailable

# SQLite reports these conditions only in the message of an OperationalError.
_SQLITE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "readonly database",
    "disk is full",
    "disk i/o error",
    "unable to open database file",
)
# PostgreSQL SQLSTATEs: 53xxx insufficient resources (disk full, out of memory, too many connections),
# lock not available, read-only transaction, statement timeout, server shutting down or starting up.
_POSTGRES_STATES = ("55P03", "25006", "57014", "57P01", "57P02", "57P03")
_POSTGRES_CLASSES = ("53",)
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})
RETRY_AFTER_SECONDS = 5
_SEEN = "cop_unavailable"


def seen_in_this_request() -> bool:
    """Whether this request met busy, read-only or full storage (``form_status`` then answers 503)."""
    return bool(g.get(_SEEN))


def database_cause(error: BaseException) -> str | None:
    """A short description when ``error`` (a DBAPI error) means "busy, read-only or full", else None."""
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return str(error) if any(part in message for part in _SQLITE_MESSAGES) else None
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str) and (state in _POSTGRES_STATES or state[:2] in _POSTGRES_CLASSES):
        return f"{type(error).__name__} ({state}): {str(error).strip()}"
    return None


def storage_unavailable(error: OSError) -> Unavailable | None:
    """``Unavailable`` for a file-system error that means "full or read-only", else None (re-raise it)."""
    if error.errno in STORAGE_ERRNOS:
        return unavailable(f"upload store: {error.strerror or error}")
    return None


def unavailable(cause: str) -> Unavailable:
    """The exception to raise for ``cause``; logs it the first time in this request."""
    if has_request_context() and not g.get(_SEEN):
        setattr(g, _SEEN, True)
        current_app.logger.warning("answering 503 to %s %s: %s", request.method, request.path, cause)
    return Unavailable(cause)


@event.listens_for(Engine, "handle_error")
def _database_unavailable(context):
    # A failed pre-ping is the pool's to handle (it reconnects); only a statement's failure is answered.
    if not has_request_context() or context.is_pre_ping:
        return None
    cause = database_cause(context.original_exception)
    return unavailable(cause) if cause else None


def register(app: Flask, render_error) -> None:
    """The 503 page for requests whose view does not show the error on a form, and Retry-After."""
    from cop.extensions import db

    @app.errorhandler(Unavailable)
    def _unavailable(exc):
        db.session.rollback()
        return render_error(503, exc.message)

    @app.after_request
    def _retry_after(response):
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
        return response
