"""Meeting services: scheduling, editing, cancelling, RSVPs, notes, and the lists pages show.

Each public function that writes is one decision: it checks its rule
through ``cop.permissions``, writes the rows, sends ``signals.meeting_saved``
(after the flush, before the commit: notifications ride in the same
transaction) and commits. Broken rules raise ``DomainError`` with the form
field they concern; missing rights raise ``NotAllowed``.

Times. A meeting is entered as a local date and time in an IANA time zone
(``Europe/Berlin``) and stored as naive UTC, as every time in cop. A local
time that does not exist (the hour skipped when clocks go forward) is
refused with a message; a local time that happens twice (the hour repeated
when clocks go back) is read as the first of the two (``fold=0``, still
summer time), as most calendar programs do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, and_, func, select

from cop import permissions, signals
from cop.accounts.models import User
from cop.admin import audit
from cop.communities.models import Community, Membership
from cop.errors import DomainError, NotAllowed
from cop.events.models import RSVP_RESPONSES, Event, Rsvp
from cop.extensions import db, utcnow
from cop.library.urls import is_safe_link
from cop.markup import MAX_MARKDOWN_CHARS, MarkupError, render_markdown
from cop.permissions import Viewer
from cop.validation import clean_title

TITLE_MAX = 200
LOCATION_MAX = 200
LINK_MAX = 500
MEETINGS_PER_PAGE = 20
MAX_DURATION = timedelta(days=14)
# A feed holds every future meeting and the recent past (calendars keep what they already have).
FEED_PAST = timedelta(days=180)
FEED_LENGTH = 500
# Zone names that are not places: the server's own zone and a placeholder.
_NOT_ZONES = {"localtime", "Factory", "posixrules"}


# --- time zones and times -------------------------------------------------------------


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name offered in the form, sorted (``UTC`` first)."""
    names = sorted(available_timezones() - _NOT_ZONES)
    return ("UTC", *[n for n in names if n != "UTC"])


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in zone_names()}


def resolve_zone(name: str) -> ZoneInfo:
    """The zone called ``name`` (case-insensitive: ``europe/berlin`` is ``Europe/Berlin``).

    :raise DomainError: (field ``timezone``) for an empty or unknown name.
    """
    raw = (name or "").strip()
    if not raw:
        raise DomainError(
            "Choose the time zone the meeting is planned in, for example Europe/Berlin.", field="timezone"
        )
    canonical = _zones_by_lower_name().get(raw.lower())
    if canonical is None:
        raise DomainError(
            f"“{raw[:64]}” is not a time zone we know. Use a name like Europe/Berlin, America/New_York or UTC.",
            field="timezone",
        )
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):  # listed but its data is missing on this machine
        raise DomainError(f"The time zone data for {canonical} is not available.", field="timezone") from None


def local_to_utc(day: date, clock: time, zone: ZoneInfo, field: str) -> datetime:
    """The naive UTC moment of ``day`` at ``clock`` in ``zone``.

    A repeated local time (clocks going back) reads as its first occurrence (``fold=0``).
    :raise DomainError: (on ``field``) when the local time does not exist (clocks going forward).
    """
    local = datetime.combine(day, clock.replace(second=0, microsecond=0, tzinfo=None)).replace(tzinfo=zone, fold=0)
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise DomainError(
            f"{clock.strftime('%H:%M')} does not exist on {day.isoformat()} in {zone.key}: the "
            "clocks go forward then. Choose a time before or after the change.",
            field=field,
        )
    return utc.replace(tzinfo=None)


_Day = date  # the type, for the fields below: the first of them is named ``date``


@dataclass
class MeetingDetails:
    """What the scheduling form gathers, in the organiser's local time."""

    title: str = ""
    agenda: str = ""
    date: _Day | None = None
    start_time: time | None = None
    end_time: time | None = None
    end_date: _Day | None = None
    timezone: str = "UTC"
    location: str = ""
    meeting_url: str = ""


@dataclass
class _Clean:
    title: str
    agenda_md: str
    agenda_html: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    meeting_url: str


def _markdown(text: str | None, field: str) -> tuple[str, str]:
    """``text`` (``""`` for none) and its HTML (``""`` for blank text).

    :raise DomainError: (on ``field``) over ``MAX_MARKDOWN_CHARS``, or unrenderable.
    """
    text = text or ""
    if len(text) > MAX_MARKDOWN_CHARS:
        raise DomainError(f"Keep the {field} under {MAX_MARKDOWN_CHARS // 1024} KB.", field=field)
    try:
        return text, (render_markdown(text) if text.strip() else "")
    except MarkupError as exc:
        raise DomainError(exc.args[0], field=field) from None


