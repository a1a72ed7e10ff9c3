"""Oversight figures: read-only query functions that return plain dataclasses.

Every figure is aggregated in SQL (COUNT, SUM, GROUP BY, window functions)
with expressions that run unchanged on SQLite and PostgreSQL; Python only
divides two sums or rounds. Nothing here writes, and no query runs inside a
loop over rows: the number of queries is the same for one community or a
hundred (``portfolio`` groups by community).

Definitions, shown on the report page too:

* A **period** is half-open, ``[start, end)``, in naive UTC; its **previous
  period** is the one of the same length just before it.
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
import math
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import (DateTime, Float, Integer, and_, bindparam, case, cast, extract, func, literal, literal_column,
                        or_, select, true, union_all)

from cop import caching, permissions
from cop.accounts.models import User
from cop.communities.models import STAGES, Community, Membership, community_domain_tags, community_sponsors
from cop.discussions.models import Post, Thread, thread_tags
from cop.events.models import Event
from cop.extensions import db, utcnow
from cop.library.models import Resource, ResourceVersion
from cop.oversight.models import Objective
from cop.reactions.models import Reaction
from cop.search.models import SearchLog
from cop.tags.models import Tag

PERIOD_CHOICES = (7, 30, 90)
DEFAULT_PERIOD = 30
MAX_PERIOD_DAYS = 366
# Objectives are always measured over the 30 days up to the end of the period shown,
# so a target ("40 posts", "median reply under 4 h") means the same whatever the period.
OBJECTIVE_WINDOW = timedelta(days=30)
WAIT_LIMIT = timedelta(hours=48)
AT_RISK_MARGIN = 0.25
MIN_TREND_WEEKS = 12
TOP_LIMIT = 10
# Reports and portfolios of "the last N days" reuse figures computed this many seconds ago at most.
REUSE_SECONDS = 300
GRID_KINDS = ("question", "problem", "idea")
GRID_PRIORITIES = (1, 2, 3)


# --- periods ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A half-open span of time ``[start, end)`` in naive UTC."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, now: datetime | None = None) -> Period:
        """The ``days`` days up to ``now`` (default: this instant)."""
        end = now or utcnow()
        return cls(end - timedelta(days=days), end)

    @classmethod
    def custom(cls, start_date: date, end_date: date) -> Period:
        """From the midnight starting ``start_date`` to the midnight ending ``end_date`` (inclusive).

        :raise ValueError: the end date is before the start date.
        """
        if end_date < start_date:
            raise ValueError("The end date is before the start date.")
        return cls(datetime.combine(start_date, time()), datetime.combine(end_date + timedelta(days=1), time()))

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start - self.length, self.start)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> float:
        return self.length / timedelta(days=1)

    @property
    def last_day(self) -> date:
        """The last calendar day the period touches."""
        return (self.end - timedelta(microseconds=1)).date()


# --- metrics and figures --------------------------------------------------------------------

@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    section: str  # volume, reach or engagement
    unit: str  # count, percent, hours or ratio
    better: str = "higher"  # or "lower": which way is good news
    help: str = ""


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("new_threads", "New threads", "volume", "count"),
    Metric("posts", "Posts", "volume", "count", help="Opening posts and replies; deleted and hidden ones left out."),
    Metric("resources", "Resources added", "volume", "count"),
    Metric("resource_versions", "Resource versions", "volume", "count"),
    Metric("events", "Meetings", "volume", "count", help="Meetings starting in the period, not cancelled."),
    Metric("members", "Members", "reach", "count", help="At the end of the period."),
    Metric("new_members", "New members", "reach", "count"),
    Metric("contributors", "Members who contributed", "reach", "count",
           help="Wrote a post or added a resource or a version."),
    Metric("outside_contributors", "Contributors from outside the main department", "reach", "count"),
    Metric("replies_per_thread", "Replies per thread", "engagement", "ratio",
           help="Visible replies on the threads started in the period."),
    Metric("reply_share", "Threads with a reply", "engagement", "percent",
           help="Replied to by someone other than the author."),
    Metric("answered_share", "Questions answered", "engagement", "percent", help="With an accepted answer."),
    Metric("median_first_reply_hours", "Median time to first reply", "engagement", "hours", "lower",
           help="From opening to the first reply by someone other than the author."),
    Metric("unanswered_48h", "Threads with no reply after 48 h", "engagement", "count", "lower"),
    # Value stories (cop/oversight/value.py): for objectives; the report shows them in their own section.
    Metric("value_stories", "Value stories recorded", "value", "count", help="Stories of any value cycle."),
    Metric("realized_hours_saved", "Realized value (hours saved)", "value", "amount",
           help="Confirmed realized-value stories."),
    Metric("realized_cost_avoided", "Realized value (cost avoided)", "value", "amount",
           help="Confirmed realized-value stories."),
    Metric("realized_incidents_avoided", "Realized value (incidents avoided)", "value", "amount",
           help="Confirmed realized-value stories."),
    Metric("realized_revenue", "Realized value (revenue)", "value", "amount", help="Confirmed realized-value stories."),
)}
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


def _figure(key: str, current: dict, previous: dict) -> Figure:
    metric = METRICS[key]
    return Figure(key, metric.label, metric.unit, metric.better, current.get(key), previous.get(key), metric.help)


# --- portable SQL helpers -----------------------------------------------------------------------

def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _at(moment: datetime):
    return literal(moment, DateTime)


def seconds_between(later, earlier):
    """SQL for ``later - earlier`` in seconds (a float), on SQLite or PostgreSQL."""
    if _postgres():
        return cast(extract("epoch", later - earlier), Float)
    return (func.julianday(later, type_=Float) - func.julianday(earlier, type_=Float)) * 86400.0


def whole_weeks(later, earlier):
    """SQL for the number of whole weeks from ``earlier`` to ``later`` (``later >= earlier``)."""
    weeks = seconds_between(later, earlier) / 604800.0
    if _postgres():
        return cast(func.floor(weeks), Integer)
    return cast(weeks, Integer)  # truncation is floor for the non-negative values asked for


def _within(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _flag(condition):
    return case((condition, 1), else_=0)


def _which(column, current: Period):
    """1 for a row in the current period, 0 for one in the previous (the WHERE keeps only those)."""
    return _flag(column >= current.start)


def _one(value: str = "1"):
    return literal_column(value, Integer)


def _medians_statement(values, keys: tuple[str, ...]):
    rows = values.subquery()
    group = [rows.c[k] for k in keys]
    ranked = select(*group, rows.c.x,
                    func.row_number().over(partition_by=group, order_by=rows.c.x).label("rn"),
                    func.count().over(partition_by=group).label("cnt")).subquery()
    middle = and_(ranked.c.rn * 2 >= ranked.c.cnt, ranked.c.rn * 2 <= ranked.c.cnt + 2)
    out = [ranked.c[k] for k in keys]
    return select(*out, func.avg(ranked.c.x)).where(middle).group_by(*out)


def medians(values, keys: tuple[str, ...]) -> dict[tuple, float]:
    """The median of column ``x`` of the select ``values`` for each group of its ``keys`` columns.

    Portable: ROW_NUMBER and COUNT over the group pick the middle row (odd
    count) or the two middle rows (even count), which are then averaged.
    """
    return {tuple(row[:-1]): float(row[-1]) for row in db.session.execute(_medians_statement(values, keys))}


# --- the figures shared by the report, the portfolio and objectives --------------------------------

def _in_communities(column, ids):
    return column.in_(ids) if ids is not None else true()


def _visible_post():
    return and_(Post.is_deleted.is_(False), Post.is_hidden.is_(False), Thread.is_deleted.is_(False))


def _marks(*names_and_values) -> list:
    """Literal 0/1 columns that tag the rows of one branch of a UNION ALL."""
    return [_one(str(value)).label(name) for name, value in names_and_values]


def _activity(ids, span: Period):
    """Every contribution in ``span``: (cid, at, uid, is_post, is_resource, is_version) rows, as a UNION ALL."""
    posts = (select(Thread.community_id.label("cid"), Post.created_at.label("at"), Post.author_id.label("uid"),
                    *_marks(("is_post", 1), ("is_resource", 0), ("is_version", 0)))
             .join(Thread, Thread.id == Post.thread_id)
             .where(_visible_post(), _within(Post.created_at, span), _in_communities(Thread.community_id, ids)))
    resources = (select(Resource.community_id, Resource.created_at, Resource.author_id,
                        *_marks(("is_post", 0), ("is_resource", 1), ("is_version", 0)))
                 .where(Resource.is_deleted.is_(False), _within(Resource.created_at, span),
                        _in_communities(Resource.community_id, ids)))
    versions = (select(Resource.community_id, ResourceVersion.created_at, ResourceVersion.author_id,
                       *_marks(("is_post", 0), ("is_resource", 0), ("is_version", 1)))
                .join(Resource, Resource.id == ResourceVersion.resource_id)
                .where(Resource.is_deleted.is_(False), _within(ResourceVersion.created_at, span),
                       _in_communities(Resource.community_id, ids)))
    return union_all(posts, resources, versions).subquery("activity")


@functools.lru_cache(maxsize=8)
def _main_departments_statement(dialect: str, scoped: bool):
    """``main_departments``' statement, built once per dialect and scope (communities bound as ``ids``)."""
    ids = bindparam("ids", expanding=True) if scoped else None
    counts = (select(Membership.community_id.label("cid"), User.department.label("dept"), func.count().label("n"))
              .join(User, User.id == Membership.user_id)
              .where(Membership.status == "active", User.department != "",
                     _in_communities(Membership.community_id, ids))
              .group_by(Membership.community_id, User.department).subquery())
    ranked = select(counts.c.cid, counts.c.dept,
                    func.row_number().over(partition_by=counts.c.cid,
                                           order_by=(counts.c.n.desc(), counts.c.dept)).label("rk")).subquery()
    return select(ranked.c.cid, ranked.c.dept).where(ranked.c.rk == 1)


