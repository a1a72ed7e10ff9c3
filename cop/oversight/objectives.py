"""Objectives scored against the figures: each one's progress from baseline to target beside the share of
its time that has passed, and the status that follows (the rule is stated on ``objective_status``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from cop.extensions import db
from cop.oversight import value
from cop.oversight.metrics import METRICS, Metric, core_figures
from cop.oversight.models import Objective
from cop.oversight.periods import Period, objective_window

AT_RISK_MARGIN = 0.25


STATUS_LABELS = {
    "on-track": "On track",
    "at-risk": "At risk",
    "off-track": "Off track",
    "no-data": "No data",
    "not-started": "Not started",
}


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


def objective_figures(ids, period: Period, figures: dict, now, mains) -> dict[int, tuple[dict, dict]]:
    """The figures objectives are measured on: the report's own when the period is the 30-day window."""
    window = objective_window(period)
    if window == period:
        return figures
    return core_figures(ids, window, now, mains)


def score(objective, figures: tuple[dict, dict], window: Period) -> ObjectiveScore:
    current_values, previous_values = figures
    if METRICS[objective.metric].section == "value":
        # Value-story metrics are not among the shared figures (they would cost every report and portfolio
        # two more queries): two small queries for each objective measured on them (cop.oversight.value).
        current_values, previous_values = value.objective_values_of(objective.community_id, window)
    current = current_values.get(objective.metric)
    progress, expected, status = objective_status(objective, current, window.end)
    _p, _e, previous_status = objective_status(objective, previous_values.get(objective.metric), window.start)
    return ObjectiveScore(
        objective.id,
        objective.title,
        objective.business_goal,
        METRICS[objective.metric],
        objective.baseline,
        objective.target,
        objective.due_on,
        current,
        progress,
        expected,
        status,
        previous_status,
    )


def objectives_of(ids) -> dict[int, list[Objective]]:
    by_community: dict[int, list[Objective]] = defaultdict(list)
    if ids:
        for objective in db.session.scalars(
            select(Objective).where(Objective.community_id.in_(ids)).order_by(Objective.due_on, Objective.id)
        ):
            by_community[objective.community_id].append(objective)
    return by_community
