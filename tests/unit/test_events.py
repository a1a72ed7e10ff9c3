"""Meeting services and iCalendar output against a real database: local times across daylight-saving
changes, the scheduling rules, RSVPs, notes, the lists pages show, and the signal notifications rely on."""

from datetime import date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, text

from cop import permissions, signals
from cop.admin.models import AuditEntry
from cop.errors import DomainError, NotAllowed
from cop.events import ical, services
from cop.events.models import Event
from cop.events.services import MeetingDetails
from cop.extensions import db, utcnow
from tests.builders import make_community, make_user


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


# Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) on the last Sunday of March, and back
# on the last Sunday of October. Next year's, so meetings on those days are still upcoming.
YEAR = utcnow().year + 1
SPRING = last_sunday(YEAR, 3)
AUTUMN = last_sunday(YEAR, 10)


def details(**overrides) -> MeetingDetails:
    values = dict(
        title="Monthly sync",
        agenda="- intros\n- **demo**",
        date=SPRING - timedelta(days=2),
        start_time=time(10, 0),
        end_time=time(11, 0),
        timezone="Europe/Berlin",
        location="Room 4",
        meeting_url="https://meet.example.com/guild",
    )
    values.update(overrides)
    return MeetingDetails(**values)


@pytest.fixture
def crowd(app):
    people = {
        n: make_user(email=f"{n}@example.com", name=n.title())
        for n in ("coord", "member", "other", "outsider", "admin", "sponsor")
    }
    people["admin"].is_admin = True
    db.session.commit()
    guild = make_community(
        "guild",
        coordinators=[people["coord"]],
        members=[people["member"], people["other"]],
        sponsors=[people["sponsor"]],
    )
    secret = make_community("secret", visibility="private", coordinators=[people["coord"]])
    return people, guild, secret


def past_meeting(coord, community, days_ago=3, **overrides) -> Event:
    """A meeting entered after the fact (allowed, so its notes can be attached)."""
    day = (utcnow() - timedelta(days=days_ago)).date()
    return services.schedule_meeting(coord, community, details(date=day, timezone="UTC", **overrides))


# --- times -----------------------------------------------------------------------------------------


def test_local_times_become_utc_on_either_side_of_a_daylight_saving_change():
    berlin = services.resolve_zone("europe/berlin")  # names are matched case-insensitively
    assert berlin.key == "Europe/Berlin"
    before = services.local_to_utc(SPRING - timedelta(days=2), time(10, 0), berlin, "start_time")
    after = services.local_to_utc(SPRING + timedelta(days=1), time(10, 0), berlin, "start_time")
    assert (before.time(), after.time()) == (time(9, 0), time(8, 0))
    assert before.tzinfo is None and after.tzinfo is None  # stored naive UTC, as everywhere
    new_york = services.resolve_zone("America/New_York")
    assert services.local_to_utc(date(YEAR, 1, 15), time(9, 30), new_york, "x") == datetime(YEAR, 1, 15, 14, 30)

    # 02:30 does not exist when the clocks jump from 02:00 to 03:00: a clear error on that field.
    with pytest.raises(DomainError) as gap:
        services.local_to_utc(SPRING, time(2, 30), berlin, "end_time")
    assert gap.value.field == "end_time" and "does not exist" in gap.value.message
    # 02:30 happens twice when they go back: the first one (still summer time, UTC+2) is meant.
    assert services.local_to_utc(AUTUMN, time(2, 30), berlin, "x") == datetime(YEAR, AUTUMN.month, AUTUMN.day, 0, 30)


def test_zone_names_are_iana_names_without_the_servers_own():
    names = services.zone_names()
    assert names[0] == "UTC" and "Europe/Berlin" in names and "Asia/Kolkata" in names
    assert "localtime" not in names and "Factory" not in names
    for bad in ("Mars/Olympus", "", "Europe/Berlin\x00", "../etc/passwd", "x" * 300):
        with pytest.raises(DomainError) as error:
            services.resolve_zone(bad)
        assert error.value.field == "timezone"


# --- scheduling rules --------------------------------------------------------------------------------

