"""Meetings through the views (both backends): the scheduling form's errors, RSVPs, cancelling,
the home pages, and the iCalendar feeds with their secret tokens."""

from datetime import date, time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from cop.accounts.models import User
from cop.events import services
from cop.events.models import Event, Rsvp
from cop.events.services import MeetingDetails
from cop.extensions import db, utcnow
from tests.builders import make_community, make_user
from tests.conftest import login


def last_sunday_of_march(year: int) -> date:
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


SPRING = last_sunday_of_march(utcnow().year + 1)  # Europe/Berlin: CET (UTC+1) becomes CEST (UTC+2)
BEFORE, AFTER = SPRING - timedelta(days=2), SPRING + timedelta(days=1)


@pytest.fixture
def world(app):
    people = {n: make_user(f"{n}@example.com", n.title()) for n in ("coord", "member", "outsider")}
    guild = make_community("guild", name="Python Guild", coordinators=[people["coord"]], members=[people["member"]])
    restricted = make_community(
        "sec",
        name="Security Circle",
        visibility="restricted",
        coordinators=[people["coord"]],
        members=[people["member"]],
    )
    private = make_community("hidden", name="Hidden Circle", visibility="private", coordinators=[people["coord"]])
    meeting = lambda community, title, day, **kw: services.schedule_meeting(  # noqa: E731
        people["coord"],
        community,
        MeetingDetails(
            title=title,
            date=day,
            start_time=time(10),
            end_time=time(11),
            timezone="Europe/Berlin",
            location="Room 1",
            **kw,
        ),
    )
    events = {
        "before": meeting(guild, "Guild before the change", BEFORE),
        "after": meeting(guild, "Guild after the change", AFTER),
        "restricted": meeting(restricted, "CanaryRestricted review", AFTER),
        "private": meeting(private, "CanaryPrivate offsite", AFTER),
    }
    return people, events


FORM = {
    "title": "Threat modelling clinic",
    "date": "",
    "start_time": "10:00",
    "end_time": "11:30",
    "end_date": "",
    "timezone": "Europe/Berlin",
    "location": "Room 2",
    "meeting_url": "",
    "agenda": "- STRIDE",
}


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_bad_input_gets_clear_errors_and_keeps_what_was_typed(client, world):
    login(client, "coord@example.com")
    cases = [
        ({"end_time": "09:00"}, "The meeting must end after it starts"),
        ({"meeting_url": "javascript:alert(1)"}, "must be a web address starting with http:// or https://"),
        ({"timezone": "Mars/Olympus_Mons"}, "“Mars/Olympus_Mons” is not a time zone we know"),
        ({"date": SPRING.isoformat(), "start_time": "02:30"}, "02:30 does not exist on"),
        ({"date": "31.02.2030"}, "Not a valid date value"),
    ]
    for overrides, message in cases:
        data = {**FORM, "date": AFTER.isoformat(), **overrides}
        response = client.post("/c/guild/meetings/new", data=data)
        page = _text(response)
        assert response.status_code == 400, overrides
        assert message in page, (overrides, page)
        assert 'aria-invalid="true"' in page
        assert 'value="Threat modelling clinic"' in page and "- STRIDE</textarea>" in page
    assert db.session.scalar(select(Event).where(Event.title == "Threat modelling clinic")) is None


def test_schedule_answer_and_cancel_through_the_pages(client, world, app):
    people, events = world
    login(client, "coord@example.com")
    form_page = _text(client.get("/c/guild/meetings/new"))
    assert 'value="Europe/Berlin"' in form_page  # the zone last used in this community
    assert '<option value="America/New_York">' in form_page
    response = client.post(
        "/c/guild/meetings/new",
        data={**FORM, "date": BEFORE.isoformat(), "meeting_url": "https://meet.example.com/clinic"},
    )
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "Threat modelling clinic"))
    assert response.headers["Location"].endswith(f"/meetings/{event.id}")
    assert (event.starts_at.hour, event.starts_at.minute, event.ends_at.hour) == (9, 0, 10)
    page = _text(client.get(f"/meetings/{event.id}"))
    assert "10:00</time>–<time" in page and "11:30</time> CET" in page and "(Europe/Berlin)" in page
    assert "09:00–10:30 UTC" in page and 'href="https://meet.example.com/clinic"' in page

    client.post("/logout")
    login(client, "member@example.com")
    assert client.post(f"/meetings/{event.id}/rsvp", data={"response": "yes"}).status_code == 302
    page = _text(client.get(f"/meetings/{event.id}"))
    assert "Going: 1" in page and "Maybe: 0" in page and ">Member</a>" in page
    assert 'aria-pressed="true">Going</button>' in page
    home = _text(client.get("/"))
    assert "My upcoming meetings" in home and "Threat modelling clinic" in home and "You are going" in home
    assert "CanaryPrivate" not in home
    assert "Threat modelling clinic" in _text(client.get("/c/guild"))
    assert client.post(f"/meetings/{event.id}/cancel").status_code == 403

    client.post("/logout")
    login(client, "outsider@example.com")  # open community: may read, not answer, not see who comes
    page = _text(client.get(f"/meetings/{event.id}"))
    assert "Threat modelling clinic" in page and ">Member</a>" not in page and "Going: 1" not in page
    assert "visible to the community's members" in page
    assert client.post(f"/meetings/{event.id}/rsvp", data={"response": "yes"}).status_code == 403
    assert client.get(f"/meetings/{event.id}/edit").status_code == 403

    client.post("/logout")
    login(client, "coord@example.com")
    assert client.post(f"/meetings/{event.id}/cancel").status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.is_cancelled, event.sequence) == (True, 1)
    assert "This meeting is cancelled." in _text(client.get(f"/meetings/{event.id}"))
    listing = _text(client.get("/c/guild/meetings"))
    assert "Cancelled" in listing and "Guild after the change" in listing
    assert db.session.scalar(select(Rsvp.response).where(Rsvp.event_id == event.id)) == "yes"


