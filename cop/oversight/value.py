"""Value created: the report's and the portfolio's figures from value stories (``cop.value``).

Read-only query functions in the style of ``cop.oversight.metrics``; every
count and sum is computed in SQL, the same on SQLite and PostgreSQL.

Definitions, shown on the report page too:

* A story counts in the period it was **recorded** in (``[start, end)``).
* **Realized value** sums the measured results of the realized stories
  recorded in the period that a coordinator has **confirmed** (by now), per
  unit; a custom unit is summed under its own name. Unconfirmed stories are
  listed and counted as stories but their amounts are never summed.
* **Best stories**: the period's confirmed stories first, then realized and
  reframing before the other cycles, larger results first, newest first.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from cop.extensions import db
from cop.oversight.periods import Period
from cop.oversight.sql import in_communities, is_current, within
from cop.value.models import CYCLES, UNIT_LABELS, UNITS, ValueStory

BEST_LIMIT = 5
# Objectives may be measured on these (keys of cop.oversight.metrics.METRICS).
STORIES_METRIC = "value_stories"
REALIZED_METRICS = {f"realized_{unit}": unit for unit in UNITS if unit != "custom"}


@dataclass(frozen=True)
class RealizedSum:
    unit: str  # a key of UNITS
    label: str  # "hours saved", or the custom unit's name
    amount: float
    stories: int


@dataclass(frozen=True)
class StorySummary:
    story_id: int
    cycle: str
    text: str
    amount: float | None
    unit_label: str
    author_name: str | None
    created_at: datetime
    confirmed: bool


@dataclass(frozen=True)
class ValueReport:
    per_cycle: dict[str, tuple[int, int]]  # cycle -> (this period, previous period)
    confirmed: int  # stories of the period confirmed by now
    realized: list[RealizedSum]
    realized_previous: list[RealizedSum]
    best: list[StorySummary]

    @property
    def stories(self) -> int:
        return sum(now for now, _before in self.per_cycle.values())

    @property
    def previous_stories(self) -> int:
        return sum(before for _now, before in self.per_cycle.values())


def _label(unit: str, custom: str) -> str:
    return custom if unit == "custom" else UNIT_LABELS[unit]


def _unit_order(item: RealizedSum):
    return (UNITS.index(item.unit), item.label.lower())


def realized_sums(ids, period: Period) -> dict[tuple[int, int], list[RealizedSum]]:
    """Confirmed realized value per community, period (1: ``period``, 0: the one before) and unit: one query."""
    span = Period(period.previous().start, period.end)
    which = is_current(ValueStory.created_at, period)
    stmt = (select(ValueStory.community_id, which, ValueStory.unit, ValueStory.custom_unit,
                   func.sum(ValueStory.amount), func.count())
            .where(in_communities(ValueStory.community_id, ids), within(ValueStory.created_at, span),
                   ValueStory.cycle == "realized", ValueStory.confirmed_at.is_not(None),
                   ValueStory.amount.is_not(None), ValueStory.unit.is_not(None))
            .group_by(ValueStory.community_id, which, ValueStory.unit, ValueStory.custom_unit))
    sums: dict[tuple[int, int], list[RealizedSum]] = defaultdict(list)
    for cid, w, unit, custom, amount, count in db.session.execute(stmt):
        sums[(cid, int(w))].append(RealizedSum(unit, _label(unit, custom), round(float(amount or 0), 2), int(count)))
    for items in sums.values():
        items.sort(key=_unit_order)
    return sums


def story_counts(ids, period: Period) -> dict[int, dict[str, list[int]]]:
    """Stories per community and cycle: ``{cid: {cycle: [previous, current, confirmed current]}}``: one query."""
    span = Period(period.previous().start, period.end)
    which = is_current(ValueStory.created_at, period)
    confirmed = func.sum(case((ValueStory.confirmed_at.is_not(None), which), else_=0))
    counts: dict[int, dict[str, list[int]]] = defaultdict(lambda: {c: [0, 0, 0] for c in CYCLES})
    for cid, cycle, w, n, n_confirmed in db.session.execute(
            select(ValueStory.community_id, ValueStory.cycle, which, func.count(), confirmed)
            .where(in_communities(ValueStory.community_id, ids), within(ValueStory.created_at, span))
            .group_by(ValueStory.community_id, ValueStory.cycle, which)):
        counts[cid][cycle][int(w)] = int(n)
        counts[cid][cycle][2] += int(n_confirmed or 0)
    return counts


def best_stories(community, period: Period, limit: int = BEST_LIMIT) -> list[StorySummary]:
    from cop.accounts.models import User

    weight = case((ValueStory.cycle.in_(("realized", "reframing")), 0), else_=1)
    stmt = (select(ValueStory.id, ValueStory.cycle, ValueStory.text, ValueStory.amount, ValueStory.unit,
                   ValueStory.custom_unit, User.display_name, ValueStory.created_at, ValueStory.confirmed_at)
            .outerjoin(User, User.id == ValueStory.author_id)
            .where(ValueStory.community_id == community.id, within(ValueStory.created_at, period))
            .order_by(case((ValueStory.confirmed_at.is_not(None), 0), else_=1), weight,
                      func.coalesce(ValueStory.amount, 0).desc(), ValueStory.created_at.desc(), ValueStory.id.desc())
            .limit(limit))
    return [StorySummary(sid, cycle, text, amount, _label(unit, custom) if unit else "", name, created,
                         confirmed is not None)
            for sid, cycle, text, amount, unit, custom, name, created, confirmed in db.session.execute(stmt)]


def value_report(community, period: Period) -> ValueReport:
    """The report's value section for ``community``: three queries."""
    counts = story_counts([community.id], period).get(community.id, {c: [0, 0, 0] for c in CYCLES})
    sums = realized_sums([community.id], period)
    return ValueReport({c: (counts[c][1], counts[c][0]) for c in CYCLES}, sum(v[2] for v in counts.values()),
                       sums.get((community.id, 1), []), sums.get((community.id, 0), []),
                       best_stories(community, period))


