from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, in_list, utcnow
from cop.library.urls import is_safe_link

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community

RSVP_RESPONSES = ("yes", "maybe", "no")
RSVP_LABELS = {"yes": "Going", "maybe": "Maybe", "no": "Not going"}


class Event(Model):
    """A community meeting.

    Times are stored as naive UTC (as everywhere in cop); ``timezone`` is the
    IANA zone the organiser scheduled it in, used to show and edit it in the
    organiser's local time and to write correct iCalendar entries across a
    daylight-saving change.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_events_community_starts", "community_id", "starts_at"),
        Index("ix_events_starts", "starts_at"),
        # Upcoming events of some communities (the home page) read only the events not over yet.
        Index("ix_events_community_ends", "community_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    agenda_md: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    location: Mapped[str] = mapped_column(String(200), default="")
    meeting_url: Mapped[str] = mapped_column(String(500), default="")
    notes_md: Mapped[str] = mapped_column(Text, default="")
    notes_html: Mapped[str] = mapped_column(Text, default="")
    notes_updated_at: Mapped[datetime | None]
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    # iCalendar SEQUENCE: bumped on every change so calendars replace their copy.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped["Community"] = relationship(lazy="joined")
    organiser: Mapped["User | None"] = relationship(lazy="joined")

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


class Rsvp(Model):
    """One member's answer to one meeting (changing it updates the row)."""

    __tablename__ = "event_rsvps"
    __table_args__ = (
        CheckConstraint(f"response IN {in_list(RSVP_RESPONSES)}", name="response"),
        Index("ix_event_rsvps_event_response", "event_id", "response"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    response: Mapped[str] = mapped_column(String(5))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped["User"] = relationship(lazy="joined")