def main_departments(ids) -> dict[int, str]:
    """The most common non-empty department among each community's active members (ties: alphabetical)."""
    stmt = _main_departments_statement(db.session.get_bind().dialect.name, ids is not None)
    return dict(db.session.execute(stmt, {} if ids is None else {"ids": list(ids)}).all())


class _Tally:
    """Raw sums per community, name and period (index 1: current, 0: previous)."""

    def __init__(self):
        self.data: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def add(self, cid, which, **values):
        for name, value in values.items():
            self.data[cid][name][int(which)] = int(value or 0)

    def increase(self, cid, which, **values):
        for name, value in values.items():
            self.data[cid][name][int(which)] += int(value or 0)

    def get(self, cid, name, which):
        return self.data.get(cid, {}).get(name, [0, 0])[which]


def _ratio(part, whole, places=2):
    return round(part / whole, places) if whole else None


def _percent(part, whole):
    return round(100.0 * part / whole, 1) if whole else None


def _hours(seconds):
    return None if seconds is None else round(seconds / 3600.0, 1)


def _bound(name: str):
    return bindparam(name, type_=DateTime)


@functools.lru_cache(maxsize=8)
def _core_statements(dialect: str, scoped: bool) -> dict:
    """The statements of ``core_figures``, built once per database dialect and scope (``scoped``: some
    communities, bound as the expanding parameter ``ids``; else every community). Periods and the
    waiting limit are bound parameters (``cur_start``, ``cur_end``, ``prev_start``, ``waited_before``):
    building these statements (SQLAlchemy coercion, subquery columns) cost more Python per report
    than running them on the large data set, so a report or portfolio only binds values."""
    ids = bindparam("ids", expanding=True) if scoped else None
    current = Period(_bound("cur_start"), _bound("cur_end"))
    previous = Period(_bound("prev_start"), _bound("cur_start"))
    span = Period(previous.start, current.end)
    out = {}

    # Threads started in either period: counts for volume and engagement.
    discussable = Thread.kind != "announcement"
    waited = and_(discussable, or_(
        and_(Thread.first_reply_at.is_(None), Thread.created_at < _bound("waited_before")),
        and_(Thread.first_reply_at.is_not(None),
             seconds_between(Thread.first_reply_at, Thread.created_at) > WAIT_LIMIT.total_seconds())))
    rows = (select(Thread.community_id.label("cid"), _which(Thread.created_at, current).label("w"),
                   _flag(discussable).label("discussable"),
                   _flag(and_(discussable, Thread.first_reply_at.is_not(None))).label("replied"),
                   _flag(Thread.kind == "question").label("questions"),
                   _flag(and_(Thread.kind == "question", Thread.accepted_post_id.is_not(None))).label("answered"),
                   _flag(waited).label("waited"))
            .where(Thread.is_deleted.is_(False), _within(Thread.created_at, span),
                   _in_communities(Thread.community_id, ids)).subquery())
    out["threads"] = (select(rows.c.cid, rows.c.w, func.count(), *[func.sum(rows.c[n]) for n in _THREAD_SUMS])
                      .group_by(rows.c.cid, rows.c.w))

    # Visible replies on those threads (replies per thread).
    rows = (select(Thread.community_id.label("cid"), _which(Thread.created_at, current).label("w"))
            .join(Post, Post.thread_id == Thread.id)
            .where(Post.parent_id.is_not(None), _visible_post(), discussable, _within(Thread.created_at, span),
                   _in_communities(Thread.community_id, ids)).subquery())
    out["replies"] = select(rows.c.cid, rows.c.w, func.count()).group_by(rows.c.cid, rows.c.w)

    # Posts, resources, versions and the people behind them, by the contributors' department: the
    # departments other than the community's main one add up to the contributors from outside it.
    # Grouped by person first, so each person's department is looked up once, not once per post.
    activity = _activity(ids, span)
    in_current = _which(activity.c.at, current)
    people = (select(activity.c.cid, in_current.label("w"), activity.c.uid,
                     func.sum(activity.c.is_post).label("posts"), func.sum(activity.c.is_resource).label("resources"),
                     func.sum(activity.c.is_version).label("versions"))
              .group_by(activity.c.cid, in_current, activity.c.uid).subquery())
    out["activity"] = (select(people.c.cid, people.c.w, User.department, func.sum(people.c.posts),
                              func.sum(people.c.resources), func.sum(people.c.versions), func.count(people.c.uid))
                       .select_from(people).outerjoin(User, User.id == people.c.uid)
                       .group_by(people.c.cid, people.c.w, User.department))

    # Meetings starting in the period.
    rows = (select(Event.community_id.label("cid"), _which(Event.starts_at, current).label("w"))
            .where(Event.is_cancelled.is_(False), _within(Event.starts_at, span),
                   _in_communities(Event.community_id, ids)).subquery())
    out["events"] = select(rows.c.cid, rows.c.w, func.count()).group_by(rows.c.cid, rows.c.w)

    # Members at the end of each period, and those who joined during it.
    def member_at(moment):
        return and_(Membership.joined_at < moment,
                    or_(Membership.status == "active", Membership.updated_at >= moment))

    out["members"] = (
        select(Membership.community_id, func.sum(_flag(member_at(current.end))),
               func.sum(_flag(member_at(previous.end))), func.sum(_flag(_within(Membership.joined_at, current))),
               func.sum(_flag(_within(Membership.joined_at, previous))))
        .where(Membership.joined_at.is_not(None), Membership.status.in_(("active", "left", "removed")),
               _in_communities(Membership.community_id, ids))
        .group_by(Membership.community_id))

    # Median time to first reply.
    values = (select(Thread.community_id.label("cid"), _which(Thread.created_at, current).label("w"),
                     seconds_between(Thread.first_reply_at, Thread.created_at).label("x"))
              .where(Thread.is_deleted.is_(False), discussable, Thread.first_reply_at.is_not(None),
                     _within(Thread.created_at, span), _in_communities(Thread.community_id, ids)))
    out["first_reply"] = _medians_statement(values, ("cid", "w"))
    return out


