"""The sponsor portfolio: one row of figures per community a sponsor oversees (administrators: all), with
how many of its objectives are on track; a constant number of statements whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from cop import caching, permissions
from cop.communities.models import STAGES, Community, community_sponsors
from cop.extensions import db, utcnow
from cop.oversight.metrics import EMPTY_FIGURES, Figure, core_figures, figure, main_departments
from cop.oversight.objectives import objective_figures, objectives_of, score
from cop.oversight.periods import REUSE_SECONDS, Period, objective_window


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
        return [
            self.members,
            self.contributors,
            self.posts,
            self.median_first_reply_hours,
            self.answered_share,
            self.objectives_on_track,
        ]


def portfolio_communities(user) -> list[Community]:
    """The communities ``user`` sponsors, by name (administrators: every community)."""
    stmt = select(Community).order_by(Community.name, Community.id)
    if not permissions.is_admin(user):
        stmt = stmt.join(community_sponsors, community_sponsors.c.community_id == Community.id).where(
            community_sponsors.c.user_id == user.id
        )
    return list(db.session.scalars(stmt))


def _portfolio_figures(scope, period: Period, now: datetime, with_window: bool) -> tuple[dict, dict | None]:
    """The period's figures, and the 30-day window's when objectives are to be scored (else None)."""
    mains = main_departments(scope)
    figures = core_figures(scope, period, now, mains)
    return figures, (objective_figures(scope, period, figures, now, mains) if with_window else None)


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
    objectives = objectives_of(ids)
    with_window = any(objectives.values())
    if reuse:
        figures, window_figures = caching.cache("portfolios", size=64, max_age=REUSE_SECONDS).get(
            (None if scope is None else tuple(scope), period.length),
            lambda: _portfolio_figures(scope, period, now, with_window),
            version=0,
        )
        if with_window and window_figures is None:  # objectives recorded since the figures were computed
            window_figures = objective_figures(scope, period, figures, now, None)
    else:
        figures, window_figures = _portfolio_figures(scope, period, now, with_window)
    window = objective_window(period)
    window_figures = window_figures or {}
    rows = []
    for community in communities:
        current, previous = figures.get(community.id, (EMPTY_FIGURES, EMPTY_FIGURES))
        scores = [
            score(o, window_figures.get(community.id, (EMPTY_FIGURES, EMPTY_FIGURES)), window)
            for o in objectives[community.id]
        ]
        on_track = Figure(
            "objectives_on_track",
            "Objectives on track",
            "count",
            "higher",
            sum(s.status == "on-track" for s in scores),
            sum(s.previous_status == "on-track" for s in scores),
        )
        rows.append(
            PortfolioRow(
                community.id,
                community.name,
                community.slug,
                community.stage,
                community.visibility,
                members=figure("members", current, previous),
                contributors=figure("contributors", current, previous),
                posts=figure("posts", current, previous),
                median_first_reply_hours=figure("median_first_reply_hours", current, previous),
                answered_share=figure("answered_share", current, previous),
                objectives_on_track=on_track,
                objectives_total=len(scores),
            )
        )
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