@dataclass(frozen=True)
class PortfolioValue:
    stories: int
    previous_stories: int
    realized: list[RealizedSum]


def portfolio_value(ids, period: Period) -> dict[int, PortfolioValue]:
    """The portfolio's value column for the communities ``ids`` (all when None): two queries."""
    counts = story_counts(ids, period)
    sums = realized_sums(ids, period)
    result = {}
    for cid in set(counts) | {cid for cid, _w in sums}:
        cycles = counts.get(cid, {})
        result[cid] = PortfolioValue(sum(v[1] for v in cycles.values()), sum(v[0] for v in cycles.values()),
                                     sums.get((cid, 1), []))
    return result


def objective_values(ids, period: Period) -> dict[int, tuple[dict, dict]]:
    """The value metrics objectives may use, per community: ``{cid: (current, previous)}``: two queries."""
    counts = story_counts(ids, period)
    sums = realized_sums(ids, period)
    result = {}
    for cid in set(counts) | {cid for cid, _w in sums}:
        pair = []
        for which in (1, 0):
            values = {STORIES_METRIC: sum(v[which] for v in counts.get(cid, {}).values())}
            for key, unit in REALIZED_METRICS.items():
                values[key] = round(sum(s.amount for s in sums.get((cid, which), []) if s.unit == unit), 2)
            pair.append(values)
        result[cid] = (pair[0], pair[1])
    return result


def objective_values_of(community_id: int, period: Period) -> tuple[dict, dict]:
    """``objective_values`` of one community, zeros when it has no story."""
    zeros = {STORIES_METRIC: 0, **{key: 0 for key in REALIZED_METRICS}}
    return objective_values([community_id], period).get(community_id, (zeros, dict(zeros)))
