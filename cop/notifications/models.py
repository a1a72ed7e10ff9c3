"""Notifications, what people watch, how often they want e-mail, and the digests sent.

A ``Notification`` row is also the e-mail outbox: its ``delivery`` is fixed
when it is created (from the recipient's preference for its kind), and
``emailed_at`` / ``digest_id`` record that the mail went out. The row is
written in the same transaction as the activity that caused it, so a mail is
never lost; it is marked sent one row at a time, so it is never sent twice
(short of a crash in the instant between the SMTP server's acceptance and
that commit, which the deterministic Message-ID lets mail clients fold).
"""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, in_list, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community
    from cop.discussions.models import Flag, Post, Thread
    from cop.events.models import Event
    from cop.tags.models import Tag

# The kinds, in the order the settings page lists them.
KINDS = (
    "reply",
    "mention",
    "accepted",
    "invitation",
    "decision",
    "join_request",
    "flag",
    "meeting",
    "new_thread",
    "watched_thread",
)
KIND_LABELS = {
    "reply": "Replies to your posts and threads",
    "mention": "Mentions of you",
    "accepted": "Your answer accepted",
    "invitation": "Invitations to a community",
    "decision": "Decisions on your requests to join",
    "join_request": "Requests to join a community you coordinate",
    "flag": "Flagged posts to handle (coordinators)",
    "meeting": "New, changed or cancelled meetings in your communities",
    "new_thread": "New threads in communities and tags you watch",
    "watched_thread": "New replies in threads you watch",
}
# About a community's membership, not its content: shown while the user may
# know the community exists (an invitation to a private one included).
MEMBERSHIP_KINDS = ("invitation", "decision", "join_request")

CADENCES = ("immediately", "daily", "weekly", "never")
CADENCE_LABELS = {
    "immediately": "Immediately",
    "daily": "In a daily digest",
    "weekly": "In a weekly digest",
    "never": "Never (in the app only)",
}
DEFAULT_CADENCE = {
    "reply": "immediately",
    "mention": "immediately",
    "accepted": "immediately",
    "invitation": "immediately",
    "decision": "immediately",
    "join_request": "immediately",
    "flag": "immediately",
    "meeting": "immediately",
    "new_thread": "daily",
    "watched_thread": "daily",
}
# The sponsor's weekly summary is not a notification but has a preference of its own.
SPONSOR_SUMMARY = "sponsor_summary"
DIGEST_CADENCES = ("daily", "weekly")

# When one event reaches a person by several routes they get one notification, the most specific.
SPECIFICITY = {"mention": 3, "reply": 2, "watched_thread": 1, "new_thread": 1}

WATCH_LEVELS = ("watch", "mute")


class Notification(Model):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        CheckConstraint(f"delivery IN {in_list(CADENCES)}", name="delivery"),
        # The header's unread count and the list page are both one range of this index.
        Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),
        # The mail sender and the digests look for undelivered rows of one cadence.
        Index("ix_notifications_delivery", "delivery", "emailed_at", "digest_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Every notification belongs to one community: lists filter through it at read time.
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("flags.id", ondelete="CASCADE"))
    # What happened in a word or two beyond the kind: "approved", "declined", "changed", "cancelled".
    detail: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    delivery: Mapped[str] = mapped_column(String(12), default="immediately")
    emailed_at: Mapped[datetime | None]
    # Set while a sender holds the row (so two senders never mail it twice).
    mail_claimed_at: Mapped[datetime | None]
    mail_error: Mapped[str] = mapped_column(String(300), default="")
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("notification_digests.id", ondelete="SET NULL"), index=True
    )

    user: Mapped["User"] = relationship(foreign_keys=[user_id])
    actor: Mapped["User | None"] = relationship(foreign_keys=[actor_id], lazy="joined")
    community: Mapped["Community"] = relationship(lazy="joined")
    thread: Mapped["Thread | None"] = relationship(lazy="joined")
    post: Mapped["Post | None"] = relationship()
    event: Mapped["Event | None"] = relationship()
    flag: Mapped["Flag | None"] = relationship()

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Watch(Model):
    """A user watches or mutes a community, a thread, or (mute only) a tag.

    Watching a tag is ``cop.tags.models.TagWatch``; a tag's mute lives here,
    and the services keep the two exclusive.
    """

    __tablename__ = "watches"
    __table_args__ = (
        CheckConstraint(f"level IN {in_list(WATCH_LEVELS)}", name="level"),
        CheckConstraint(
            "(CASE WHEN community_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN thread_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
        UniqueConstraint("user_id", "community_id"),
        UniqueConstraint("user_id", "thread_id"),
        UniqueConstraint("user_id", "tag_id"),
        Index("ix_watches_community_level", "community_id", "level"),
        Index("ix_watches_thread_level", "thread_id", "level"),
        Index("ix_watches_tag_level", "tag_id", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped["Community | None"] = relationship()
    thread: Mapped["Thread | None"] = relationship()
    tag: Mapped["Tag | None"] = relationship()


class NotificationPreference(Model):
    """How often a user wants e-mail about one kind (a row only where it differs from the default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint(f"cadence IN {in_list(CADENCES)}", name="cadence"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    cadence: Mapped[str] = mapped_column(String(12))


class NotificationSettings(Model):
    """Per-user switches beyond the per-kind cadences (a row only once changed)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Watch the threads you start or reply to.
    auto_watch: Mapped[bool] = mapped_column(default=True)


class Digest(Model):
    """One digest e-mail for one user and period: the idempotency key of ``send-digests``.

    Created (with the notifications it covers pointing at it) in one commit
    before the mail is sent, marked ``sent_at`` after; a rerun skips sent
    ones and resends one left unsent by a crash.
    """

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("user_id", "cadence", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "daily", "weekly", or "sponsor" (the sponsor's weekly summary).
    cadence: Mapped[str] = mapped_column(String(10))
    # "2025-06-02" for a day, "2025-W23" for a week.
    period: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set while a sender holds the digest (two runs at once never both send it).
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    items: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(300), default="")
