"""Reading state: per person and thread the last post read, and per community a *mark all read* horizon.

A post is unread for a person when it is visible, written by someone else, newer than their horizon for
its community (when they marked it all read, else when they joined) and, if they opened the thread, has a
higher id than the last post they read there. People who are not members (an administrator, a sponsor,
a reader of an open community) only get markers on threads they opened.

Every function here costs a constant number of statements, whatever the number of threads or posts:
lists read their markers in one grouped query (``unread_counts``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, literal, or_, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement

from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.discussions.models import Post, Thread
from cop.extensions import db, utcnow
from cop.permissions import Viewer
from cop.reading.models import CommunityRead, ThreadRead

LIST_PER_PAGE = 25
_EPOCH = datetime(1970, 1, 1)
_NEVER = datetime(9999, 1, 1)

# ``(marked all read at, joined at)`` for one community (``_horizons``).
Horizon: TypeAlias = tuple[datetime | None, datetime | None]
# An upsert's new value for a column, made from the row that would have been inserted (``excluded``).
_Update: TypeAlias = Callable[[ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]], ColumnElement[Any]]


@dataclass(frozen=True)
class Unread:
    """A thread's marker in a list: ``new`` (never opened) or ``count`` posts since the last visit."""

    count: int
    new: bool


def _upsert(
    model: type[ThreadRead | CommunityRead],
    values: dict[str, object],
    keys: tuple[str, ...],
    update: dict[str, _Update],
) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    stmt = insert(model).values(**values)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=list(keys), set_={name: make(stmt.excluded) for name, make in update.items()}
        )
    )


def _visible_by_others(user: User) -> ColumnElement[bool]:
    return and_(
        Post.is_deleted.is_(False), Post.is_hidden.is_(False), or_(Post.author_id.is_(None), Post.author_id != user.id)
    )


def _horizons(user: User, community_ids: Iterable[int]) -> dict[int, Horizon]:
    """``(marked all read at, joined at)`` for ``user`` in each of ``community_ids``: one statement."""
    ids = list(community_ids)
    if not ids:
        return {}
    nothing = literal(None, db.DateTime)
    rows = db.session.execute(
        union_all(
            select(CommunityRead.community_id, CommunityRead.read_before, nothing).where(
                CommunityRead.user_id == user.id, CommunityRead.community_id.in_(ids)
            ),
            select(Membership.community_id, nothing, func.coalesce(Membership.joined_at, Membership.created_at)).where(
                Membership.user_id == user.id, Membership.community_id.in_(ids), Membership.status == "active"
            ),
        )
    )
    found: dict[int, Horizon] = {}
    for community_id, marked, joined in rows:
        was_marked, was_joined = found.get(community_id, (None, None))
        found[community_id] = (marked or was_marked, joined or was_joined)
    return {cid: found.get(cid, (None, None)) for cid in ids}


def _horizon(horizons: dict[int, Horizon], opened: ColumnElement[bool]) -> ColumnElement[datetime]:
    """The moment before which nothing in a thread's community is unread, as an SQL expression over
    ``threads``: when the person marked the community read; else, for a thread they never opened
    (``opened`` false), when they joined (never, for non-members); else the beginning of time.
    ``horizons``: ``_horizons`` for the communities concerned (literals: no subquery per row)."""

    def one(marked: datetime | None, joined: datetime | None) -> ColumnElement[datetime]:
        if marked is not None:
            return literal(marked)
        return case((opened, literal(_EPOCH)), else_=literal(joined or _NEVER))

    if not horizons:
        return case((opened, literal(_EPOCH)), else_=literal(_NEVER))
    return case(
        *[(Thread.community_id == cid, one(*pair)) for cid, pair in horizons.items()],
        else_=case((opened, literal(_EPOCH)), else_=literal(_NEVER)),
    )


def unread_counts(user: Viewer, thread_ids: Iterable[int]) -> dict[int, Unread]:
    """Markers for the listed threads (only those with something unread): two statements whatever the
    number of threads (the person's horizons in their communities, then one grouped count)."""
    thread_ids = list(thread_ids)
    if not thread_ids or not getattr(user, "is_authenticated", False):
        return {}
    community_ids = db.session.scalars(select(Thread.community_id).where(Thread.id.in_(thread_ids)).distinct())
    horizons = _horizons(user, community_ids)
    read = ThreadRead.__table__.alias("r")
    stmt = (
        select(Post.thread_id, func.count(), func.max(case((read.c.thread_id.is_(None), 1), else_=0)))
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .outerjoin(read, and_(read.c.thread_id == Post.thread_id, read.c.user_id == user.id))
        .where(
            Post.thread_id.in_(thread_ids),
            _visible_by_others(user),
            or_(read.c.last_read_post_id.is_(None), Post.id > read.c.last_read_post_id),
            Post.created_at > _horizon(horizons, read.c.thread_id.is_not(None)),
        )
        .group_by(Post.thread_id)
    )
    return {thread_id: Unread(int(n), bool(never)) for thread_id, n, never in db.session.execute(stmt)}


