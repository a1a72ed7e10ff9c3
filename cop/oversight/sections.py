"""The community report's sections beyond the metric tables: who contributes (here and elsewhere), the
community's share of voice on its domain tags, the listening grid, knowledge gaps and weekly trends.

Read-only query functions like ``cop.oversight.metrics``: a constant number of statements each, the
figures aggregated in SQL on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, bindparam, case, func, select, union_all

from cop.accounts.models import User
from cop.communities.models import Membership, community_domain_tags
from cop.discussions.models import Post, Thread
from cop.extensions import db, utcnow
from cop.library.models import Resource
from cop.oversight import voice
from cop.oversight.metrics import Figure, contributions, percent, to_hours
from cop.oversight.periods import Period, trend_window
from cop.oversight.sql import (
    datetime_param,
    flag,
    in_readable,
    marks,
    median_ranked,
    medians_statement,
    readable_scope,
    seconds_between,
    visible_post,
    whole_weeks,
    within,
)
from cop.reactions.models import Reaction
from cop.search.models import SearchLog
from cop.tags.models import Tag

TOP_LIMIT = 10
GRID_KINDS = ("question", "problem", "idea")
GRID_PRIORITIES = (1, 2, 3)


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


@functools.lru_cache(maxsize=8)
def _top_contributors_statement(dialect: str, limit: int):
    """``top_contributors``' statement, built once (community ``cid``, period ``p_start``/``p_end`` bound)."""
    cid, period = bindparam("cid", type_=Integer), Period(datetime_param("p_start"), datetime_param("p_end"))
    posts = (
        select(Post.author_id.label("uid"), *marks(("p", 1), ("a", 0), ("r", 0), ("h", 0)))
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.community_id == cid, visible_post(), within(Post.created_at, period))
    )
    accepted = (
        select(Post.author_id, *marks(("p", 0), ("a", 1), ("r", 0), ("h", 0)))
        .select_from(Thread)
        .join(Post, Post.id == Thread.accepted_post_id)
        .where(Thread.community_id == cid, visible_post(), within(Post.created_at, period))
    )
    resources = select(Resource.author_id, *marks(("p", 0), ("a", 0), ("r", 1), ("h", 0))).where(
        Resource.community_id == cid, Resource.is_deleted.is_(False), within(Resource.created_at, period)
    )
    helpful = (
        select(Post.author_id, *marks(("p", 0), ("a", 0), ("r", 0), ("h", 1)))
        .select_from(Reaction)
        .join(Post, Post.id == Reaction.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Reaction.kind == "helpful", Thread.community_id == cid, visible_post(), within(Reaction.created_at, period)
        )
    )
    rows = union_all(posts, accepted, resources, helpful).subquery()
    p, a, r, h = func.sum(rows.c.p), func.sum(rows.c.a), func.sum(rows.c.r), func.sum(rows.c.h)
    return (
        select(User.id, User.display_name, User.handle, p, a, r, h)
        .join(rows, rows.c.uid == User.id)
        .group_by(User.id, User.display_name, User.handle)
        .order_by((p + a + r + h).desc(), User.display_name, User.id)
        .limit(limit)
    )


def top_contributors(community, period: Period, limit: int = TOP_LIMIT) -> list[Contributor]:
    """The people with the most posts, accepted answers, resources and *helpful* reactions received (on their
    visible posts here, given in the period) in the period, their sum first."""
    stmt = _top_contributors_statement(db.session.get_bind().dialect.name, limit)
    return [
        Contributor(uid, name, handle, int(posts), int(answers), int(added), int(helped))
        for uid, name, handle, posts, answers, added, helped in db.session.execute(
            stmt, {"cid": community.id, "p_start": period.start, "p_end": period.end}
        )
    ]