_THREAD_SUMS = ("discussable", "replied", "questions", "answered", "waited")


def core_figures(ids, current: Period, now: datetime | None = None,
                 mains: dict[int, str] | None = None) -> dict[int, tuple[dict, dict]]:
    """Every metric in ``METRICS`` for the communities ``ids`` (all when None), for ``current`` and
    the period before it: ``{community_id: (current values, previous values)}``.

    Seven grouped queries whatever the number of communities (six when the
    communities' main departments, ``main_departments(ids)``, are given), built once
    (``_core_statements``). Communities with no activity at all may be missing from the
    result (read them as zeros).
    """
    now = now or utcnow()
    previous = current.previous()
    statements = _core_statements(db.session.get_bind().dialect.name, ids is not None)
    params = {"cur_start": current.start, "cur_end": current.end, "prev_start": previous.start,
              "waited_before": now - WAIT_LIMIT}
    if ids is not None:
        params["ids"] = list(ids)
    tally = _Tally()

    def run(name: str, *, waited: bool = False):
        used = params if waited else {k: v for k, v in params.items() if k != "waited_before"}
        return db.session.execute(statements[name], used)

    for cid, which, count, *sums in run("threads", waited=True):
        tally.add(cid, which, new_threads=count, **dict(zip(_THREAD_SUMS, sums)))
    for cid, which, count in run("replies"):
        tally.add(cid, which, replies=count)
    mains = main_departments(ids) if mains is None else mains
    for cid, which, dept, posts, resources, versions, contributors in run("activity"):
        outside = contributors if dept and mains.get(cid) and dept != mains[cid] else 0
        tally.increase(cid, which, posts=posts, resources=resources, resource_versions=versions,
                       contributors=contributors, outside_contributors=outside)
    for cid, which, count in run("events"):
        tally.add(cid, which, events=count)
    for cid, members_now, members_before, new_now, new_before in run("members"):
        tally.add(cid, 1, members=members_now, new_members=new_now)
        tally.add(cid, 0, members=members_before, new_members=new_before)
    first_reply = {tuple(row[:-1]): float(row[-1]) for row in run("first_reply")}

    result = {}
    for cid in tally.data.keys() | {cid for cid, _w in first_reply}:
        result[cid] = tuple(_derive(tally, cid, which, first_reply.get((cid, which))) for which in (1, 0))
    return result


