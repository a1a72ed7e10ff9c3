"""iCalendar (RFC 5545) documents of meetings, built with the ``icalendar`` library.

Times are written in UTC (``DTSTART:20250310T090000Z``): exact whatever the
reader's zone, with no VTIMEZONE to keep in step with the tz database. Each
meeting keeps one ``UID`` for life and a ``SEQUENCE`` that goes up with
every change, so calendar programs replace their copy; a cancelled meeting
stays in the feed with ``STATUS:CANCELLED`` so they remove it.
"""

from datetime import UTC, timedelta

from icalendar import Calendar, Event as VEvent

from cop.events.models import Event
from cop.extensions import utcnow
from cop.feeds.services import xml_text

PRODID = "-//cop//Community meetings//EN"
REFRESH = timedelta(hours=1)


def _utc(moment):
    return moment.replace(tzinfo=UTC)


def _text(value) -> str:
    # Control characters are not allowed in iCalendar text either (RFC 5545 3.3.11).
    return xml_text(value)


def uid(event: Event) -> str:
    return f"event-{event.id}@cop"


def _description(event: Event, page_url: str) -> str:
    parts = []
    if event.is_cancelled:
        parts.append("This meeting is cancelled.")
    if event.agenda_md.strip():
        parts.append(event.agenda_md.strip())
    if event.safe_meeting_url:
        parts.append(f"Meeting link: {event.safe_meeting_url}")
    parts.append(f"Details and RSVP: {page_url}")
    return _text("\n\n".join(parts))


def vevent(event: Event, page_url: str) -> VEvent:
    """One meeting as a VEVENT; ``page_url`` is its absolute page address."""
    item = VEvent()
    item.add("uid", uid(event))
    item.add("dtstamp", _utc(event.updated_at or utcnow()))
    item.add("created", _utc(event.created_at))
    item.add("last-modified", _utc(event.updated_at))
    item.add("dtstart", _utc(event.starts_at))
    item.add("dtend", _utc(event.ends_at))
    item.add("sequence", event.sequence)
    item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    item.add("summary", _text(event.title))
    item.add("description", _description(event, page_url))
    location = event.location or event.safe_meeting_url
    if location:
        item.add("location", _text(location))
    item.add("url", page_url)
    return item


def calendar(events: list[Event], *, name: str, page_url) -> bytes:
    """An iCalendar document of ``events``; ``page_url(event)`` gives each meeting's absolute address."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", _text(name))
    cal.add("x-wr-calname", _text(name))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for event in events:
        cal.add_component(vevent(event, page_url(event)))
    return cal.to_ical()