@functools.lru_cache(maxsize=8)
def _accepted_elsewhere_statement(dialect: str, scoped: bool, limit: int):
    """``accepted_elsewhere``'s statement, built once per dialect and reading scope (``in_readable``;
    community ``cid`` and period ``p_start``/``p_end`` bound)."""
    cid, period = bindparam("cid", type_=Integer), Period(datetime_param("p_start"), datetime_param("p_end"))
    members = select(Membership.user_id).where(Membership.community_id == cid, Membership.status == "active")
    answers = func.count()
    return (
        select(User.id, User.display_name, User.handle, answers)
        .select_from(Post)
        .join(Thread, Thread.accepted_post_id == Post.id)
        .join(User, User.id == Post.author_id)
        .where(
            Post.author_id.in_(members),
            within(Post.created_at, period),
            Thread.is_deleted.is_(False),
            Thread.community_id != cid,
            in_readable(Thread.community_id, scoped, dialect),
        )
        .group_by(User.id, User.display_name, User.handle)
        .order_by(answers.desc(), User.display_name, User.id)
        .limit(limit)
    )


def accepted_elsewhere(community, period: Period, viewer=None, limit: int = TOP_LIMIT) -> list[Contributor]:
    """Active members of ``community`` whose answers were accepted in other communities (readable by ``viewer``).

    Driven from the members' own posts in the period (an index on author and
    date covers it), each looked up as an accepted answer. An accepted answer
    is always visible: the discussion services unmark it when it is deleted
    or hidden, so the posts' rows need not be read.
    """
    scoped, params = readable_scope(viewer)
    stmt = _accepted_elsewhere_statement(db.session.get_bind().dialect.name, scoped, limit)
    params |= {"cid": community.id, "p_start": period.start, "p_end": period.end}
    return [
        Contributor(uid, name, handle, accepted_answers=int(n))
        for uid, name, handle, n in db.session.execute(stmt, params)
    ]


def share_of_voice(community, period: Period, viewer=None) -> ShareOfVoice:
    """The community's share of the posts on its domain tags, across the communities ``viewer`` may read.

    Summed from the posts per tag and day (``cop.oversight.voice``; counted from the posts, a large
    community's tags cost ~100 ms of SQL), for both periods and by sentiment too: the listening report's
    *voice* section (``listening.voice_sentiment``) is folded from ``ShareOfVoice.sentiment``."""
    tags = db.session.execute(
        select(Tag.id, Tag.name)
        .join(community_domain_tags, community_domain_tags.c.tag_id == Tag.id)
        .where(community_domain_tags.c.community_id == community.id)
        .order_by(Tag.name)
    ).all()
    counts = {0: [0, 0], 1: [0, 0]}
    sentiment: list[tuple[int, str | None, int, float]] = []
    scoped, scope = readable_scope(viewer)
    readable = frozenset(scope["readable"]) if scoped else None
    rows = voice.share_rows(db.session.connection(), community.id, [t.id for t in tags], period, readable)
    for which, own, label, total, score in rows:
        counts[which][1] += total
        if own:
            counts[which][0] += total
        if which == 1:
            sentiment.append((own, label, total, score))
    (own, total), (own_before, total_before) = counts[1], counts[0]
    return ShareOfVoice(
        [t.name for t in tags],
        own,
        total,
        percent(own, total),
        own_before,
        total_before,
        percent(own_before, total_before),
        tuple(sentiment),
    )


@functools.lru_cache(maxsize=8)
def _listening_grid_statement(dialect: str):
    """``listening_grid``'s statement, built once (community ``cid``, period ``p_start``/``p_end`` and the
    moment ages are measured at, ``now``, bound): the counts and the open threads' median age together."""
    is_open = Thread.status == "open"
    rows = (
        select(
            Thread.kind.label("kind"),
            Thread.priority.label("priority"),
            flag(is_open).label("open"),
            case((is_open, seconds_between(datetime_param("now"), Thread.created_at))).label("x"),
        )
        .where(
            Thread.community_id == bindparam("cid", type_=Integer),
            Thread.is_deleted.is_(False),
            Thread.kind.in_(GRID_KINDS),
            within(Thread.created_at, Period(datetime_param("p_start"), datetime_param("p_end"))),
        )
        .subquery()
    )
    ranked, median_age = median_ranked(rows, ("kind", "priority"))
    return select(ranked.c.kind, ranked.c.priority, func.count(), func.sum(ranked.c.open), median_age).group_by(
        ranked.c.kind, ranked.c.priority
    )


