"""Search follows the session: changed objects become outbox rows in the same transaction.

``after_flush`` sees every object the flush wrote and inserts one
``SearchOutbox`` row per affected document on the flush's own connection, so
the rows commit (or roll back) with the change. ``after_commit`` then asks
the indexer to catch up, in-process, unless ``SEARCH_INDEX_ON_COMMIT`` is off
(another process, or ``flask cop search catch-up``, applies them then).
Inside ``one_catch_up()`` (a bulk load's many commits) the rows wait until it ends, then one catch-up
applies them all.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, has_app_context
from sqlalchemy import DateTime, inspect, literal, select

from cop.accounts.models import User
from cop.communities.models import Community
from cop.database import attach_session_hooks
from cop.discussions.models import Post, Thread
from cop.extensions import utcnow
from cop.library.models import Resource, ResourceVersion
from cop.search.models import SearchOutbox

_PENDING = "search_outbox_written"
_deferred: ContextVar[bool] = ContextVar("search_catch_up_deferred", default=False)

# Attributes whose change alters a document (a login's last_login_at or a
# join's member_count does not, and would otherwise rewrite a document each time).
_PERSON_FIELDS = ("display_name", "handle", "title", "department", "location", "bio_md", "is_disabled", "expertise")
_COMMUNITY_FIELDS = ("name", "domain", "domain_tags")
_RESOURCE_IGNORED = ("use_count", "is_featured")


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _document_of(obj, change: str):
    """(doc_type, doc_id, action) for an ORM object, or None when it is not searchable or did not change.

    ``change`` is "new", "dirty" or "deleted" (the session collection it came from).
    """
    dirty, deleted = change == "dirty", change == "deleted"
    action = "delete" if deleted else "upsert"
    if isinstance(obj, Thread):
        return "thread", obj.id, action
    if isinstance(obj, Post):
        return "thread", obj.thread_id, "upsert"
    if isinstance(obj, ResourceVersion):
        return "resource", obj.resource_id, "upsert"
    if isinstance(obj, Resource):
        if dirty and not _changed(obj, [a.key for a in inspect(Resource).attrs if a.key not in _RESOURCE_IGNORED]):
            return None
        return "resource", obj.id, action
    if isinstance(obj, Community):
        if dirty and not _changed(obj, _COMMUNITY_FIELDS):
            return None
        return "community", obj.id, action
    if isinstance(obj, User):
        if dirty and not _changed(obj, _PERSON_FIELDS):
            return None
        return "person", obj.id, action
    return None


def _after_flush(session, _flush_context) -> None:
    if not has_app_context():
        return
    entries: dict[tuple[str, int], str] = {}
    for collection, change in ((session.new, "new"), (session.dirty, "dirty"), (session.deleted, "deleted")):
        for obj in collection:
            document = _document_of(obj, change)
            if document and document[1] is not None:
                doc_type, doc_id, action = document
                entries[(doc_type, doc_id)] = action
    if not entries:
        return
    now = utcnow()
    session.connection().execute(
        SearchOutbox.__table__.insert(),
        [
            {"doc_type": doc_type, "doc_id": doc_id, "action": action, "created_at": now}
            for (doc_type, doc_id), action in sorted(entries.items())
        ],
    )
    session.info[_PENDING] = True


def enqueue_owners(session, table, owner: str, doc_type: str, where) -> None:
    """Queue an upsert of every document that owns a row of association ``table`` matching ``where``.

    For bulk changes the ORM never sees (a tag renamed or merged changes the
    ``tags`` field of every thread, resource, person and community carrying
    it): one INSERT … SELECT in the caller's transaction, whatever the count.
    """
    owner_column = table.c[owner]
    session.execute(
        SearchOutbox.__table__.insert().from_select(
            ["doc_type", "doc_id", "action", "created_at"],
            select(literal(doc_type), owner_column, literal("upsert"), literal(utcnow(), DateTime))
            .where(where)
            .distinct(),
        )
    )
    session.info[_PENDING] = True


@contextmanager
def one_catch_up() -> Iterator[None]:
    """Commits inside leave their rows in the outbox; on leaving, one catch-up applies them (when
    ``SEARCH_INDEX_ON_COMMIT`` is on). For loads of many small commits, such as the demo data's 54:
    one index write instead of one per commit (half the demo's time). Within the block, what was
    committed is not yet found by search; on an error the rows stay for the next catch-up."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    if not _deferred.get() and current_app.config.get("SEARCH_INDEX_ON_COMMIT", True):
        from cop.search.index import catch_up

        catch_up()  # never raises


def _after_commit(session) -> None:
    if not session.info.pop(_PENDING, False) or not has_app_context():
        return
    if not _deferred.get() and current_app.config.get("SEARCH_INDEX_ON_COMMIT", True):
        from cop.search.index import catch_up

        catch_up()  # never raises


def _after_soft_rollback(session, _previous_transaction) -> None:
    session.info.pop(_PENDING, None)


_LISTENERS = (
    ("after_flush", _after_flush),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def register() -> None:
    """Attach the hooks to Flask-SQLAlchemy's session class (once per process)."""
    attach_session_hooks(_LISTENERS)
