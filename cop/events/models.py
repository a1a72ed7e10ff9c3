from datetime import datetime, UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cop.extensions import db, in_list, utcnow
from cop.library.urls import is_safe_link

RSVP_RESPONSES = ("yes", "maybe", "no")
RSVP_LABELS = {"yes": "Going", "maybe": "Maybe", "no": "Not going"}


class Event(db.Model):
    """A community meeting.

    Times are stored as naive UTC (as everywhere in cop); ``timezone`` is the
    IANA zone the organiser scheduled it in, used to show and edit it in the
    organiser's local time and to write correct iCalendar entries across a
    daylight-saving change.
    """

    __tablename__ = "events"
    __table_args__ = (
        db.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        db.Index("ix_events_community_starts", "community_id", "starts_at"),
        db.Index("ix_events_starts", "starts_at"),
        # Upcoming events of some communities (the home page) read only the events not over yet.
        db.Index("ix_events_community_ends", "community_id", "ends_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    organiser_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = db.Column(db.String(200), nullable=False)
    agenda_md = db.Column(db.Text, nullable=False, default="")
    agenda_html = db.Column(db.Text, nullable=False, default="")
    starts_at = db.Column(db.DateTime, nullable=False)
    ends_at = db.Column(db.DateTime, nullable=False)
    timezone = db.Column(db.String(64), nullable=False, default="UTC")
    location = db.Column(db.String(200), nullable=False, default="")
    meeting_url = db.Column(db.String(500), nullable=False, default="")
    notes_md = db.Column(db.Text, nullable=False, default="")
    notes_html = db.Column(db.Text, nullable=False, default="")
    notes_updated_at = db.Column(db.DateTime)
    is_cancelled = db.Column(db.Boolean, nullable=False, default=False)
    # iCalendar SEQUENCE: bumped on every change so calendars replace their copy.
    sequence = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    community = db.relationship("Community", lazy="joined")
    organiser = db.relationship("User", lazy="joined")

    @property
    def zone(self) -> ZoneInfo:
        """The meeting's time zone (UTC if its name is unknown on this machine)."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def local(self, moment: datetime) -> datetime:
        """A stored naive UTC time as an aware time in the meeting's zone."""
        return moment.replace(tzinfo=UTC).astimezone(self.zone)

    @property
    def local_start(self) -> datetime:
        return self.local(self.starts_at)

    @property
    def local_end(self) -> datetime:
        return self.local(self.ends_at)

    @property
    def safe_meeting_url(self) -> str:
        """The meeting link, checked again when shown: only an http(s) address ever becomes a link."""
        return self.meeting_url if is_safe_link(self.meeting_url) else ""

    @property
    def has_started(self) -> bool:
        return self.starts_at <= utcnow()

    @property
    def is_over(self) -> bool:
        return self.ends_at <= utcnow()


class Rsvp(db.Model):
    """One member's answer to one meeting (changing it updates the row)."""

    __tablename__ = "event_rsvps"
    __table_args__ = (
        db.CheckConstraint(f"response IN {in_list(RSVP_RESPONSES)}", name="response"),
        db.Index("ix_event_rsvps_event_response", "event_id", "response"),
    )

    event_id = db.Column(db.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    response = db.Column(db.String(5), nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    user = db.relationship("User", lazy="joined")