def _calendar(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code}"
    if status != 200:
        return None
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)  # raises when it does not parse


def _summaries(calendar) -> list[str]:
    return [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]


def test_calendar_feeds_utc_times_and_tokens(client, world):
    people, events = world
    token = db.session.get(User, people["member"].id).feed_token

    # An open community's feed needs nothing; its times are UTC on both sides of the change.
    calendar = _calendar(client, "/c/guild/meetings.ics")
    assert _summaries(calendar) == ["Guild before the change", "Guild after the change"]
    before, after = calendar.walk("VEVENT")
    assert before.decoded("DTSTART").utcoffset() == timedelta(0) and before.decoded("DTSTART").hour == 9
    assert after.decoded("DTSTART").utcoffset() == timedelta(0) and after.decoded("DTSTART").hour == 8
    assert f"DTSTART:{AFTER:%Y%m%d}T080000Z".encode() in client.get("/c/guild/meetings.ics").data

    # Closed communities: 404 without a token, with a wrong one, or for a signed-in non-member.
    _calendar(client, "/c/sec/meetings.ics", 404)
    _calendar(client, "/c/hidden/meetings.ics", 404)
    _calendar(client, "/c/sec/meetings.ics?token=not-a-token", 404)
    _calendar(client, "/c/guild/meetings.ics?token=not-a-token", 404)
    assert _summaries(_calendar(client, f"/c/sec/meetings.ics?token={token}")) == ["CanaryRestricted review"]
    _calendar(client, f"/c/hidden/meetings.ics?token={token}", 404)  # not a member there

    # The personal feed: every community the token's owner belongs to, never others.
    _calendar(client, "/account/meetings.ics", 404)
    _calendar(client, "/account/meetings.ics?token=", 404)
    _calendar(client, "/account/meetings.ics?token=wrong", 404)
    assert sorted(_summaries(_calendar(client, f"/account/meetings.ics?token={token}"))) == [
        "CanaryRestricted review",
        "Guild after the change",
        "Guild before the change",
    ]

    login(client, "outsider@example.com")
    _calendar(client, "/c/sec/meetings.ics", 404)
    _calendar(client, "/account/meetings.ics", 404)  # a session is not enough: the personal feed is by token
    client.post("/logout")

    # Resetting the token (the Atom feeds' one, shared) cuts the old addresses off at once.
    login(client, "member@example.com")
    listing = _text(client.get("/c/sec/meetings"))
    assert f"/c/sec/meetings.ics?token={token}" in listing and f"/account/meetings.ics?token={token}" in listing
    assert client.post("/account/feed-token/reset").status_code == 302
    _calendar(client, f"/c/sec/meetings.ics?token={token}", 404)
    _calendar(client, f"/account/meetings.ics?token={token}", 404)
    new_token = db.session.get(User, people["member"].id).feed_token
    assert new_token != token
    assert len(_summaries(_calendar(client, f"/account/meetings.ics?token={new_token}"))) == 3

    # One meeting as a download, for the people who may see it.
    single = client.get(f"/meetings/{events['restricted'].id}.ics")
    assert single.status_code == 200 and single.mimetype == "text/calendar"
    assert single.headers["Content-Disposition"] == f'attachment; filename="meeting-{events["restricted"].id}.ics"'
    assert _summaries(Calendar.from_ical(single.data)) == ["CanaryRestricted review"]


def test_closed_meetings_are_404_for_outsiders(client, world):
    people, events = world
    login(client, "outsider@example.com")
    for event in (events["restricted"], events["private"]):
        for path in (
            f"/meetings/{event.id}",
            f"/meetings/{event.id}.ics",
            f"/meetings/{event.id}/notes",
            f"/meetings/{event.id}/edit",
            f"/c/{event.community.slug}/meetings",
            f"/c/{event.community.slug}/meetings/new",
        ):
            assert client.get(path).status_code == 404, path
        for path in (f"/meetings/{event.id}/rsvp", f"/meetings/{event.id}/cancel", f"/meetings/{event.id}/notes"):
            assert client.post(path, data={"response": "yes", "notes": "x"}).status_code == 404, path
    assert "Canary" not in _text(client.get("/"))
    db.session.expire_all()
    assert db.session.scalars(select(Rsvp)).all() == []
    assert not any(e.is_cancelled or e.notes_md for e in db.session.scalars(select(Event)))