BAD_INPUT = [
    ({"title": "   "}, "title", "Give the meeting a title."),
    ({"title": "x" * 201}, "title", "under 200 characters"),
    ({"end_time": time(9, 0)}, "end_time", "must end after it starts"),
    ({"end_time": time(10, 0)}, "end_time", "must end after it starts"),
    ({"end_date": SPRING - timedelta(days=3), "end_time": time(12, 0)}, "end_time", "must end after it starts"),
    ({"end_date": SPRING + timedelta(days=30)}, "end_date", "at most two weeks"),
    ({"meeting_url": "javascript:alert(1)"}, "meeting_url", "http:// or https://"),
    ({"meeting_url": "ftp://files.example.com/x"}, "meeting_url", "http:// or https://"),
    ({"meeting_url": "https://user:pw@meet.example.com/"}, "meeting_url", "no password"),
    ({"meeting_url": "", "location": ""}, "location", "a place, a meeting link, or both"),
    ({"timezone": "Mars/Olympus"}, "timezone", "not a time zone we know"),
    ({"date": SPRING, "start_time": time(2, 15)}, "start_time", "does not exist"),
    ({"agenda": "[" * 600}, "agenda", "unclosed brackets"),
    ({"date": None}, "date", "Enter the date"),
    ({"location": "y" * 201}, "location", "under 200 characters"),
]


def test_bad_meeting_details_are_refused_on_their_field(crowd):
    people, guild, _secret = crowd
    for overrides, field, message in BAD_INPUT:
        with pytest.raises(DomainError) as error:
            services.schedule_meeting(people["coord"], guild, details(**overrides))
        assert (error.value.field, message in error.value.message) == (field, True), (overrides, error.value.message)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_only_coordinators_and_admins_schedule(crowd):
    people, guild, secret = crowd
    for who in ("member", "outsider"):
        with pytest.raises(NotAllowed):
            services.schedule_meeting(people[who], guild, details())
    assert services.schedule_meeting(people["admin"], secret, details()).organiser_id == people["admin"].id


def test_who_may_do_what(crowd):
    people, guild, _secret = crowd
    event = services.schedule_meeting(people["coord"], guild, details())
    rules = {
        who: (
            permissions.can_schedule(user, guild),
            permissions.can_manage_event(user, event),
            permissions.can_rsvp(user, event),
            permissions.can_see_attendees(user, guild),
        )
        for who, user in people.items()
    }
    assert rules == {
        "coord": (True, True, True, True),
        "member": (False, False, True, True),
        "other": (False, False, True, True),
        "outsider": (False, False, False, False),
        "admin": (True, True, False, True),
        "sponsor": (False, False, False, True),
    }


def test_schedule_edit_cancel_send_the_signal_after_flush_before_commit(crowd, app):
    people, guild, _secret = crowd
    received = []

    def receiver(sender, event, change):
        # Flushed: the row has its id. Not committed: another connection cannot see it yet.
        with db.engine.connect() as other:
            committed = other.execute(text("SELECT sequence FROM events WHERE id = :id"), {"id": event.id}).scalar()
        received.append((sender.email, change, event.id, event.sequence, committed))
        # What a receiver adds lands in the same transaction as the meeting.
        db.session.add(AuditEntry(actor_id=sender.id, action=f"test.{change}", target_type="event", target_id=event.id))

    signals.meeting_saved.connect(receiver)
    try:
        event = services.schedule_meeting(people["coord"], guild, details())
        assert (event.starts_at, event.ends_at) == (
            datetime.combine(SPRING - timedelta(days=2), time(9, 0)),
            datetime.combine(SPRING - timedelta(days=2), time(10, 0)),
        )
        assert (event.timezone, event.location, event.sequence) == ("Europe/Berlin", "Room 4", 0)
        assert "<strong>demo</strong>" in event.agenda_html
        assert not services.update_meeting(people["coord"], event, services.details_of(event))  # nothing changed
        # Moved across the change: 10:00 local is now 08:00 UTC.
        assert services.update_meeting(people["coord"], event, details(date=SPRING + timedelta(days=1)))
        assert (event.starts_at.hour, event.sequence) == (8, 1)
        services.cancel_meeting(people["admin"], event)
    finally:
        signals.meeting_saved.disconnect(receiver)
    assert received == [
        ("coord@example.com", "new", event.id, 0, None),
        ("coord@example.com", "changed", event.id, 1, 0),
        ("admin@example.com", "cancelled", event.id, 2, 1),
    ]
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
        "test.new",
        "test.changed",
        "meeting.cancel",
        "test.cancelled",
    ]
    assert (event.is_cancelled, event.sequence) == (True, 2)
    with pytest.raises(DomainError, match="already cancelled"):
        services.cancel_meeting(people["coord"], event)
    with pytest.raises(DomainError, match="cancelled"):
        services.update_meeting(people["coord"], event, details(title="Again"))
    with pytest.raises(NotAllowed):
        services.cancel_meeting(people["member"], services.schedule_meeting(people["coord"], guild, details()))