def _derive(tally: _Tally, cid: int, which: int, first_reply_seconds) -> dict:
    def get(name):
        return tally.get(cid, name, which) or 0

    values = {key: get(key) for key in ("new_threads", "posts", "resources", "resource_versions", "events",
                                        "members", "new_members", "contributors", "outside_contributors")}
    values.update(
        replies_per_thread=_ratio(get("replies"), get("discussable")),
        reply_share=_percent(get("replied"), get("discussable")),
        answered_share=_percent(get("answered"), get("questions")),
        median_first_reply_hours=_hours(first_reply_seconds),
        unanswered_48h=get("waited"),
    )
    return values


EMPTY_FIGURES = {key: (0 if m.unit == "count" else None) for key, m in METRICS.items()}


# --- objectives ---------------------------------------------------------------------------------

STATUS_LABELS = {"on-track": "On track", "at-risk": "At risk", "off-track": "Off track", "no-data": "No data",
                 "not-started": "Not started"}


@dataclass(frozen=True)
class ObjectiveScore:
    objective_id: int
    title: str
    business_goal: str
    metric: Metric
    baseline: float
    target: float
    due_on: date
    current: float | int | None
    progress: float | None  # share of the way from baseline to target (may exceed 1 or be negative)
    expected: float  # share of the time from recording the objective to its due date that has passed
    status: str
    previous_status: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress is None else int(round(self.progress * 100))

    @property
    def expected_percent(self) -> int:
        return int(round(self.expected * 100))


def objective_status(objective, current, as_of: datetime) -> tuple[float | None, float, str]:
    """``(progress, expected, status)`` of ``objective`` measured at ``current`` on ``as_of``.

    The rule (stated on the report page): progress = (current − baseline) /
    (target − baseline); expected = the share of the time from when the
    objective was recorded to the end of its due date that has passed. On
    track when the target is reached or progress ≥ expected; at risk when
    progress is within 25 points of expected; off track otherwise, and
    whenever the due date has passed without reaching the target. Not started
    while nothing has moved (progress ≤ 0) in the first 25 % of the time, or
    when measured before the objective was recorded. No data when there is
    nothing to measure. The report's scorecard and the portfolio's "on track"
    count both come from this function (through ``_score``).
    """
    due_at = datetime.combine(objective.due_on + timedelta(days=1), time())
    total = (due_at - objective.created_at).total_seconds()
    elapsed = (as_of - objective.created_at).total_seconds()
    expected = 1.0 if total <= 0 else min(1.0, max(0.0, elapsed / total))
    if as_of <= objective.created_at:
        return None, expected, "not-started"
    if current is None:
        return None, expected, "no-data"
    progress = (current - objective.baseline) / (objective.target - objective.baseline)
    if progress >= 1:
        status = "on-track"
    elif progress <= 0 and expected < AT_RISK_MARGIN and as_of < due_at:
        status = "not-started"
    elif as_of >= due_at:
        status = "off-track"
    elif progress >= expected:
        status = "on-track"
    elif progress >= expected - AT_RISK_MARGIN:
        status = "at-risk"
    else:
        status = "off-track"
    return progress, expected, status


def objective_window(period: Period) -> Period:
    return Period(period.end - OBJECTIVE_WINDOW, period.end)


