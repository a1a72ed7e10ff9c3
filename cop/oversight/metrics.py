"""The figures every report, portfolio and objective share: the metrics, and ``core_figures``
computing all of them for some communities over a period and the period before it.

Every figure is aggregated in SQL (COUNT, SUM, GROUP BY, window functions)
with expressions that run unchanged on SQLite and PostgreSQL; Python only
divides two sums or rounds. Nothing here writes, and no query runs inside a
loop over rows: the number of queries is the same for one community or a
hundred (the portfolio groups by community).

Definitions, shown on the report page too:

* **Posts** are opening posts and replies that are neither deleted nor hidden,
  in threads that are not deleted.
* **Engagement** looks at the threads *started* in the period, announcements
  aside (they expect no reply). A thread's **first reply** is the first reply
  by someone other than its author (``Thread.first_reply_at``, kept by the
  discussion services); **no reply after 48 h** counts threads whose first
  reply came more than 48 hours after they opened, or that have waited longer
  than that without one.
* **Contributors** wrote a post, added a resource or a resource version in the
  period. The community's **main department** is the most common department
  among its active members.
* **Members** at the end of a period: people who had joined by then and were
  still members (someone who left counts until the membership last changed).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, and_, bindparam, case, func, or_, select, union_all

from cop.accounts.models import User
from cop.communities.models import Membership
from cop.discussions.models import Post, Thread
from cop.events.models import Event
from cop.extensions import db, utcnow
from cop.library.models import Resource, ResourceVersion
from cop.oversight.periods import Period
from cop.oversight.sql import (
    datetime_param,
    flag,
    in_communities,
    is_current,
    marks,
    median_ranked,
    seconds_between,
    visible_post,
    within,
)

WAIT_LIMIT = timedelta(hours=48)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    section: str  # volume, reach or engagement
    unit: str  # count, percent, hours or ratio
    better: str = "higher"  # or "lower": which way is good news
    help: str = ""


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("new_threads", "New threads", "volume", "count"),
        Metric(
            "posts", "Posts", "volume", "count", help="Opening posts and replies; deleted and hidden ones left out."
        ),
        Metric("resources", "Resources added", "volume", "count"),
        Metric("resource_versions", "Resource versions", "volume", "count"),
        Metric("events", "Meetings", "volume", "count", help="Meetings starting in the period, not cancelled."),
        Metric("members", "Members", "reach", "count", help="At the end of the period."),
        Metric("new_members", "New members", "reach", "count"),
        Metric(
            "contributors",
            "Members who contributed",
            "reach",
            "count",
            help="Wrote a post or added a resource or a version.",
        ),
        Metric("outside_contributors", "Contributors from outside the main department", "reach", "count"),
        Metric(
            "replies_per_thread",
            "Replies per thread",
            "engagement",
            "ratio",
            help="Visible replies on the threads started in the period.",
        ),
        Metric(
            "reply_share",
            "Threads with a reply",
            "engagement",
            "percent",
            help="Replied to by someone other than the author.",
        ),
        Metric("answered_share", "Questions answered", "engagement", "percent", help="With an accepted answer."),
        Metric(
            "median_first_reply_hours",
            "Median time to first reply",
            "engagement",
            "hours",
            "lower",
            help="From opening to the first reply by someone other than the author.",
        ),
        Metric("unanswered_48h", "Threads with no reply after 48 h", "engagement", "count", "lower"),
        # Value stories (cop/oversight/value.py): for objectives; the report shows them in their own section.
        Metric("value_stories", "Value stories recorded", "value", "count", help="Stories of any value cycle."),
        Metric(
            "realized_hours_saved",
            "Realized value (hours saved)",
            "value",
            "amount",
            help="Confirmed realized-value stories.",
        ),
        Metric(
            "realized_cost_avoided",
            "Realized value (cost avoided)",
            "value",
            "amount",
            help="Confirmed realized-value stories.",
        ),
        Metric(
            "realized_incidents_avoided",
            "Realized value (incidents avoided)",
            "value",
            "amount",
            help="Confirmed realized-value stories.",
        ),
        Metric(
            "realized_revenue", "Realized value (revenue)", "value", "amount", help="Confirmed realized-value stories."
        ),
    )
}
SECTIONS = (("volume", "Volume"), ("reach", "Reach"), ("engagement", "Engagement"))
# Sections whose metrics objectives may use but that the report shows on their own (not in the figure tables).
OBJECTIVE_ONLY_SECTIONS = (("value", "Value"),)
DECIMALS = {"count": 0, "percent": 1, "hours": 1, "ratio": 2, "amount": 2}


def _rounded(value, unit: str):
    if value is None:
        return None
    places = DECIMALS[unit]
    return int(round(value)) if places == 0 else round(float(value), places)


@dataclass(frozen=True)
class Figure:
    """One metric over a period beside its value over the previous period."""

    key: str
    label: str
    unit: str
    better: str
    value: float | int | None
    previous: float | int | None
    help: str = ""

    @property
    def change(self) -> float | int | None:
        if self.value is None or self.previous is None:
            return None
        return _rounded(self.value - self.previous, self.unit)

    @property
    def verdict(self) -> str:
        """``better``, ``worse`` or ``same`` (``""`` when either value is missing)."""
        change = self.change
        if change is None:
            return ""
        if change == 0:
            return "same"
        return "better" if (change > 0) == (self.better == "higher") else "worse"


def figure(key: str, current: dict, previous: dict) -> Figure:
    metric = METRICS[key]
    return Figure(key, metric.label, metric.unit, metric.better, current.get(key), previous.get(key), metric.help)


def ratio(part, whole, places=2):
    return round(part / whole, places) if whole else None


def percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def to_hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


def contributions(ids, span: Period):
    """Every contribution in ``span``: (cid, at, uid, is_post, is_resource, is_version) rows, as a UNION ALL."""
    posts = (
        select(
            Thread.community_id.label("cid"),
            Post.created_at.label("at"),
            Post.author_id.label("uid"),
            *marks(("is_post", 1), ("is_resource", 0), ("is_version", 0)),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(visible_post(), within(Post.created_at, span), in_communities(Thread.community_id, ids))
    )
    resources = select(
        Resource.community_id,
        Resource.created_at,
        Resource.author_id,
        *marks(("is_post", 0), ("is_resource", 1), ("is_version", 0)),
    ).where(
        Resource.is_deleted.is_(False), within(Resource.created_at, span), in_communities(Resource.community_id, ids)
    )
    versions = (
        select(
            Resource.community_id,
            ResourceVersion.created_at,
            ResourceVersion.author_id,
            *marks(("is_post", 0), ("is_resource", 0), ("is_version", 1)),
        )
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .where(
            Resource.is_deleted.is_(False),
            within(ResourceVersion.created_at, span),
            in_communities(Resource.community_id, ids),
        )
    )
    return union_all(posts, resources, versions).subquery("activity")


@functools.lru_cache(maxsize=8)
def _main_departments_statement(dialect: str, scoped: bool):
    """``main_departments``' statement, built once per dialect and scope (communities bound as ``ids``)."""
    ids: BindParameter | None = bindparam("ids", expanding=True) if scoped else None
    counts = (
        select(Membership.community_id.label("cid"), User.department.label("dept"), func.count().label("n"))
        .join(User, User.id == Membership.user_id)
        .where(Membership.status == "active", User.department != "", in_communities(Membership.community_id, ids))
        .group_by(Membership.community_id, User.department)
        .subquery()
    )
    ranked = select(
        counts.c.cid,
        counts.c.dept,
        func.row_number().over(partition_by=counts.c.cid, order_by=(counts.c.n.desc(), counts.c.dept)).label("rk"),
    ).subquery()
    return select(ranked.c.cid, ranked.c.dept).where(ranked.c.rk == 1)