def test_details_of_gives_back_the_local_values(crowd):
    people, guild, _secret = crowd
    night = details(
        date=SPRING + timedelta(days=5),
        start_time=time(22, 0),
        end_time=time(1, 30),
        end_date=SPRING + timedelta(days=6),
        timezone="America/New_York",
        meeting_url="",
    )
    event = services.schedule_meeting(people["coord"], guild, night)
    assert services.details_of(event) == night
    assert services.default_timezone(guild) == "America/New_York"
    assert services.default_timezone(make_community("empty")) == "UTC"


# --- RSVPs and notes -----------------------------------------------------------------------------------


def test_members_answer_and_change_their_answer(crowd):
    people, guild, _secret = crowd
    event = services.schedule_meeting(people["coord"], guild, details())
    services.respond(people["member"], event, "yes")
    services.respond(people["other"], event, "yes")
    services.respond(people["member"], event, "maybe")  # changing an answer updates it
    services.respond(people["coord"], event, "no")
    assert services.rsvp_counts(event) == {"yes": 1, "maybe": 1, "no": 1}
    assert {r: [u.email for u in users] for r, users in services.attendees(event).items()} == {
        "yes": ["other@example.com"],
        "maybe": ["member@example.com"],
        "no": ["coord@example.com"],
    }
    assert services.response_of(people["member"], event) == "maybe"
    assert services.response_of(people["outsider"], event) is None

    with pytest.raises(NotAllowed):
        services.respond(people["outsider"], event, "yes")
    with pytest.raises(DomainError, match="yes, maybe or no"):
        services.respond(people["member"], event, "perhaps")
    past = past_meeting(people["coord"], guild)
    with pytest.raises(DomainError, match="over"):
        services.respond(people["member"], past, "yes")
    assert not permissions.can_rsvp(people["member"], past) and permissions.can_rsvp(people["member"], event)
    services.cancel_meeting(people["coord"], event)
    with pytest.raises(DomainError, match="cancelled"):
        services.respond(people["member"], event, "yes")
    assert services.rsvp_counts(event) == {"yes": 1, "maybe": 1, "no": 1}


def test_notes_once_the_meeting_has_started(crowd):
    people, guild, _secret = crowd
    upcoming = services.schedule_meeting(people["coord"], guild, details())
    with pytest.raises(DomainError, match="once the meeting has started"):
        services.save_notes(people["coord"], upcoming, "Too early")
    past = past_meeting(people["coord"], guild)
    with pytest.raises(NotAllowed):
        services.save_notes(people["member"], past, "Not mine to write")
    services.save_notes(people["coord"], past, "## Decisions\n\n- ship it <script>alert(1)</script>")
    assert "<h2>Decisions</h2>" in past.notes_html and "<script" not in past.notes_html
    assert past.notes_updated_at is not None
    with pytest.raises(DomainError) as error:
        services.save_notes(people["coord"], past, "[" * 600)
    assert error.value.field == "notes"
    db.session.rollback()
    services.save_notes(people["coord"], past, "   ")
    assert (past.notes_md, past.notes_html, past.notes_updated_at) == ("", "", None)