def _clean(details: MeetingDetails) -> _Clean:
    """Check every field; the first broken rule raises ``DomainError`` naming its field."""
    title = clean_title(details.title, "meeting", TITLE_MAX)
    agenda, agenda_html = _markdown(details.agenda, "agenda")
    if details.date is None:
        raise DomainError("Enter the date of the meeting.", field="date")
    if details.start_time is None:
        raise DomainError("Enter the time the meeting starts.", field="start_time")
    if details.end_time is None:
        raise DomainError("Enter the time the meeting ends.", field="end_time")
    zone = resolve_zone(details.timezone)
    starts_at = local_to_utc(details.date, details.start_time, zone, "start_time")
    ends_at = local_to_utc(details.end_date or details.date, details.end_time, zone, "end_time")
    if ends_at <= starts_at:
        raise DomainError(
            "The meeting must end after it starts: check the end time (and the end date, for a "
            "meeting that runs past midnight).",
            field="end_time",
        )
    if ends_at - starts_at > MAX_DURATION:
        raise DomainError("A meeting can last at most two weeks; check the end date.", field="end_date")
    location = " ".join((details.location or "").split())
    if len(location) > LOCATION_MAX:
        raise DomainError(f"Keep the place under {LOCATION_MAX} characters.", field="location")
    link = (details.meeting_url or "").strip()
    if len(link) > LINK_MAX:
        raise DomainError(f"Keep the meeting link under {LINK_MAX} characters.", field="meeting_url")
    if link and not is_safe_link(link):
        raise DomainError(
            "The meeting link must be a web address starting with http:// or https:// (with a host "
            "name and no password in it).",
            field="meeting_url",
        )
    if not location and not link:
        raise DomainError("Say where the meeting happens: a place, a meeting link, or both.", field="location")
    return _Clean(
        title=title,
        agenda_md=agenda,
        agenda_html=agenda_html,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone.key,
        location=location,
        meeting_url=link,
    )


def details_of(event: Event) -> MeetingDetails:
    """The form's values for an existing meeting, in its own time zone."""
    start, end = event.local_start, event.local_end
    return MeetingDetails(
        title=event.title,
        agenda=event.agenda_md,
        date=start.date(),
        start_time=start.time().replace(tzinfo=None),
        end_time=end.time().replace(tzinfo=None),
        end_date=end.date() if end.date() != start.date() else None,
        timezone=event.timezone,
        location=event.location,
        meeting_url=event.meeting_url,
    )


def default_timezone(community: Community) -> str:
    """The zone of the community's most recently scheduled meeting, else UTC."""
    return (
        db.session.scalar(
            select(Event.timezone)
            .where(Event.community_id == community.id)
            .order_by(Event.created_at.desc(), Event.id.desc())
            .limit(1)
        )
        or "UTC"
    )


# --- writing ------------------------------------------------------------------------------


def _require_scheduler(actor: User, community: Community) -> None:
    if not permissions.can_schedule(actor, community):
        raise NotAllowed("Only the community's coordinators can schedule and change meetings.")


def _saved(actor: User, event: Event, change: str) -> None:
    db.session.flush()
    signals.meeting_saved.send(actor, event=event, change=change)


def schedule_meeting(organiser: User, community: Community, details: MeetingDetails) -> Event:
    """Schedule a meeting in ``community``, organised by ``organiser``.

    A meeting may be entered after the fact (to attach its notes).
    :raise NotAllowed: not a coordinator (or administrator).
    :raise DomainError: a missing or long title, an unrenderable agenda, an
        unknown time zone, a local time that does not exist, an end not after
        the start, a link that is not http(s), or no place and no link.
    """
    _require_scheduler(organiser, community)
    clean = _clean(details)
    event = Event(community_id=community.id, organiser_id=organiser.id, **vars(clean))
    event.community = community
    db.session.add(event)
    _saved(organiser, event, "new")
    db.session.commit()
    return event


