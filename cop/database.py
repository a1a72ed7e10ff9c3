"""How cop uses its database connections: SQLite's settings, and PostgreSQL's read-only requests ending in COMMIT.

Also the few query helpers the domains share: session hooks, a text filter, an UPDATE's row count.

The engine listeners are registered when this module is imported (``cop`` imports it, so every engine made
in this process has them); ``init_app`` adds the per-app parts.
"""

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, cast

from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import ARRAY, BindParameter, ColumnElement, Integer, all_, any_, bindparam, event, func, or_
from sqlalchemy.engine import Connection, CursorResult, Engine, Result

from cop.extensions import db

_WROTE = "cop_wrote"


def resolve_engine_options(app: Flask) -> None:
    """The driver's connection arguments. A copy: the config class's dict is shared.

    On SQLite, how long a write waits for another one's lock before the request answers 503
    (``SQLITE_BUSY_TIMEOUT`` seconds, the driver's ``timeout``). On PostgreSQL, the session settings of
    ``POSTGRES_OPTIONS`` (libpq's ``options``), by default:

    * no parallel workers. A parallel plan forks worker processes for one statement; with every core
      already busy serving requests they only add CPU (the portfolio on the large set: 34 ms more per
      page, 79 against 38 ms in all), and the planner chose them for the report and portfolio
      statements that scan a large table;
    * no JIT compilation. PostgreSQL compiles a statement whose estimated cost passes ``jit_above_cost``:
      the report's share of voice, whose subquery per row is costed far above what it takes, spent
      443 ms compiling for 78 ms of work.
    """
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options["connect_args"] = {
            "timeout": float(app.config["SQLITE_BUSY_TIMEOUT"]),
            **options.get("connect_args", {}),
        }
    elif uri.startswith("postgresql") and app.config.get("POSTGRES_OPTIONS"):
        options["connect_args"] = {"options": app.config["POSTGRES_OPTIONS"], **options.get("connect_args", {})}
    else:
        return
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def init_app(app: Flask) -> None:
    register_read_only_commit(app)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL for concurrent readers, real foreign keys. (The busy timeout, waiting for a lock instead of
    failing at once, is the driver's ``timeout``: ``SQLITE_BUSY_TIMEOUT``, see ``resolve_engine_options``.)"""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def register_read_only_commit(app: Flask) -> None:
    """On PostgreSQL, end a request's transaction that only read with COMMIT instead of ROLLBACK.

    The two are the same to the database when nothing was written, but psycopg forgets its prepared
    statements on every ROLLBACK: with COMMIT, PostgreSQL parses and plans each of a page's statements
    once per connection instead of on every request (the thread page: 10.8 -> 8.9 ms). Any statement
    other than a SELECT in the transaction (``_note_writes``), pending ORM changes, or an exception the
    request did not handle keep the ROLLBACK that closing the session does.
    """

    @app.teardown_request
    def commit_read_only(exc: BaseException | None) -> None:
        session = db.session()
        if exc is not None or not session.in_transaction() or session.new or session.dirty or session.deleted:
            return
        connection = session.connection()
        if connection.dialect.name != "postgresql" or connection.info.get(_WROTE):
            return
        try:
            session.commit()
        except Exception:  # the connection broke after the response was made: it is discarded
            app.logger.warning("could not end a read-only transaction", exc_info=True)
            session.rollback()


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(
    conn: Connection, _cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


def rowcount(result: Result[Any]) -> int:
    """The number of rows an UPDATE or DELETE run with ``db.session.execute`` matched.

    ``Session.execute`` is typed as returning any ``Result``; for such a statement it is a ``CursorResult``.
    """
    return cast(CursorResult[Any], result).rowcount


def attach_session_hooks(listeners: Iterable[tuple[str, Callable[..., Any]]]) -> None:
    """Attach each ``(event name, listener)`` to Flask-SQLAlchemy's session class, once per process.

    Every app made in the process (one a test) shares the class: a listener attached again would run twice.
    """
    for name, listener in listeners:
        if not event.contains(FlaskSession, name, listener):
            event.listen(FlaskSession, name, listener)


def in_bound_ids(column: Any, name: str, dialect: str, *, negate: bool = False) -> ColumnElement[bool]:
    """``column`` is one of the integers bound as ``name`` when the statement runs (``negate``: none of them),
    for a statement built once per ``dialect``.

    On PostgreSQL one array parameter (``= ANY``, ``<> ALL``): an expanding ``IN`` binds every value as a
    parameter of its own, and with hundreds of them (the communities a reader may or may not read) psycopg
    parsed the statement's text again on every run (it caches none with over 50 parameters), PostgreSQL
    parsed and planned it, and no two lengths were the same prepared statement. Elsewhere an expanding ``IN``.
    """
    if dialect == "postgresql":
        values = bindparam(name, type_=ARRAY(Integer))
        return column != all_(values) if negate else column == any_(values)
    expanding: BindParameter[Any] = bindparam(name, expanding=True)
    return column.not_in(expanding) if negate else column.in_(expanding)


def contains_text(query: str, *columns: Any) -> ColumnElement[bool]:
    """Any of ``columns`` contains ``query`` (trimmed), ignoring case: a list page's free-text filter.

    ``%`` and ``_`` in the query are not escaped: they act as LIKE wildcards.
    """
    like = f"%{query.strip().lower()}%"
    return or_(*(func.lower(column).like(like) for column in columns))
