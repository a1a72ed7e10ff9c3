"""Recording and confirming value stories. Each function owns its transaction."""

from __future__ import annotations

import math

from sqlalchemy import select

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions.models import Thread
from cop.errors import DomainError, NotAllowed
from cop.events.models import Event
from cop.extensions import db, utcnow
from cop.library.models import Resource
from cop.value.models import AMOUNT_MAX, CUSTOM_UNIT_MAX, CYCLES, SUBJECT_KINDS, TEXT_MAX, UNITS, ValueStory

STORIES_SHOWN = 100


def subject_of(community: Community, kind: str, subject_id: str | int | None) -> Thread | Resource | Event | None:
    """The thread, resource or meeting of ``community`` a story is about (None for the community itself).

    :raise DomainError: an unknown kind, or no such visible item in this community.
    """
    if kind in ("", None, "community"):
        return None
    item_id: int | None
    try:
        item_id = int(subject_id) if subject_id is not None else None
    except ValueError:
        item_id = None
    item: Thread | Resource | Event | None = None
    if item_id is not None and kind == "thread":
        item = db.session.get(Thread, item_id)
    elif item_id is not None and kind == "resource":
        item = db.session.get(Resource, item_id)
    elif item_id is not None and kind == "event":
        item = db.session.get(Event, item_id)
    if item is None or item.community_id != community.id or getattr(item, "is_deleted", False):
        raise DomainError("That item is not part of this community any more; record the story on the community.")
    return item


def _amount(value: object) -> float | None:
    if value in (None, ""):
        return None
    try:
        amount = float(str(value).replace(",", "").strip())
    except ValueError:
        raise DomainError("Give the amount as a number, for example 12 or 2500.50.", field="amount") from None
    if not math.isfinite(amount) or amount < 0 or amount > AMOUNT_MAX:
        raise DomainError("Give an amount of zero or more (at most a million million).", field="amount")
    return round(amount, 2)


def record_story(
    author: User,
    community: Community,
    *,
    cycle: str,
    text: str,
    amount: object = None,
    unit: str | None = "",
    custom_unit: str = "",
    subject_kind: str = "community",
    subject_id: str | int | None = None,
) -> ValueStory:
    """Record a value story told by ``author`` (an active member) about ``community`` or one of its items.

    :raise NotAllowed: the author is not an active member.
    :raise DomainError: unknown cycle, empty or long text, an amount that is not a non-negative number,
        an amount without a unit (or the reverse), a measured result on a cycle other than realized,
        a custom unit with no name, or an item not in this community.
    """
    if not permissions.can_record_story(author, community):
        raise NotAllowed("Only members of this community can record its value stories. Join it first.")
    if cycle not in CYCLES:
        raise DomainError("Choose the value cycle the story is about.", field="cycle")
    text = (text or "").strip()
    if not text:
        raise DomainError("Tell the story in a few words: what happened, and what difference it made.", field="text")
    if len(text) > TEXT_MAX:
        raise DomainError(f"Keep the story under {TEXT_MAX} characters.", field="text")
    amount = _amount(amount)
    unit = unit or None
    custom_unit = " ".join((custom_unit or "").split())
    if unit is not None and unit not in UNITS:
        raise DomainError("Choose the unit from the list.", field="unit")
    if (amount is not None or unit is not None) and cycle != "realized":
        raise DomainError(
            "Only a realized-value story has a measured result; choose Realized or clear the amount.", field="amount"
        )
    if amount is not None and unit is None:
        raise DomainError("Say what the amount measures: choose a unit.", field="unit")
    if unit is not None and amount is None:
        raise DomainError("Give the amount for this unit, or clear the unit.", field="amount")
    if unit == "custom" and not custom_unit:
        raise DomainError("Name the unit, for example \u201cdefects avoided\u201d.", field="custom_unit")
    if len(custom_unit) > CUSTOM_UNIT_MAX:
        raise DomainError(f"Keep the unit's name under {CUSTOM_UNIT_MAX} characters.", field="custom_unit")
    if subject_kind not in SUBJECT_KINDS:
        subject_kind = "community"
    item = subject_of(community, subject_kind, subject_id)
    story = ValueStory(
        community_id=community.id,
        author_id=author.id,
        cycle=cycle,
        text=text,
        amount=amount,
        unit=unit,
        custom_unit=custom_unit if unit == "custom" else "",
        subject_kind=subject_kind if item is not None else "community",
        created_at=utcnow(),
    )
    if item is not None:
        setattr(story, f"{subject_kind}_id", item.id)
    db.session.add(story)
    db.session.commit()
    return story


def confirm_story(actor: User, story: ValueStory) -> None:
    """A coordinator (or administrator) vouches for the story: from now on its realized value is counted.

    :raise NotAllowed: the actor does not coordinate the story's community.
    """
    if not permissions.can_confirm_story(actor, story.community):
        raise NotAllowed("Only the community's coordinators can confirm its value stories.")
    if story.confirmed_at is None:
        story.confirmed_at, story.confirmed_by_id = utcnow(), actor.id
        db.session.commit()


def get_story(community: Community, story_id: int) -> ValueStory | None:
    story = db.session.get(ValueStory, story_id)
    return story if story is not None and story.community_id == community.id else None


def stories_of(community: Community, limit: int = STORIES_SHOWN) -> list[ValueStory]:
    """The community's stories, newest first (the page's readers may read the community)."""
    return list(
        db.session.scalars(
            select(ValueStory)
            .where(ValueStory.community_id == community.id)
            .order_by(ValueStory.created_at.desc(), ValueStory.id.desc())
            .limit(limit)
        )
    )