def _objective_figures(ids, period: Period, figures: dict, now, mains) -> dict[int, tuple[dict, dict]]:
    """The figures objectives are measured on: the report's own when the period is the 30-day window."""
    window = objective_window(period)
    if window == period:
        return figures
    return core_figures(ids, window, now, mains)


def _score(objective, figures: tuple[dict, dict], window: Period) -> ObjectiveScore:
    current_values, previous_values = figures
    if METRICS[objective.metric].section == "value":
        # Value-story metrics are not among the shared figures (they would cost every report and portfolio
        # two more queries): two small queries for each objective measured on them (cop.oversight.value).
        from cop.oversight import value  # it builds on this module

        current_values, previous_values = value.objective_values_of(objective.community_id, window)
    current = current_values.get(objective.metric)
    progress, expected, status = objective_status(objective, current, window.end)
    _p, _e, previous_status = objective_status(objective, previous_values.get(objective.metric), window.start)
    return ObjectiveScore(objective.id, objective.title, objective.business_goal, METRICS[objective.metric],
                          objective.baseline, objective.target, objective.due_on, current, progress, expected,
                          status, previous_status)


def _objectives_of(ids) -> dict[int, list[Objective]]:
    by_community: dict[int, list[Objective]] = defaultdict(list)
    if ids:
        for objective in db.session.scalars(select(Objective).where(Objective.community_id.in_(ids))
                                            .order_by(Objective.due_on, Objective.id)):
            by_community[objective.community_id].append(objective)
    return by_community


# --- the community report -----------------------------------------------------------------------

@dataclass(frozen=True)
class Contributor:
    user_id: int
    name: str
    handle: str
    posts: int = 0
    accepted_answers: int = 0
    resources: int = 0
    helpful: int = 0  # helpful reactions received


@dataclass(frozen=True)
class ShareOfVoice:
    tags: list[str]
    posts: int
    all_posts: int
    share: float | None  # percent
    previous_posts: int
    previous_all_posts: int
    previous_share: float | None
    # The period's posts on the domain tags as (here or not, sentiment label, posts, sum of scores) rows.
    sentiment: tuple[tuple[int, str | None, int, float], ...] = ()

    @property
    def figure(self) -> Figure:
        return Figure("share_of_voice", "Share of voice", "percent", "higher", self.share, self.previous_share)


@dataclass(frozen=True)
class GridCell:
    kind: str
    priority: int
    threads: int
    open_threads: int
    median_open_age_hours: float | None


@dataclass(frozen=True)
class Gap:
    query: str
    times: int
    last_searched: datetime
    answered: bool


@dataclass(frozen=True)
class TrendPoint:
    start: datetime
    end: datetime
    posts: int
    contributors: int
    median_first_reply_hours: float | None


@dataclass(frozen=True)
class CommunityReport:
    community_id: int
    name: str
    slug: str
    stage: str
    period: Period
    previous: Period
    generated_at: datetime
    sections: list[tuple[str, str, list[Figure]]]  # (key, title, figures)
    main_department: str | None
    top_contributors: list[Contributor]
    accepted_elsewhere: list[Contributor]
    share_of_voice: ShareOfVoice
    grid: list[GridCell]
    gaps: list[Gap]
    trends: list[TrendPoint]
    objectives: list[ObjectiveScore]
    objective_window: Period

    @property
    def figures(self) -> dict[str, Figure]:
        return {f.key: f for _key, _title, figures in self.sections for f in figures}

    def cell(self, kind: str, priority: int) -> GridCell:
        return next(c for c in self.grid if c.kind == kind and c.priority == priority)


def community_report(community, period: Period, viewer=None, now: datetime | None = None) -> CommunityReport:
    """Every figure of ``community`` over ``period`` beside the previous period.

    ``viewer`` bounds what crosses community lines (share of voice, answers
    accepted elsewhere) to the communities they may read; without one, to
    open communities. A constant number of queries.
    """
    return _report_and_window(community, period, viewer, now)[0]


def reused_report(community, period: Period, viewer, *, recent: bool) -> CommunityReport:
    """``community_report``, its figures reused for up to ``REUSE_SECONDS`` by anyone who may read the same
    communities (a report of the largest community costs ~0.3 s of SQL). ``recent``: ``period`` is "the last
    N days", and a report computed for the last N days up to a few minutes ago is reused, with its own period.

    The objectives are scored afresh from the reused window figures, so an edited objective shows at once.
    """
    readable = frozenset(db.session.scalars(_readable_ids(viewer)))
    key = (community.id, None if recent else period.start, period.length, readable)
    report, window_figures = caching.cache("reports", size=64, max_age=REUSE_SECONDS).get(
        key, lambda: _report_and_window(community, period, viewer, None), version=0)
    mine = _objectives_of([community.id])[community.id]
    if mine and window_figures is None:  # objectives recorded since the figures were computed
        window_figures = core_figures([community.id], report.objective_window, report.generated_at).get(
            community.id, (EMPTY_FIGURES, EMPTY_FIGURES))
    objectives = [_score(o, window_figures, report.objective_window) for o in mine]
    return replace(report, name=community.name, slug=community.slug, stage=community.stage, objectives=objectives)