def main_departments(ids) -> dict[int, str]:
    """The most common non-empty department among each community's active members (ties: alphabetical)."""
    stmt = _main_departments_statement(db.session.get_bind().dialect.name, ids is not None)
    return {cid: dept for cid, dept in db.session.execute(stmt, {} if ids is None else {"ids": list(ids)})}


class _Tally:
    """Raw sums per community, name and period (index 1: current, 0: previous)."""

    def __init__(self) -> None:
        self.data: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def add(self, cid, which, **values):
        for name, value in values.items():
            self.data[cid][name][int(which)] = int(value or 0)

    def increase(self, cid, which, **values):
        for name, value in values.items():
            self.data[cid][name][int(which)] += int(value or 0)

    def get(self, cid, name, which):
        return self.data.get(cid, {}).get(name, [0, 0])[which]


@functools.lru_cache(maxsize=8)
def _core_statements(dialect: str, scoped: bool) -> dict:
    """The statements of ``core_figures``, built once per database dialect and scope (``scoped``: some
    communities, bound as the expanding parameter ``ids``; else every community). Periods and the
    waiting limit are bound parameters (``cur_start``, ``cur_end``, ``prev_start``, ``waited_before``):
    building these statements (SQLAlchemy coercion, subquery columns) cost more Python per report
    than running them on the large data set, so a report or portfolio only binds values."""
    ids: BindParameter | None = bindparam("ids", expanding=True) if scoped else None
    current = Period(datetime_param("cur_start"), datetime_param("cur_end"))
    previous = Period(datetime_param("prev_start"), datetime_param("cur_start"))
    span = Period(previous.start, current.end)
    out = {}

    # Threads started in either period, one row each with its visible replies: counts for volume and
    # engagement, and the median time to first reply, in one pass over the threads.
    discussable = Thread.kind != "announcement"
    replied = and_(discussable, Thread.first_reply_at.is_not(None))
    waited = and_(
        discussable,
        or_(
            and_(Thread.first_reply_at.is_(None), Thread.created_at < datetime_param("waited_before")),
            and_(
                Thread.first_reply_at.is_not(None),
                seconds_between(Thread.first_reply_at, Thread.created_at) > WAIT_LIMIT.total_seconds(),
            ),
        ),
    )
    visible_reply = and_(
        Post.thread_id == Thread.id,
        Post.parent_id.is_not(None),
        Post.is_deleted.is_(False),
        Post.is_hidden.is_(False),
        discussable,
    )
    rows = (
        select(
            Thread.community_id.label("cid"),
            is_current(Thread.created_at, current).label("w"),
            flag(discussable).label("discussable"),
            flag(replied).label("replied"),
            flag(Thread.kind == "question").label("questions"),
            flag(and_(Thread.kind == "question", Thread.accepted_post_id.is_not(None))).label("answered"),
            flag(waited).label("waited"),
            # The joined replies, counted by a column of the covering post index: ``Post.id`` is not in it on
            # PostgreSQL (SQLite's indexes carry the row id), so counting ids read every reply's row.
            func.count(Post.thread_id).label("replies"),
            case((replied, seconds_between(Thread.first_reply_at, Thread.created_at))).label("x"),
        )
        .outerjoin(Post, visible_reply)
        .where(Thread.is_deleted.is_(False), within(Thread.created_at, span), in_communities(Thread.community_id, ids))
        .group_by(Thread.id)
        .subquery()
    )
    ranked, median_x = median_ranked(rows, ("cid", "w"))
    out["threads"] = select(
        ranked.c.cid, ranked.c.w, func.count(), *[func.sum(ranked.c[n]) for n in _THREAD_SUMS], median_x
    ).group_by(ranked.c.cid, ranked.c.w)

    # Posts, resources, versions and the people behind them, by the contributors' department: the
    # departments other than the community's main one add up to the contributors from outside it.
    # Grouped by person first, so each person's department is looked up once, not once per post.
    activity = contributions(ids, span)
    in_current = is_current(activity.c.at, current)
    people = (
        select(
            activity.c.cid,
            in_current.label("w"),
            activity.c.uid,
            func.sum(activity.c.is_post).label("posts"),
            func.sum(activity.c.is_resource).label("resources"),
            func.sum(activity.c.is_version).label("versions"),
        )
        .group_by(activity.c.cid, in_current, activity.c.uid)
        .subquery()
    )
    out["activity"] = (
        select(
            people.c.cid,
            people.c.w,
            User.department,
            func.sum(people.c.posts),
            func.sum(people.c.resources),
            func.sum(people.c.versions),
            func.count(people.c.uid),
        )
        .select_from(people)
        .outerjoin(User, User.id == people.c.uid)
        .group_by(people.c.cid, people.c.w, User.department)
    )

    # Meetings starting in the period.
    rows = (
        select(Event.community_id.label("cid"), is_current(Event.starts_at, current).label("w"))
        .where(Event.is_cancelled.is_(False), within(Event.starts_at, span), in_communities(Event.community_id, ids))
        .subquery()
    )
    out["events"] = select(rows.c.cid, rows.c.w, func.count()).group_by(rows.c.cid, rows.c.w)

    # Members at the end of each period, and those who joined during it.
    def member_at(moment):
        return and_(Membership.joined_at < moment, or_(Membership.status == "active", Membership.updated_at >= moment))

    out["members"] = (
        select(
            Membership.community_id,
            func.sum(flag(member_at(current.end))),
            func.sum(flag(member_at(previous.end))),
            func.sum(flag(within(Membership.joined_at, current))),
            func.sum(flag(within(Membership.joined_at, previous))),
        )
        .where(
            Membership.joined_at.is_not(None),
            Membership.status.in_(("active", "left", "removed")),
            in_communities(Membership.community_id, ids),
        )
        .group_by(Membership.community_id)
    )

    return out


