"""Objectives: the business objectives a community records and the report scores.

Each public function is one decision: it checks the actor's right through
``cop.permissions.can_oversee`` (sponsors, coordinators, administrators),
validates, writes the row and its audit entry, and commits. Broken rules
raise ``DomainError`` (with the form field at fault); missing rights raise
``NotAllowed``.
"""

import math
from datetime import date
from typing import Any

from sqlalchemy import func, select

from cop import permissions
from cop.admin import audit
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow
from cop.oversight.metrics import METRICS
from cop.oversight.models import MAX_OBJECTIVES, Objective

TITLE_MAX = 200
GOAL_MAX = 300
VALUE_MAX = 1e9


def objectives(community) -> list[Objective]:
    """The community's objectives, soonest due first."""
    return list(
        db.session.scalars(
            select(Objective).where(Objective.community_id == community.id).order_by(Objective.due_on, Objective.id)
        )
    )


def get_objective(community, objective_id: int) -> Objective | None:
    """The objective with this id if it belongs to ``community``."""
    objective = db.session.get(Objective, objective_id)
    return objective if objective is not None and objective.community_id == community.id else None


def _require_right(actor, community):
    if not permissions.can_oversee(actor, community):
        raise NotAllowed("Only the community's sponsors and coordinators can set its objectives.")


def _text(value, field: str, limit: int, missing: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise DomainError(missing, field=field)
    if len(value) > limit:
        raise DomainError(f"Keep it under {limit} characters.", field=field)
    return value


def _number(value, field: str, name: str) -> float:
    text = str(value if value is not None else "").strip().replace(",", ".").rstrip("%").strip()
    try:
        number = float(text)
    except ValueError:
        raise DomainError(f"Give the {name} as a number, for example 12 or 4.5.", field=field) from None
    if not math.isfinite(number) or abs(number) > VALUE_MAX:
        raise DomainError(f"Give the {name} as an ordinary number.", field=field)
    return number


def _due_date(value, *, must_be_future: bool) -> date:
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


def _validated(title, business_goal, metric, baseline, target, due_on, *, new: bool) -> dict[str, Any]:
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
        **numbers,
        "due_on": _due_date(due_on, must_be_future=new),
    }


def _describe(values: dict) -> str:
    metric = METRICS[values["metric"]].label
    return (
        f"{values['title']} — {metric}: {values['baseline']:g} → {values['target']:g} by {values['due_on'].isoformat()}"
    )[:1000]


def _shown(value):
    """A value as the audit trail shows it: dates in ISO form, numbers without trailing zeros."""
    if isinstance(value, date):
        return value.isoformat()
    return f"{value:g}" if isinstance(value, float) else value


def create_objective(actor, community, *, title, business_goal, metric, baseline, target, due_on) -> Objective:
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
    actor, objective: Objective, *, title, business_goal, metric, baseline, target, due_on
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


def delete_objective(actor, objective: Objective) -> None:
    """Retire an objective (the audit entry keeps what it was).

    :raise NotAllowed: the actor may not oversee the community.
    """
    community = objective.community
    _require_right(actor, community)
    values = {field: getattr(objective, field) for field in ("title", "metric", "baseline", "target", "due_on")}
    audit.record(actor, "objective.delete", objective, community, detail=_describe(values))
    db.session.delete(objective)
    db.session.commit()
