"""Denormalised figures recomputed from the rows they summarise (``flask cop repair-counters``).

The services keep these figures with atomic SQL (``discussions.services._count_reply``,
``communities.services._refresh_member_count``); this puts right what older code, a restore or a
manual edit left wrong. Every UPDATE only touches rows whose stored figure differs, so the counts it
returns are the rows that were wrong.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from cop.communities.models import Community
from cop.communities.services import active_member_count_of
from cop.database import rowcount
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.library.models import Resource, ResourceVersion


@dataclass
class Repaired:
    reply_count: int
    last_activity_at: int
    first_reply_at: int
    member_count: int
    latest_version: int

    @property
    def total(self) -> int:
        return sum(vars(self).values())


def _replies_of_thread():
    return select(func.count()).select_from(Post).where(Post.thread_id == Thread.id, Post.parent_id.is_not(None))


def _last_activity_of_thread():
    newest = select(func.max(Post.created_at)).where(Post.thread_id == Thread.id).scalar_subquery()
    return func.coalesce(newest, Thread.created_at)


def _first_reply_of_thread():
    """The first visible reply by someone other than the thread's author (what the reports' time to first
    reply reads)."""
    return (
        select(func.min(Post.created_at))
        .where(
            Post.thread_id == Thread.id,
            Post.parent_id.is_not(None),
            Post.is_deleted.is_(False),
            Post.is_hidden.is_(False),
            or_(Post.author_id.is_(None), Post.author_id != Thread.author_id),
        )
        .scalar_subquery()
    )


def _latest_version_of_resource():
    newest = select(func.max(ResourceVersion.number)).where(ResourceVersion.resource_id == Resource.id)
    return func.coalesce(newest.scalar_subquery(), 0)


def _fix(model, column, truth) -> int:
    stmt = (
        update(model)
        .where(column.is_distinct_from(truth))
        .values({column.key: truth})
        .execution_options(synchronize_session=False)
    )
    return rowcount(db.session.execute(stmt))


def repair_counters() -> Repaired:
    """Recompute every denormalised counter in one transaction; returns how many rows each changed."""
    repaired = Repaired(
        reply_count=_fix(Thread, Thread.reply_count, _replies_of_thread().scalar_subquery()),
        last_activity_at=_fix(Thread, Thread.last_activity_at, _last_activity_of_thread()),
        first_reply_at=_fix(Thread, Thread.first_reply_at, _first_reply_of_thread()),
        member_count=_fix(Community, Community.member_count, active_member_count_of(Community.id).scalar_subquery()),
        latest_version=_fix(Resource, Resource.latest_version, _latest_version_of_resource()),
    )
    db.session.commit()
    return repaired


def wrong_counters() -> dict[str, int]:
    """How many rows hold a counter that differs from its truth (nothing is changed): for ``flask cop check``."""
    checks = {
        "reply_count": (Thread, Thread.reply_count, _replies_of_thread().scalar_subquery()),
        "last_activity_at": (Thread, Thread.last_activity_at, _last_activity_of_thread()),
        "first_reply_at": (Thread, Thread.first_reply_at, _first_reply_of_thread()),
        "member_count": (Community, Community.member_count, active_member_count_of(Community.id).scalar_subquery()),
        "latest_version": (Resource, Resource.latest_version, _latest_version_of_resource()),
    }
    return {
        name: db.session.execute(
            select(func.count()).select_from(model).where(column.is_distinct_from(truth))
        ).scalar_one()
        for name, (model, column, truth) in checks.items()
    }