def _report_and_window(community, period: Period, viewer, now) -> tuple[CommunityReport, tuple[dict, dict] | None]:
    """The report and the figures its objectives are scored on (None when it has no objectives: the
    30-day window's figures, six more statements for any other period, are then not computed)."""
    now = now or utcnow()
    ids = [community.id]
    mains = main_departments(ids)
    figures = core_figures(ids, period, now, mains)
    current, previous = figures.get(community.id, (EMPTY_FIGURES, EMPTY_FIGURES))
    sections = [(key, title, [_figure(m.key, current, previous) for m in METRICS.values() if m.section == key])
                for key, title in SECTIONS]
    window = objective_window(period)
    mine = _objectives_of(ids)[community.id]
    window_figures = None
    if mine:
        window_figures = _objective_figures(ids, period, figures, now, mains).get(community.id,
                                                                                  (EMPTY_FIGURES, EMPTY_FIGURES))
    objectives = [_score(o, window_figures, window) for o in mine]
    return CommunityReport(
        community_id=community.id, name=community.name, slug=community.slug, stage=community.stage,
        period=period, previous=period.previous(), generated_at=now, sections=sections,
        main_department=mains.get(community.id),
        top_contributors=top_contributors(community, period),
        accepted_elsewhere=accepted_elsewhere(community, period, viewer),
        share_of_voice=share_of_voice(community, period, viewer),
        grid=listening_grid(community, period, now), gaps=knowledge_gaps(community, period),
        trends=trends(community, period), objectives=objectives, objective_window=window), window_figures


@functools.lru_cache(maxsize=8)
def _top_contributors_statement(dialect: str, limit: int):
    """``top_contributors``' statement, built once (community ``cid``, period ``p_start``/``p_end`` bound)."""
    cid, period = bindparam("cid", type_=Integer), Period(_bound("p_start"), _bound("p_end"))
    posts = (select(Post.author_id.label("uid"), *_marks(("p", 1), ("a", 0), ("r", 0), ("h", 0)))
             .join(Thread, Thread.id == Post.thread_id)
             .where(Thread.community_id == cid, _visible_post(), _within(Post.created_at, period)))
    accepted = (select(Post.author_id, *_marks(("p", 0), ("a", 1), ("r", 0), ("h", 0))).select_from(Thread)
                .join(Post, Post.id == Thread.accepted_post_id)
                .where(Thread.community_id == cid, _visible_post(), _within(Post.created_at, period)))
    resources = (select(Resource.author_id, *_marks(("p", 0), ("a", 0), ("r", 1), ("h", 0)))
                 .where(Resource.community_id == cid, Resource.is_deleted.is_(False),
                        _within(Resource.created_at, period)))
    helpful = (select(Post.author_id, *_marks(("p", 0), ("a", 0), ("r", 0), ("h", 1))).select_from(Reaction)
               .join(Post, Post.id == Reaction.post_id).join(Thread, Thread.id == Post.thread_id)
               .where(Reaction.kind == "helpful", Thread.community_id == cid, _visible_post(),
                      _within(Reaction.created_at, period)))
    rows = union_all(posts, accepted, resources, helpful).subquery()
    p, a, r, h = func.sum(rows.c.p), func.sum(rows.c.a), func.sum(rows.c.r), func.sum(rows.c.h)
    return (select(User.id, User.display_name, User.handle, p, a, r, h).join(rows, rows.c.uid == User.id)
            .group_by(User.id, User.display_name, User.handle)
            .order_by((p + a + r + h).desc(), User.display_name, User.id).limit(limit))


def top_contributors(community, period: Period, limit: int = TOP_LIMIT) -> list[Contributor]:
    """The people with the most posts, accepted answers, resources and *helpful* reactions received (on their
    visible posts here, given in the period) in the period, their sum first."""
    stmt = _top_contributors_statement(db.session.get_bind().dialect.name, limit)
    return [Contributor(uid, name, handle, int(posts), int(answers), int(added), int(helped))
            for uid, name, handle, posts, answers, added, helped in db.session.execute(
                stmt, {"cid": community.id, "p_start": period.start, "p_end": period.end})]


def _readable_ids(viewer):
    """Ids of the communities ``viewer`` may read (open ones without a viewer)."""
    if viewer is None:
        return select(Community.id).where(Community.visibility == "open")
    return permissions.visible_communities(viewer).with_only_columns(Community.id)


def accepted_elsewhere(community, period: Period, viewer=None, limit: int = TOP_LIMIT) -> list[Contributor]:
    """Active members of ``community`` whose answers were accepted in other communities (readable by ``viewer``).

    Driven from the members' own posts in the period (an index on author and
    date covers it), each looked up as an accepted answer. An accepted answer
    is always visible: the discussion services unmark it when it is deleted
    or hidden, so the posts' rows need not be read.
    """
    members = select(Membership.user_id).where(Membership.community_id == community.id, Membership.status == "active")
    answers = func.count()
    stmt = (select(User.id, User.display_name, User.handle, answers).select_from(Post)
            .join(Thread, Thread.accepted_post_id == Post.id).join(User, User.id == Post.author_id)
            .where(Post.author_id.in_(members), _within(Post.created_at, period), Thread.is_deleted.is_(False),
                   Thread.community_id != community.id, Thread.community_id.in_(_readable_ids(viewer)))
            .group_by(User.id, User.display_name, User.handle)
            .order_by(answers.desc(), User.display_name, User.id).limit(limit))
    return [Contributor(uid, name, handle, accepted_answers=int(n))
            for uid, name, handle, n in db.session.execute(stmt)]