def update_meeting(actor: User, event: Event, details: MeetingDetails) -> bool:
    """Change a meeting; calendars get the new version (its SEQUENCE goes up).

    Returns False (and changes nothing) when no value changed.
    :raise NotAllowed: not a coordinator. :raise DomainError: as ``schedule_meeting``,
        or the meeting is cancelled.
    """
    _require_scheduler(actor, event.community)
    if event.is_cancelled:
        raise DomainError("This meeting is cancelled; schedule a new one instead.")
    clean = _clean(details)
    changed = {name: value for name, value in vars(clean).items() if getattr(event, name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(event, name, value)
    event.sequence += 1
    _saved(actor, event, "changed")
    db.session.commit()
    return True


def cancel_meeting(actor: User, event: Event) -> None:
    """Cancel a meeting: it stays listed (marked cancelled) and calendars show it cancelled. Audited.

    :raise NotAllowed: not a coordinator.
    :raise DomainError: already cancelled, or already over.
    """
    _require_scheduler(actor, event.community)
    if event.is_cancelled:
        raise DomainError("This meeting is already cancelled.")
    if event.ends_at <= utcnow():
        raise DomainError("This meeting is over; it can no longer be cancelled.")
    event.is_cancelled = True
    event.sequence += 1
    audit.record(actor, "meeting.cancel", event, event.community, detail=event.title)
    _saved(actor, event, "cancelled")
    db.session.commit()


def respond(user: User, event: Event, response: str) -> Rsvp:
    """Record (or change) ``user``'s answer to a meeting: yes, maybe or no.

    :raise NotAllowed: not an active member of the meeting's community.
    :raise DomainError: an unknown answer, or the meeting is cancelled or over.
    """
    if not permissions.is_member(user, permissions.community_of(event)):
        raise NotAllowed("Only members of this community can answer. Join it first.")
    if response not in RSVP_RESPONSES:
        raise DomainError("Answer yes, maybe or no.", field="response")
    if event.is_cancelled:
        raise DomainError("This meeting is cancelled.")
    if event.ends_at <= utcnow():
        raise DomainError("This meeting is over.")
    rsvp = db.session.get(Rsvp, (event.id, user.id))
    if rsvp is None:
        rsvp = Rsvp(event_id=event.id, user_id=user.id, response=response)
        db.session.add(rsvp)
    else:
        rsvp.response = response
    db.session.commit()
    return rsvp


def save_notes(actor: User, event: Event, notes: str) -> None:
    """Write (or replace) a meeting's notes, in Markdown; empty text removes them.

    :raise NotAllowed: not a coordinator.
    :raise DomainError: the meeting has not started yet, or was cancelled; unrenderable text.
    """
    _require_scheduler(actor, event.community)
    if event.is_cancelled:
        raise DomainError("This meeting was cancelled: it has no notes.")
    if event.starts_at > utcnow():
        raise DomainError("Notes can be written once the meeting has started.", field="notes")
    notes, html = _markdown(notes, "notes")
    event.notes_md, event.notes_html = (notes, html) if notes.strip() else ("", "")
    event.notes_updated_at = utcnow() if notes.strip() else None
    db.session.commit()


# --- reading ------------------------------------------------------------------------------


def get_event_or_none(event_id: int) -> Event | None:
    return db.session.get(Event, event_id)


def meeting_list(
    community: Community, when: str = "upcoming", page: int = 1, per_page: int = MEETINGS_PER_PAGE
) -> Pagination:
    """Upcoming meetings (not yet over, soonest first, cancelled ones included and marked) or past ones
    (latest first), paginated."""
    now = utcnow()
    stmt = select(Event).where(Event.community_id == community.id)
    if when == "past":
        stmt = stmt.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        stmt = stmt.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def upcoming_in(community: Community, limit: int = 3) -> list[Event]:
    """The next meetings (not cancelled, not over) of a community, for its home page: one query."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.community_id == community.id, Event.is_cancelled.is_(False), Event.ends_at > utcnow())
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
    )


def upcoming_for(user: User, limit: int = 5) -> list[tuple[Event, str | None]]:
    """The next meetings in the communities where ``user`` is an active member, each with the
    user's answer (or None): one query, for the user's home page."""
    mine = select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")
    rows = db.session.execute(
        select(Event, Rsvp.response)
        .outerjoin(Rsvp, and_(Rsvp.event_id == Event.id, Rsvp.user_id == user.id))
        .where(Event.community_id.in_(mine), Event.is_cancelled.is_(False), Event.ends_at > utcnow())
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    return [(event, response) for event, response in rows]


def rsvp_counts(event: Event) -> dict[str, int]:
    """How many answered yes, maybe and no (zeros included)."""
    counts = dict.fromkeys(RSVP_RESPONSES, 0)
    counts.update(
        {
            response: n
            for response, n in db.session.execute(
                select(Rsvp.response, func.count()).where(Rsvp.event_id == event.id).group_by(Rsvp.response)
            )
        }
    )
    return counts


def attendees(event: Event) -> dict[str, list[User]]:
    """The people who answered, by answer, each list by name."""
    groups: dict[str, list[User]] = {response: [] for response in RSVP_RESPONSES}
    for rsvp in db.session.scalars(select(Rsvp).where(Rsvp.event_id == event.id)):
        groups[rsvp.response].append(rsvp.user)
    for users in groups.values():
        users.sort(key=lambda u: u.display_name.lower())
    return groups


def response_of(user: Viewer, event: Event) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    rsvp = db.session.get(Rsvp, (event.id, user.id))
    return rsvp.response if rsvp else None


def _feed_window() -> ColumnElement[bool]:
    return Event.ends_at > utcnow() - FEED_PAST


def community_feed_events(community: Community) -> list[Event]:
    """A community's meetings for its calendar feed: every future one and the recent past."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.community_id == community.id, _feed_window())
            .order_by(Event.starts_at, Event.id)
            .limit(FEED_LENGTH)
        )
    )


def personal_feed_events(user: User) -> list[Event]:
    """The meetings of every community where ``user`` is an active member and may read (the personal feed)."""
    mine = select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")
    readable = permissions.visible_communities(user).with_only_columns(Community.id)
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.community_id.in_(mine), Event.community_id.in_(readable), _feed_window())
            .order_by(Event.starts_at, Event.id)
            .limit(FEED_LENGTH)
        )
    )