# --- lists ------------------------------------------------------------------------------------------------


def test_upcoming_and_past_lists(crowd):
    people, guild, secret = crowd
    in_two_days = (utcnow() + timedelta(days=2)).date()
    soon = services.schedule_meeting(people["coord"], guild, details(title="Soon", date=in_two_days))
    later = services.schedule_meeting(people["coord"], guild, details(title="Later"))
    cancelled = services.schedule_meeting(people["coord"], guild, details(title="Cancelled"))
    services.cancel_meeting(people["coord"], cancelled)
    past = past_meeting(people["coord"], guild, title="Past")
    hidden = services.schedule_meeting(people["coord"], secret, details(title="Secret"))
    services.respond(people["member"], later, "yes")

    assert services.upcoming_in(guild) == [soon, later]
    assert services.upcoming_for(people["member"]) == [(soon, None), (later, "yes")]
    assert services.upcoming_for(people["coord"]) == [(soon, None), (later, None), (hidden, None)]
    assert services.upcoming_for(people["outsider"]) == []
    assert services.meeting_list(guild).items == [soon, later, cancelled]  # cancelled ones stay listed, marked
    assert services.meeting_list(guild, "past").items == [past]
    assert services.community_feed_events(guild) == [past, soon, later, cancelled]
    assert services.personal_feed_events(people["member"]) == [past, soon, later, cancelled]
    assert hidden in services.personal_feed_events(people["coord"])
    assert services.personal_feed_events(people["outsider"]) == []


# --- iCalendar ------------------------------------------------------------------------------------------


def test_icalendar_has_utc_times_across_the_change_and_marks_changes(crowd):
    people, guild, _secret = crowd
    before = services.schedule_meeting(people["coord"], guild, details(title="Before the change, ok; yes\x07"))
    after = services.schedule_meeting(
        people["coord"], guild, details(title="After", date=SPRING + timedelta(days=1), location="")
    )
    services.cancel_meeting(people["coord"], after)
    body = ical.calendar(
        [before, after], name="Guild meetings", page_url=lambda e: f"https://cop.example/meetings/{e.id}"
    )

    assert f"DTSTART:{(SPRING - timedelta(days=2)):%Y%m%d}T090000Z".encode() in body
    assert f"DTSTART:{(SPRING + timedelta(days=1)):%Y%m%d}T080000Z".encode() in body
    calendar = Calendar.from_ical(body)
    assert calendar["X-WR-CALNAME"] == "Guild meetings"
    first, second = calendar.walk("VEVENT")
    assert first.decoded("DTSTART") == datetime.combine(SPRING - timedelta(days=2), time(9, 0)).replace(
        tzinfo=first.decoded("DTSTART").tzinfo
    )
    assert first.decoded("DTSTART").utcoffset() == timedelta(0)
    assert second.decoded("DTSTART").utcoffset() == timedelta(0) and second.decoded("DTSTART").hour == 8
    assert second.decoded("DTEND").hour == 9
    assert (str(first["UID"]), str(first["SUMMARY"]), int(first["SEQUENCE"]), str(first["STATUS"])) == (
        f"event-{before.id}@cop",
        "Before the change, ok; yes",
        0,
        "CONFIRMED",
    )
    assert str(first["LOCATION"]) == "Room 4" and str(first["URL"]) == f"https://cop.example/meetings/{before.id}"
    assert "- **demo**" in str(first["DESCRIPTION"]) and "https://meet.example.com/guild" in str(first["DESCRIPTION"])
    assert "DTSTAMP" in first
    assert (int(second["SEQUENCE"]), str(second["STATUS"])) == (1, "CANCELLED")
    assert str(second["LOCATION"]) == "https://meet.example.com/guild"  # no place: the link stands in

    # A link written by anything other than the service is checked again before it is shown.
    after.meeting_url = "javascript:alert(1)"
    assert after.safe_meeting_url == ""
    assert b"javascript" not in ical.calendar([after], name="x", page_url=lambda e: "https://cop.example/")
    db.session.rollback()