def share_of_voice(community, period: Period, viewer=None) -> ShareOfVoice:
    """The community's share of the posts on its domain tags, across the communities ``viewer`` may read.

    One statement for both periods, grouped by sentiment too: the listening report's *voice* section
    (``listening.voice_sentiment``) is folded from ``ShareOfVoice.sentiment`` instead of walking the same
    posts again (on the large data set each walk is ~100 ms of SQL)."""
    tags = list(db.session.scalars(
        select(Tag.name).join(community_domain_tags, community_domain_tags.c.tag_id == Tag.id)
        .where(community_domain_tags.c.community_id == community.id).order_by(Tag.name)))
    counts = {0: [0, 0], 1: [0, 0]}
    sentiment: list[tuple[int, str | None, int, float]] = []
    if tags:
        previous = period.previous()
        tagged = (select(thread_tags.c.thread_id).join(community_domain_tags,
                                                      community_domain_tags.c.tag_id == thread_tags.c.tag_id)
                  .where(community_domain_tags.c.community_id == community.id))
        rows = (select(_which(Post.created_at, period).label("w"),
                       _flag(Thread.community_id == community.id).label("own"),
                       Post.sentiment_label.label("label"), Post.sentiment.label("score"))
                .join(Thread, Thread.id == Post.thread_id)
                .where(Thread.id.in_(tagged), _visible_post(),
                       _within(Post.created_at, Period(previous.start, period.end)),
                       or_(Thread.community_id == community.id, Thread.community_id.in_(_readable_ids(viewer))))
                .subquery())
        for which, own, label, total, score in db.session.execute(
                select(rows.c.w, rows.c.own, rows.c.label, func.count(), func.sum(rows.c.score))
                .group_by(rows.c.w, rows.c.own, rows.c.label)):
            which, own, total = int(which), int(own), int(total)
            counts[which][1] += total
            if own:
                counts[which][0] += total
            if which == 1:
                sentiment.append((own, label, total, float(score or 0)))
    (own, total), (own_before, total_before) = counts[1], counts[0]
    return ShareOfVoice(tags, own, total, _percent(own, total), own_before, total_before,
                        _percent(own_before, total_before), tuple(sentiment))


def listening_grid(community, period: Period, now: datetime | None = None) -> list[GridCell]:
    """Threads started in the period by kind (question, problem, idea) × priority (1, 2, 3),
    with how many are still open and the median age of those (hours, at ``now``)."""
    now = now or utcnow()
    base = (Thread.community_id == community.id, Thread.is_deleted.is_(False), Thread.kind.in_(GRID_KINDS),
            _within(Thread.created_at, period))
    counts = {(kind, priority): (int(n), int(n_open or 0)) for kind, priority, n, n_open in db.session.execute(
        select(Thread.kind, Thread.priority, func.count(), func.sum(_flag(Thread.status == "open")))
        .where(*base).group_by(Thread.kind, Thread.priority))}
    ages = medians(select(Thread.kind.label("kind"), Thread.priority.label("priority"),
                          seconds_between(_at(now), Thread.created_at).label("x"))
                   .where(*base, Thread.status == "open"), ("kind", "priority"))
    return [GridCell(kind, priority, *counts.get((kind, priority), (0, 0)), _hours(ages.get((kind, priority))))
            for kind in GRID_KINDS for priority in GRID_PRIORITIES]


def knowledge_gaps(community, period: Period, limit: int = TOP_LIMIT) -> list[Gap]:
    """The most frequent searches in the community in the period that found nothing."""
    times = func.count()
    stmt = (select(SearchLog.normalized_query, times, func.max(SearchLog.created_at),
                   func.min(_flag(SearchLog.closed_at.is_not(None))))
            .where(SearchLog.community_id == community.id, SearchLog.result_count == 0,
                   _within(SearchLog.created_at, period))
            .group_by(SearchLog.normalized_query).order_by(times.desc(), SearchLog.normalized_query).limit(limit))
    return [Gap(query, int(n), last, bool(answered)) for query, n, last, answered in db.session.execute(stmt)]


def trend_window(period: Period) -> tuple[Period, int]:
    """The weeks a trend chart covers: at least 12, ending with the period; (window, number of weeks)."""
    weeks = max(MIN_TREND_WEEKS, math.ceil(period.days / 7 - 1e-9))
    return Period(period.end - timedelta(weeks=weeks), period.end), weeks


@functools.lru_cache(maxsize=8)
def _trend_statements(dialect: str) -> tuple:
    """``trends``' two statements, built once (community ``ids``, window ``w_start``/``w_end`` bound)."""
    window = Period(_bound("w_start"), _bound("w_end"))
    activity = _activity(bindparam("ids", expanding=True), window)
    rows = select(whole_weeks(activity.c.at, window.start).label("wk"), activity.c.uid,
                  activity.c.is_post).subquery()
    per_week = (select(rows.c.wk, func.sum(rows.c.is_post), func.count(rows.c.uid.distinct()))
                .group_by(rows.c.wk))
    first_reply = _medians_statement(
        select(whole_weeks(Thread.created_at, window.start).label("wk"),
               seconds_between(Thread.first_reply_at, Thread.created_at).label("x"))
        .where(Thread.community_id.in_(bindparam("ids", expanding=True)), Thread.is_deleted.is_(False),
               Thread.kind != "announcement", Thread.first_reply_at.is_not(None),
               _within(Thread.created_at, window)), ("wk",))
    return per_week, first_reply