def listening_grid(community, period: Period, now: datetime | None = None) -> list[GridCell]:
    """Threads started in the period by kind (question, problem, idea) × priority (1, 2, 3),
    with how many are still open and the median age of those (hours, at ``now``): one statement."""
    stmt = _listening_grid_statement(db.session.get_bind().dialect.name)
    cells = {
        (kind, priority): (int(n), int(n_open or 0), age)
        for kind, priority, n, n_open, age in db.session.execute(
            stmt, {"cid": community.id, "p_start": period.start, "p_end": period.end, "now": now or utcnow()}
        )
    }
    grid = []
    for kind in GRID_KINDS:
        for priority in GRID_PRIORITIES:
            n, n_open, age = cells.get((kind, priority), (0, 0, None))
            grid.append(GridCell(kind, priority, n, n_open, None if age is None else to_hours(float(age))))
    return grid


@functools.lru_cache(maxsize=8)
def _knowledge_gaps_statement(dialect: str, limit: int):
    """``knowledge_gaps``' statement, built once (community ``cid``, period ``p_start``/``p_end`` bound)."""
    times = func.count()
    return (
        select(
            SearchLog.normalized_query,
            times,
            func.max(SearchLog.created_at),
            func.min(flag(SearchLog.closed_at.is_not(None))),
        )
        .where(
            SearchLog.community_id == bindparam("cid", type_=Integer),
            SearchLog.result_count == 0,
            within(SearchLog.created_at, Period(datetime_param("p_start"), datetime_param("p_end"))),
        )
        .group_by(SearchLog.normalized_query)
        .order_by(times.desc(), SearchLog.normalized_query)
        .limit(limit)
    )


def knowledge_gaps(community, period: Period, limit: int = TOP_LIMIT) -> list[Gap]:
    """The most frequent searches in the community in the period that found nothing."""
    stmt = _knowledge_gaps_statement(db.session.get_bind().dialect.name, limit)
    return [
        Gap(query, int(n), last, bool(answered))
        for query, n, last, answered in db.session.execute(
            stmt, {"cid": community.id, "p_start": period.start, "p_end": period.end}
        )
    ]


@functools.lru_cache(maxsize=8)
def _trend_statements(dialect: str) -> tuple:
    """``trends``' two statements, built once (community ``ids``, window ``w_start``/``w_end`` bound)."""
    window = Period(datetime_param("w_start"), datetime_param("w_end"))
    activity = contributions(bindparam("ids", expanding=True), window)
    rows = select(whole_weeks(activity.c.at, window.start).label("wk"), activity.c.uid, activity.c.is_post).subquery()
    per_week = select(rows.c.wk, func.sum(rows.c.is_post), func.count(rows.c.uid.distinct())).group_by(rows.c.wk)
    first_reply = medians_statement(
        select(
            whole_weeks(Thread.created_at, window.start).label("wk"),
            seconds_between(Thread.first_reply_at, Thread.created_at).label("x"),
        ).where(
            Thread.community_id.in_(bindparam("ids", expanding=True)),
            Thread.is_deleted.is_(False),
            Thread.kind != "announcement",
            Thread.first_reply_at.is_not(None),
            within(Thread.created_at, window),
        ),
        ("wk",),
    )
    return per_week, first_reply


def trends(community, period: Period) -> list[TrendPoint]:
    """Weekly posts, active contributors and median time to first reply, oldest week first.

    Week ``i`` is ``[window.start + i weeks, window.start + (i + 1) weeks)``;
    time to first reply is counted in the week the thread was opened.
    """
    window, weeks = trend_window(period)
    per_week_stmt, first_reply_stmt = _trend_statements(db.session.get_bind().dialect.name)
    params = {"ids": [community.id], "w_start": window.start, "w_end": window.end}
    per_week = {
        int(wk): (int(posts or 0), int(people)) for wk, posts, people in db.session.execute(per_week_stmt, params)
    }
    first_reply = {tuple(row[:-1]): float(row[-1]) for row in db.session.execute(first_reply_stmt, params)}
    points = []
    for week in range(weeks):
        start = window.start + timedelta(weeks=week)
        posts, people = per_week.get(week, (0, 0))
        points.append(TrendPoint(start, start + timedelta(weeks=1), posts, people, to_hours(first_reply.get((week,)))))
    return points