def last_read_post_id(user: User, thread: Thread) -> int | None:
    return db.session.scalar(
        select(ThreadRead.last_read_post_id).where(ThreadRead.user_id == user.id, ThreadRead.thread_id == thread.id)
    )


def first_unread_post(user: User, thread: Thread, last_read: int | None) -> Post | None:
    """The oldest post of ``thread`` that ``user`` has not read, if they opened it before and one is new."""
    if last_read is None:
        return None
    return db.session.scalar(
        select(Post)
        .where(
            Post.thread_id == thread.id,
            Post.id > last_read,
            _visible_by_others(user),
            Post.created_at > _horizon_of(user, thread),
        )
        .order_by(Post.id)
        .limit(1)
    )


def _horizon_of(user: User, thread: Thread) -> datetime:
    marked = db.session.scalar(
        select(CommunityRead.read_before).where(
            CommunityRead.user_id == user.id, CommunityRead.community_id == thread.community_id
        )
    )
    return marked or _EPOCH


def mark_read(user: User, thread: Thread, up_to_post_id: int, known: int | None) -> None:
    """Record that ``user`` has read ``thread`` up to the post ``up_to_post_id`` (never backwards).

    ``known``: the last post read as the caller read it (``last_read_post_id``): nothing is written when it
    is already as far, so re-reading a page costs no write.
    """
    if known is not None and known >= up_to_post_id:
        return
    now = utcnow()
    _upsert(
        ThreadRead,
        {"user_id": user.id, "thread_id": thread.id, "last_read_post_id": up_to_post_id, "read_at": now},
        ("user_id", "thread_id"),
        {
            "last_read_post_id": lambda new: case(
                (new.last_read_post_id > ThreadRead.last_read_post_id, new.last_read_post_id),
                else_=ThreadRead.last_read_post_id,
            ),
            "read_at": lambda new: new.read_at,
        },
    )
    db.session.commit()


def mark_all_read(user: User, community: Community) -> None:
    """Everything in ``community`` posted until now is read for ``user``."""
    _upsert(
        CommunityRead,
        {"user_id": user.id, "community_id": community.id, "read_before": utcnow()},
        ("user_id", "community_id"),
        {"read_before": lambda new: new.read_before},
    )
    db.session.commit()


def _my_communities(user: User) -> Select[tuple[int]]:
    return select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")


def _mine(user: User) -> list[int]:
    return list(db.session.scalars(_my_communities(user)))


def unread_threads(user: User, page: int = 1, per_page: int = LIST_PER_PAGE) -> Pagination:
    """Threads in ``user``'s communities they opened before and that have new posts since, latest first."""
    mine = _mine(user)
    read = ThreadRead.__table__.alias("r")
    newer = exists().where(
        Post.thread_id == Thread.id,
        Post.id > read.c.last_read_post_id,
        _visible_by_others(user),
        Post.created_at > _horizon(_horizons(user, mine), true()),
    )
    stmt = (
        select(Thread)
        .join(read, and_(read.c.thread_id == Thread.id, read.c.user_id == user.id))
        .where(
            Thread.community_id.in_(mine), Thread.is_deleted.is_(False), Thread.last_activity_at > read.c.read_at, newer
        )
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def new_threads(user: User, page: int = 1, per_page: int = LIST_PER_PAGE) -> Pagination:
    """Threads started by others in ``user``'s communities since they joined (or marked all read), that they
    have not opened, newest first. Each community is one indexed range (community, created after its
    horizon), so the list never visits the threads from before."""
    horizons = _horizons(user, _mine(user))
    if not horizons:
        return db.paginate(select(Thread).where(false()), page=page, per_page=per_page, error_out=False)
    read = ThreadRead.__table__.alias("r")
    opened = exists().where(read.c.thread_id == Thread.id, read.c.user_id == user.id)
    since = or_(
        *[
            and_(Thread.community_id == cid, Thread.created_at > (marked or joined or _NEVER))
            for cid, (marked, joined) in horizons.items()
        ]
    )
    stmt = (
        select(Thread)
        .where(
            since, Thread.is_deleted.is_(False), or_(Thread.author_id.is_(None), Thread.author_id != user.id), ~opened
        )
        .order_by(Thread.created_at.desc(), Thread.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)