def trends(community, period: Period) -> list[TrendPoint]:
    """Weekly posts, active contributors and median time to first reply, oldest week first.

    Week ``i`` is ``[window.start + i weeks, window.start + (i + 1) weeks)``;
    time to first reply is counted in the week the thread was opened.
    """
    window, weeks = trend_window(period)
    per_week_stmt, first_reply_stmt = _trend_statements(db.session.get_bind().dialect.name)
    params = {"ids": [community.id], "w_start": window.start, "w_end": window.end}
    per_week = {int(wk): (int(posts or 0), int(people))
                for wk, posts, people in db.session.execute(per_week_stmt, params)}
    first_reply = {tuple(row[:-1]): float(row[-1]) for row in db.session.execute(first_reply_stmt, params)}
    points = []
    for week in range(weeks):
        start = window.start + timedelta(weeks=week)
        posts, people = per_week.get(week, (0, 0))
        points.append(TrendPoint(start, start + timedelta(weeks=1), posts, people,
                                 _hours(first_reply.get((week,)))))
    return points


# --- the sponsor portfolio ----------------------------------------------------------------------

PORTFOLIO_COLUMNS = ("members", "contributors", "posts", "median_first_reply_hours", "answered_share")


@dataclass(frozen=True)
class PortfolioRow:
    community_id: int
    name: str
    slug: str
    stage: str
    visibility: str
    members: Figure
    contributors: Figure
    posts: Figure
    median_first_reply_hours: Figure
    answered_share: Figure
    objectives_on_track: Figure
    objectives_total: int

    @property
    def figures(self) -> list[Figure]:
        return [self.members, self.contributors, self.posts, self.median_first_reply_hours, self.answered_share,
                self.objectives_on_track]


def portfolio_communities(user) -> list[Community]:
    """The communities ``user`` sponsors, by name (administrators: every community)."""
    stmt = select(Community).order_by(Community.name, Community.id)
    if not permissions.is_admin(user):
        stmt = stmt.join(community_sponsors, community_sponsors.c.community_id == Community.id).where(
            community_sponsors.c.user_id == user.id)
    return list(db.session.scalars(stmt))


def _portfolio_figures(scope, period: Period, now: datetime, with_window: bool) -> tuple[dict, dict | None]:
    """The period's figures, and the 30-day window's when objectives are to be scored (else None)."""
    mains = main_departments(scope)
    figures = core_figures(scope, period, now, mains)
    return figures, (_objective_figures(scope, period, figures, now, mains) if with_window else None)


def portfolio(user, period: Period, now: datetime | None = None, *, reuse: bool = False) -> list[PortfolioRow]:
    """One row per community ``user`` sponsors (administrators: all), by name.

    A constant number of queries whatever the number of communities. ``reuse``: ``period`` is "the last
    N days" and figures computed for the same communities and length up to ``REUSE_SECONDS`` ago are
    reused (objectives are always scored afresh).
    """
    now = now or utcnow()
    communities = portfolio_communities(user) if getattr(user, "is_authenticated", False) else []
    ids = [c.id for c in communities]
    if not ids:
        return []
    # An administrator's portfolio is every community: no need to name them all in the queries.
    scope = None if permissions.is_admin(user) else ids
    objectives = _objectives_of(ids)
    with_window = any(objectives.values())
    if reuse:
        figures, window_figures = caching.cache("portfolios", size=64, max_age=REUSE_SECONDS).get(
            (None if scope is None else tuple(scope), period.length),
            lambda: _portfolio_figures(scope, period, now, with_window), version=0)
        if with_window and window_figures is None:  # objectives recorded since the figures were computed
            window_figures = _objective_figures(scope, period, figures, now, None)
    else:
        figures, window_figures = _portfolio_figures(scope, period, now, with_window)
    window = objective_window(period)
    window_figures = window_figures or {}
    rows = []
    for community in communities:
        current, previous = figures.get(community.id, (EMPTY_FIGURES, EMPTY_FIGURES))
        scores = [_score(o, window_figures.get(community.id, (EMPTY_FIGURES, EMPTY_FIGURES)), window)
                  for o in objectives[community.id]]
        on_track = Figure("objectives_on_track", "Objectives on track", "count", "higher",
                          sum(s.status == "on-track" for s in scores),
                          sum(s.previous_status == "on-track" for s in scores))
        rows.append(PortfolioRow(community.id, community.name, community.slug, community.stage, community.visibility,
                                 *[_figure(key, current, previous) for key in PORTFOLIO_COLUMNS], on_track,
                                 len(scores)))
    return rows


SORT_KEYS = {
    "name": lambda row: row.name.lower(),
    "stage": lambda row: STAGES.index(row.stage) if row.stage in STAGES else len(STAGES),
    "members": lambda row: row.members.value,
    "contributors": lambda row: row.contributors.value,
    "posts": lambda row: row.posts.value,
    "first_reply": lambda row: row.median_first_reply_hours.value,
    "answered": lambda row: row.answered_share.value,
    "objectives": lambda row: row.objectives_on_track.value,
}


def sort_portfolio(rows: list[PortfolioRow], sort: str = "name", direction: str = "asc") -> list[PortfolioRow]:
    """Rows ordered by ``sort`` (a key of ``SORT_KEYS``; unknown: name), missing values last, ties by name."""
    key = SORT_KEYS.get(sort, SORT_KEYS["name"])
    by_name = sorted(rows, key=SORT_KEYS["name"])
    known = [row for row in by_name if key(row) is not None]
    missing = [row for row in by_name if key(row) is None]
    return sorted(known, key=key, reverse=direction == "desc") + missing
