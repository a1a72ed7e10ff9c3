"""The sponsor's community report: the figures of ``cop.oversight.metrics`` in their sections, the other
sections of ``cop.oversight.sections`` and the objectives' scores, for one community and period.

A constant number of statements per report; ``reused_report`` serves a report of "the last N days"
computed a few minutes ago to anyone who may read the same communities.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from cop import caching, permissions
from cop.extensions import utcnow
from cop.oversight.metrics import EMPTY_FIGURES, METRICS, SECTIONS, Figure, core_figures, figure, main_departments
from cop.oversight.models import Objective
from cop.oversight.objectives import ObjectiveScore, objective_figures, objectives_of, score
from cop.oversight.periods import REUSE_SECONDS, Period, objective_window
from cop.oversight.sections import (
    Contributor,
    Gap,
    GridCell,
    ShareOfVoice,
    TrendPoint,
    accepted_elsewhere,
    knowledge_gaps,
    listening_grid,
    share_of_voice,
    top_contributors,
    trends,
)


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
    return _report_and_window(community, period, viewer, now, objectives_of([community.id])[community.id])[0]


def reused_report(community, period: Period, viewer, *, recent: bool) -> CommunityReport:
    """``community_report``, its figures reused for up to ``REUSE_SECONDS`` by anyone who may read the same
    communities (a report of the largest community costs ~0.3 s of SQL). ``recent``: ``period`` is "the last
    N days", and a report computed for the last N days up to a few minutes ago is reused, with its own period.

    The objectives are scored afresh from the reused window figures, so an edited objective shows at once.
    """
    key = (community.id, None if recent else period.start, period.length, permissions.readable_community_ids(viewer))
    mine = objectives_of([community.id])[community.id]
    computed = []

    def compute() -> tuple[CommunityReport, tuple[dict, dict] | None]:
        computed.append(True)
        return _report_and_window(community, period, viewer, None, mine)

    report, window_figures = caching.cache("reports", size=64, max_age=REUSE_SECONDS).get(key, compute, version=0)
    if computed:  # just computed, objectives scored
        return report
    if mine and window_figures is None:  # objectives recorded since the figures were computed
        window_figures = core_figures([community.id], report.objective_window, report.generated_at).get(
            community.id, (EMPTY_FIGURES, EMPTY_FIGURES)
        )
    objectives = [score(o, window_figures, report.objective_window) for o in mine]
    return replace(report, name=community.name, slug=community.slug, stage=community.stage, objectives=objectives)


def _report_and_window(
    community, period: Period, viewer, now, mine: list[Objective]
) -> tuple[CommunityReport, tuple[dict, dict] | None]:
    """The report and the figures its objectives (``mine``) are scored on (None when it has none: the
    30-day window's figures, four more statements for any other period, are then not computed)."""
    now = now or utcnow()
    ids = [community.id]
    mains = main_departments(ids)
    figures = core_figures(ids, period, now, mains)
    current, previous = figures.get(community.id, (EMPTY_FIGURES, EMPTY_FIGURES))
    sections = [
        (key, title, [figure(m.key, current, previous) for m in METRICS.values() if m.section == key])
        for key, title in SECTIONS
    ]
    window = objective_window(period)
    window_figures = None
    objectives: list[ObjectiveScore] = []
    if mine:
        window_figures = objective_figures(ids, period, figures, now, mains).get(
            community.id, (EMPTY_FIGURES, EMPTY_FIGURES)
        )
        objectives = [score(o, window_figures, window) for o in mine]
    return CommunityReport(
        community_id=community.id,
        name=community.name,
        slug=community.slug,
        stage=community.stage,
        period=period,
        previous=period.previous(),
        generated_at=now,
        sections=sections,
        main_department=mains.get(community.id),
        top_contributors=top_contributors(community, period),
        accepted_elsewhere=accepted_elsewhere(community, period, viewer),
        share_of_voice=share_of_voice(community, period, viewer),
        grid=listening_grid(community, period, now),
        gaps=knowledge_gaps(community, period),
        trends=trends(community, period),
        objectives=objectives,
        objective_window=window,
    ), window_figures
