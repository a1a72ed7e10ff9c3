"""Tables that summarise threads and resources, kept current in the transaction of every write.

A *rollup* (the experts' evidence, ``cop.tags.evidence``; the share of voice per tag and day,
``cop.oversight.voice``) is a table of sums over rows that change all the time. Each registers here how to
read what a set of *scopes* (threads, resources) contributes to it, straight from the rows, and how to
apply a difference; this module follows the session in one place for all of them:

``before_flush`` notes the scopes the flush touches (a thread: its posts, accepted answer, helpful marks,
tags, community, removal; a resource), locks them and reads each rollup's contributions as they were;
``after_flush`` reads them again and applies the difference. Scopes are recomputed from their rows rather
than adjusted by hand, so every write that changes them counts, whichever service made it. The lock (the
thread or resource row on PostgreSQL, the write lock on SQLite) keeps two transactions on the same
thread from each counting the other's post. Writes the ORM does not see (a tag merge, a bulk update)
call ``track`` around them or rebuild what they touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import has_app_context
from sqlalchemy import Connection, inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from cop.database import attach_session_hooks
from cop.discussions.models import Post, Thread
from cop.library.models import Resource
from cop.reactions.models import Reaction


@dataclass(frozen=True)
class Rollup:
    """``read(connection, thread_ids, resource_ids)``: what those scopes contribute, from the rows (any
    value ``apply`` understands); ``apply(connection, before, after)``: store the difference."""

    name: str
    read: Callable[[Connection, set[int], set[int]], Any]
    apply: Callable[[Connection, Any, Any], None]


_ROLLUPS: dict[str, Rollup] = {}

_STATE = "cop_rollups"
_THREAD_FIELDS = ("community_id", "is_deleted", "accepted_post_id", "accepted_post", "tags")
_POST_FIELDS = (
    "thread_id",
    "thread",
    "author_id",
    "author",
    "created_at",
    "is_deleted",
    "is_hidden",
    "sentiment",
    "sentiment_label",
)
_RESOURCE_FIELDS = ("community_id", "author_id", "author", "created_at", "is_deleted", "tags")


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _ids(obj: Any, column: str, relation: str) -> set[int]:
    """Every id ``obj`` points at through ``column`` in this flush: now and before it, and through the
    relationship when only that was set (a new post given its thread object)."""
    state = inspect(obj)
    history = state.attrs[column].history
    ids = {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}
    target = state.dict.get(relation)  # set or loaded already: never loaded here
    if target is not None and getattr(target, "id", None) is not None:
        ids.add(target.id)
    return ids


def _scopes(session: Any, connection: Connection) -> tuple[set[int], set[int], list[Any]]:
    """(thread ids, resource ids) whose rollups this flush may change, and the new objects whose
    ids the flush has yet to assign (their scopes had nothing before)."""
    threads: set[int] = set()
    resources: set[int] = set()
    pending: list[Any] = []
    reacted: set[int] = set()
    for collection, change in ((session.new, "new"), (session.dirty, "dirty"), (session.deleted, "deleted")):
        for obj in collection:
            if isinstance(obj, Post):
                if change != "dirty" or _changed(obj, _POST_FIELDS):
                    threads |= _ids(obj, "thread_id", "thread")
                    pending.append(obj)
            elif isinstance(obj, Thread):
                if change == "new":
                    pending.append(obj)
                elif change == "deleted" or _changed(obj, _THREAD_FIELDS):
                    threads.add(obj.id)
            elif isinstance(obj, Reaction):
                if obj.kind == "helpful" and (change != "dirty" or _changed(obj, ("post_id", "user_id", "kind"))):
                    reacted |= {v for v in (obj.post_id, *inspect(obj).attrs.post_id.history.deleted) if v is not None}
            elif isinstance(obj, Resource):
                if change == "new":
                    pending.append(obj)
                elif change == "deleted" or _changed(obj, _RESOURCE_FIELDS):
                    resources.add(obj.id)
    if reacted:
        threads |= set(connection.scalars(select(Post.thread_id).where(Post.id.in_(sorted(reacted)))))
    return threads, resources, pending


def _lock(connection: Connection, threads: set[int], resources: set[int]) -> None:
    """Keep other writers off these scopes until this transaction ends, so what is read now stays true.

    PostgreSQL: the threads' and resources' rows (in id order). SQLite: the database's write lock,
    taken now rather than at the flush's first write (a read outside a write transaction could be
    overtaken by another writer's commit before it).
    """
    if connection.dialect.name == "postgresql":
        if threads:
            connection.execute(
                select(Thread.id).where(Thread.id.in_(sorted(threads))).order_by(Thread.id).with_for_update()
            )
        if resources:
            connection.execute(
                select(Resource.id).where(Resource.id.in_(sorted(resources))).order_by(Resource.id).with_for_update()
            )
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def upsert_adding(connection: Connection, model: Any, key: list[str], totals: tuple[str, ...]) -> Any:
    """INSERT, or add to ``totals`` of the row with the same ``key`` (an executemany of changes)."""
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(model)
    return stmt.on_conflict_do_update(
        index_elements=key, set_={name: getattr(model, name) + stmt.excluded[name] for name in totals}
    )


def _read_all(connection: Connection, threads: set[int], resources: set[int]) -> dict[str, Any]:
    return {name: rollup.read(connection, threads, resources) for name, rollup in _ROLLUPS.items()}


def _apply_all(connection: Connection, before: dict[str, Any], threads: set[int], resources: set[int]) -> None:
    after = _read_all(connection, threads, resources)
    for name, rollup in _ROLLUPS.items():
        rollup.apply(connection, before[name], after[name])


@contextmanager
def track(connection: Connection, threads: set[int]) -> Iterator[None]:
    """Keep every rollup current across writes the session does not see (Core ``UPDATE``s) to ``threads``."""
    _lock(connection, threads, set())
    before = _read_all(connection, threads, set())
    yield
    _apply_all(connection, before, threads, set())


def _before_flush(session: Any, _flush_context: Any, _instances: Any) -> None:
    session.info.pop(_STATE, None)
    if not has_app_context() or not _ROLLUPS or not (session.new or session.dirty or session.deleted):
        return
    connection = session.connection()
    threads, resources, pending = _scopes(session, connection)
    if not (threads or resources or pending):
        return
    _lock(connection, threads, resources)
    session.info[_STATE] = (threads, resources, pending, _read_all(connection, threads, resources))


def _after_flush(session: Any, _flush_context: Any) -> None:
    noted = session.info.pop(_STATE, None)
    if noted is None:
        return
    threads, resources, pending, before = noted
    threads, resources = set(threads), set(resources)
    for obj in pending:  # ids are assigned now
        if isinstance(obj, Thread):
            threads.add(obj.id)
        elif isinstance(obj, Post) and obj.thread_id is not None:
            threads.add(obj.thread_id)
        elif isinstance(obj, Resource):
            resources.add(obj.id)
    _apply_all(session.connection(), before, threads, resources)


def _after_soft_rollback(session: Any, _previous_transaction: Any) -> None:
    session.info.pop(_STATE, None)


_LISTENERS = (
    ("before_flush", _before_flush),
    ("after_flush", _after_flush),
    ("after_soft_rollback", _after_soft_rollback),
)


def register(rollup: Rollup) -> None:
    """Follow the session for ``rollup`` too (the hooks are attached to Flask-SQLAlchemy's session class
    once per process; a rollup registered again replaces itself)."""
    _ROLLUPS[rollup.name] = rollup
    attach_session_hooks(_LISTENERS)