_THREAD_SUMS = ("discussable", "replied", "questions", "answered", "waited", "replies")


def core_figures(
    ids, current: Period, now: datetime | None = None, mains: dict[int, str] | None = None
) -> dict[int, tuple[dict, dict]]:
    """Every metric in ``METRICS`` for the communities ``ids`` (all when None), for ``current`` and
    the period before it: ``{community_id: (current values, previous values)}``.

    Five grouped queries whatever the number of communities (four when the
    communities' main departments, ``main_departments(ids)``, are given), built once
    (``_core_statements``). Communities with no activity at all may be missing from the
    result (read them as zeros).
    """
    now = now or utcnow()
    previous = current.previous()
    statements = _core_statements(db.session.get_bind().dialect.name, ids is not None)
    params: dict[str, object] = {
        "cur_start": current.start,
        "cur_end": current.end,
        "prev_start": previous.start,
        "waited_before": now - WAIT_LIMIT,
    }
    if ids is not None:
        params["ids"] = list(ids)
    tally = _Tally()

    def run(name: str, *, waited: bool = False):
        used = params if waited else {k: v for k, v in params.items() if k != "waited_before"}
        return db.session.execute(statements[name], used)

    first_reply: dict[tuple[int, int], float] = {}
    for cid, which, count, *sums, median in run("threads", waited=True):
        tally.add(cid, which, new_threads=count, **dict(zip(_THREAD_SUMS, sums)))
        if median is not None:
            first_reply[(cid, which)] = float(median)
    mains = main_departments(ids) if mains is None else mains
    for cid, which, dept, posts, resources, versions, contributors in run("activity"):
        outside = contributors if dept and mains.get(cid) and dept != mains[cid] else 0
        tally.increase(
            cid,
            which,
            posts=posts,
            resources=resources,
            resource_versions=versions,
            contributors=contributors,
            outside_contributors=outside,
        )
    for cid, which, count in run("events"):
        tally.add(cid, which, events=count)
    for cid, members_now, members_before, new_now, new_before in run("members"):
        tally.add(cid, 1, members=members_now, new_members=new_now)
        tally.add(cid, 0, members=members_before, new_members=new_before)

    return {
        cid: (_derive(tally, cid, 1, first_reply.get((cid, 1))), _derive(tally, cid, 0, first_reply.get((cid, 0))))
        for cid in tally.data.keys() | {cid for cid, _w in first_reply}
    }


def _derive(tally: _Tally, cid: int, which: int, first_reply_seconds) -> dict:
    def get(name):
        return tally.get(cid, name, which) or 0

    values = {
        key: get(key)
        for key in (
            "new_threads",
            "posts",
            "resources",
            "resource_versions",
            "events",
            "members",
            "new_members",
            "contributors",
            "outside_contributors",
        )
    }
    values.update(
        replies_per_thread=ratio(get("replies"), get("discussable")),
        reply_share=percent(get("replied"), get("discussable")),
        answered_share=percent(get("answered"), get("questions")),
        median_first_reply_hours=to_hours(first_reply_seconds),
        unanswered_48h=get("waited"),
    )
    return values


EMPTY_FIGURES = {key: (0 if m.unit == "count" else None) for key, m in METRICS.items()}
