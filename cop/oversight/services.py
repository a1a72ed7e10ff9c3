"""Objectives: the business objectives a community records and the report scores.

Each public function is one decision: it checks the actor's right through
``cop.permissions.can_oversee`` (sponsors, coordinators, administrators),
validates, writes the row and its audit entry, and commits. Broken rules
raise ``DomainError`` (with the form field at fault); missing rights raise
``NotAllowed``.
"""

import math
from datetime import date
from typing import TypedDict

from sqlalchemy import func, select

from cop import permissions
from cop.accounts.models import User
from cop.admin import audit
from cop.communities.models import Community
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow
from cop.oversight.metrics import METRICS
from cop.oversight.models import MAX_OBJECTIVES, Objective

TITLE_MAX = 200
GOAL_MAX = 300
VALUE_MAX = 1e9


class _Fields(TypedDict):
    """An objective's checked fields, in the order the form shows them."""

    title: str
    business_goal: str
    metric: str
    baseline: float
    target: float
    due_on: date


def objectives(community: Community) -> list[Objective]:
    """The community's objectives, soonest due first."""
    return list(
        db.session.scalars(
            select(Objective).where(Objective.community_id == community.id).order_by(Objective.due_on, Objective.id)
        )
    )


def get_objective(community: Community, objective_id: int) -> Objective | None:
    """The objective with this id if it belongs to ``community``."""
    objective = db.session.get(Objective, objective_id)
    return objective if objective is not None and objective.community_id == community.id else None


def _require_right(actor: User, community: Community) -> None:
    if not permissions.can_oversee(actor, community):
        raise NotAllowed("Only the community's sponsors and coordinators can set its objectives.")


def _text(value: str | None, field: str, limit: int, missing: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise DomainError(missing, field=field)
    if len(value) > limit:
        raise DomainError(f"Keep it under {limit} characters.", field=field)
    return value


def _number(value: float | str | None, field: str, name: str) -> float:
    text = str(value if value is not None else "").strip().replace(",", ".").rstrip("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise DomainError(f"Give the {name} as a number, for example 12 or 4.5.", field=field) from None
    if not math.isfinite(number) or abs(number) > VALUE_MAX:
        raise DomainError(f"Give the {name} as an ordinary number.", field=field)
    return number


def _due_date(value: date | str | None, *, must_be_future: bool) -> date:
    if isinstance(value, date):
        due = value
    else:
        try:
            due = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise DomainError("Give the due date as a date, for example 2026-12-31.", field="due_on") from None
    if must_be_future and due <= utcnow().date():
        raise DomainError("The due date must be after today.", field="due_on")
    if due.year > 2100:
        raise DomainError("Choose a due date before 2100.", field="due_on")
    return due


def _validated(
    title: str | None,
    business_goal: str | None,
    metric: str,
    baseline: float | str | None,
    target: float | str | None,
    due_on: date | str | None,
    *,
    new: bool,
) -> _Fields:
    """An objective's fields, checked in the order the form shows them (the audit lists changes in it too)."""
    checked_title = _text(title, "title", TITLE_MAX, "Say what the objective is.")
    goal = _text(business_goal, "business_goal", GOAL_MAX, "Name the business goal it serves.")
    if metric not in METRICS:
        raise DomainError("Choose the metric that measures it.", field="metric")
    numbers = {"baseline": _number(baseline, "baseline", "baseline"), "target": _number(target, "target", "target")}
    unit = METRICS[metric].unit
    for field, number in numbers.items():
        if number < 0:
            raise DomainError("This metric is never negative.", field=field)
        if unit == "percent" and number > 100:
            raise DomainError("A share is at most 100 %.", field=field)
    if numbers["target"] == numbers["baseline"]:
        raise DomainError("The target must differ from the baseline.", field="target")
    return {
        "title": checked_title,
        "business_goal": goal,
        "metric": metric,
        "baseline": numbers["baseline"],
        "target": numbers["target"],
        "due_on": _due_date(due_on, must_be_future=new),
    }


def _describe(values: _Fields) -> str:
    metric = METRICS[values["metric"]].label
    return (
        f"{values['title']} — {metric}: {values['baseline']:g} → {values['target']:g} by {values['due_on'].isoformat()}"
    )[:1000]


def _shown(value: object) -> object:
    """A value as the audit trail shows it: dates in ISO form, numbers without trailing zeros."""
    if isinstance(value, date):
        return value.isoformat()
    return f"{value:g}" if isinstance(value, float) else value


def create_objective(
    actor: User,
    community: Community,
    *,
    title: str | None,
    business_goal: str | None,
    metric: str,
    baseline: float | str | None,
    target: float | str | None,
    due_on: date | str | None,
) -> Objective:
    """Record a new objective (at most five per community). Audited.

    :raise NotAllowed: the actor is not a sponsor, coordinator or administrator.
    :raise DomainError: a missing or long text, an unknown metric, a value
        that is not a number (or a share over 100 %), a target equal to the
        baseline, a due date not after today, or a sixth objective.
    """
    _require_right(actor, community)
    values = _validated(title, business_goal, metric, baseline, target, due_on, new=True)
    count = db.session.execute(
        select(func.count()).select_from(Objective).where(Objective.community_id == community.id)
    ).scalar_one()
    if count >= MAX_OBJECTIVES:
        raise DomainError(f"A community has at most {MAX_OBJECTIVES} objectives: retire one before adding another.")
    objective = Objective(community_id=community.id, created_by_id=actor.id, **values)
    db.session.add(objective)
    db.session.flush()
    audit.record(actor, "objective.create", objective, community, detail=_describe(values))
    db.session.commit()
    return objective


def update_objective(
    actor: User,
    objective: Objective,
    *,
    title: str | None,
    business_goal: str | None,
    metric: str,
    baseline: float | str | None,
    target: float | str | None,
    due_on: date | str | None,
) -> Objective:
    """Change an objective; the audit entry lists what changed (nothing changed: nothing recorded).

    A due date already in the past may be kept but not newly set to a past day.
    :raise NotAllowed: the actor may not oversee the community.
    :raise DomainError: as for ``create_objective``.
    """
    community = objective.community
    _require_right(actor, community)
    keeps_due_date = str(due_on).strip() == objective.due_on.isoformat()
    values = _validated(title, business_goal, metric, baseline, target, due_on, new=not keeps_due_date)
    changes = []
    for field, value in values.items():
        old = getattr(objective, field)
        if old != value:
            changes.append(f"{field}: {_shown(old)} → {_shown(value)}")
            setattr(objective, field, value)
    if changes:
        audit.record(actor, "objective.update", objective, community, detail="; ".join(changes)[:1000])
    db.session.commit()
    return objective


def delete_objective(actor: User, objective: Objective) -> None:
    """Retire an objective (the audit entry keeps what it was).

    :raise NotAllowed: the actor may not oversee the community.
    """
    community = objective.community
    _require_right(actor, community)
    values = _Fields(
        title=objective.title,
        business_goal=objective.business_goal,
        metric=objective.metric,
        baseline=objective.baseline,
        target=objective.target,
        due_on=objective.due_on,
    )
    audit.record(actor, "objective.delete", objective, community, detail=_describe(values))
    db.session.delete(objective)
    db.session.commit()
