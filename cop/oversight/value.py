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

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, bindparam, case, func, select

from cop.extensions import db
from cop.oversight.periods import Period
from cop.oversight.sql import datetime_param, flag, in_communities, is_current, within
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


@functools.lru_cache(maxsize=8)
def _stories_statement(dialect: str, scoped: bool):
    """``stories``' statement, built once per dialect and scope (communities ``ids`` when ``scoped``,
    periods ``cur_start``/``cur_end``/``prev_start`` bound)."""
    current = Period(datetime_param("cur_start"), datetime_param("cur_end"))
    which = is_current(ValueStory.created_at, current)
    summed = and_(
        ValueStory.cycle == "realized",
        ValueStory.confirmed_at.is_not(None),
        ValueStory.amount.is_not(None),
        ValueStory.unit.is_not(None),
    )
    return (
        select(
            ValueStory.community_id,
            ValueStory.cycle,
            which,
            ValueStory.unit,
            ValueStory.custom_unit,
            func.count(),
            func.sum(case((ValueStory.confirmed_at.is_not(None), which), else_=0)),
            func.sum(case((summed, ValueStory.amount))),
            func.sum(flag(summed)),
        )
        .where(
            in_communities(ValueStory.community_id, bindparam("ids", expanding=True) if scoped else None),
            within(ValueStory.created_at, Period(datetime_param("prev_start"), current.end)),
        )
        .group_by(ValueStory.community_id, ValueStory.cycle, which, ValueStory.unit, ValueStory.custom_unit)
    )


def stories(ids, period: Period) -> tuple[dict[int, dict[str, list[int]]], dict[tuple[int, int], list[RealizedSum]]]:
    """The stories of the communities ``ids`` (all when None) in ``period`` and the period before it, in one
    query: ``(counts, sums)``.

    ``counts``: stories per community and cycle, ``{cid: {cycle: [previous, current, confirmed current]}}``.
    ``sums``: confirmed realized value per community, period (1: ``period``, 0: the one before) and unit.
    """
    params: dict[str, object] = {
        "cur_start": period.start,
        "cur_end": period.end,
        "prev_start": period.previous().start,
    }
    if ids is not None:
        params["ids"] = list(ids)
    counts: dict[int, dict[str, list[int]]] = defaultdict(lambda: {c: [0, 0, 0] for c in CYCLES})
    sums: dict[tuple[int, int], list[RealizedSum]] = defaultdict(list)
    for cid, cycle, w, unit, custom, n, n_confirmed, amount, summed in db.session.execute(
        _stories_statement(db.session.get_bind().dialect.name, ids is not None), params
    ):
        counts[cid][cycle][int(w)] += int(n)
        counts[cid][cycle][2] += int(n_confirmed or 0)
        if summed:
            sums[(cid, int(w))].append(
                RealizedSum(unit, _label(unit, custom), round(float(amount or 0), 2), int(summed))
            )
    for items in sums.values():
        items.sort(key=_unit_order)
    return counts, sums


@functools.lru_cache(maxsize=8)
def _best_stories_statement(dialect: str, limit: int):
    """``best_stories``' statement, built once (community ``cid``, period ``p_start``/``p_end`` bound)."""
    from cop.accounts.models import User

    weight = case((ValueStory.cycle.in_(("realized", "reframing")), 0), else_=1)
    return (
        select(
            ValueStory.id,
            ValueStory.cycle,
            ValueStory.text,
            ValueStory.amount,
            ValueStory.unit,
            ValueStory.custom_unit,
            User.display_name,
            ValueStory.created_at,
            ValueStory.confirmed_at,
        )
        .outerjoin(User, User.id == ValueStory.author_id)
        .where(
            ValueStory.community_id == bindparam("cid", type_=Integer),
            within(ValueStory.created_at, Period(datetime_param("p_start"), datetime_param("p_end"))),
        )
        .order_by(
            case((ValueStory.confirmed_at.is_not(None), 0), else_=1),
            weight,
            func.coalesce(ValueStory.amount, 0).desc(),
            ValueStory.created_at.desc(),
            ValueStory.id.desc(),
        )
        .limit(limit)
    )


def best_stories(community, period: Period, limit: int = BEST_LIMIT) -> list[StorySummary]:
    """The period's best stories, in the order the module's docstring gives."""
    stmt = _best_stories_statement(db.session.get_bind().dialect.name, limit)
    return [
        StorySummary(
            sid, cycle, text, amount, _label(unit, custom) if unit else "", name, created, confirmed is not None
        )
        for sid, cycle, text, amount, unit, custom, name, created, confirmed in db.session.execute(
            stmt, {"cid": community.id, "p_start": period.start, "p_end": period.end}
        )
    ]


def value_report(community, period: Period) -> ValueReport:
    """The report's value section for ``community``: two queries."""
    every_count, sums = stories([community.id], period)
    counts = every_count.get(community.id, {c: [0, 0, 0] for c in CYCLES})
    return ValueReport(
        {c: (counts[c][1], counts[c][0]) for c in CYCLES},
        sum(v[2] for v in counts.values()),
        sums.get((community.id, 1), []),
        sums.get((community.id, 0), []),
        best_stories(community, period),
    )


@dataclass(frozen=True)
class PortfolioValue:
    stories: int
    previous_stories: int
    realized: list[RealizedSum]


def portfolio_value(ids, period: Period) -> dict[int, PortfolioValue]:
    """The portfolio's value column for the communities ``ids`` (all when None): one query."""
    counts, sums = stories(ids, period)
    result = {}
    for cid in set(counts) | {cid for cid, _w in sums}:
        cycles = counts.get(cid, {})
        result[cid] = PortfolioValue(
            sum(v[1] for v in cycles.values()), sum(v[0] for v in cycles.values()), sums.get((cid, 1), [])
        )
    return result


def objective_values(ids, period: Period) -> dict[int, tuple[dict, dict]]:
    """The value metrics objectives may use, per community: ``{cid: (current, previous)}``: one query."""
    counts, sums = stories(ids, period)
    result = {}
    for cid in set(counts) | {cid for cid, _w in sums}:
        pair = []
        for which in (1, 0):
            values: dict[str, float] = {STORIES_METRIC: sum(v[which] for v in counts.get(cid, {}).values())}
            for key, unit in REALIZED_METRICS.items():
                values[key] = round(sum(s.amount for s in sums.get((cid, which), []) if s.unit == unit), 2)
            pair.append(values)
        result[cid] = (pair[0], pair[1])
    return result


def objective_values_of(community_id: int, period: Period) -> tuple[dict, dict]:
    """``objective_values`` of one community, zeros when it has no story."""
    zeros = {STORIES_METRIC: 0, **{key: 0 for key in REALIZED_METRICS}}
    return objective_values([community_id], period).get(community_id, (zeros, dict(zeros)))
