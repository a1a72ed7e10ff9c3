"""Notifications, what people watch, how often they want e-mail, and the digests sent.

A ``Notification`` row is also the e-mail outbox: its ``delivery`` is fixed
when it is created (from the recipient's preference for its kind), and
``emailed_at`` / ``digest_id`` record that the mail went out. The row is
written in the same transaction as the activity that caused it, so a mail is
never lost; it is marked sent one row at a time, so it is never sent twice
(short of a crash in the instant between the SMTP server's acceptance and
that commit, which the deterministic Message-ID lets mail clients fold).
"""
from cop.extensions import db, in_list, utcnow

# The kinds, in the order the settings page lists them.
KINDS = ("reply", "mention", "accepted", "invitation", "decision", "join_request", "flag", "meeting",
         "new_thread", "watched_thread")
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
CADENCE_LABELS = {"immediately": "Immediately", "daily": "In a daily digest", "weekly": "In a weekly digest",
                  "never": "Never (in the app only)"}
DEFAULT_CADENCE = {
    "reply": "immediately", "mention": "immediately", "accepted": "immediately", "invitation": "immediately",
    "decision": "immediately", "join_request": "immediately", "flag": "immediately", "meeting": "immediately",
    "new_thread": "daily", "watched_thread": "daily",
}
# The sponsor's weekly summary is not a notification but has a preference of its own.
SPONSOR_SUMMARY = "sponsor_summary"
DIGEST_CADENCES = ("daily", "weekly")

# When one event reaches a person by several routes they get one notification, the most specific.
SPECIFICITY = {"mention": 3, "reply": 2, "watched_thread": 1, "new_thread": 1}

WATCH_LEVELS = ("watch", "mute")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        db.CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        db.CheckConstraint(f"delivery IN {in_list(CADENCES)}", name="delivery"),
        # The header's unread count and the list page are both one range of this index.
        db.Index("ix_notifications_user_read", "user_id", "read_at", "created_at"),
        # The mail sender and the digests look for undelivered rows of one cadence.
        db.Index("ix_notifications_delivery", "delivery", "emailed_at", "digest_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(20), nullable=False)
    actor_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    # Every notification belongs to one community: lists filter through it at read time.
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    post_id = db.Column(db.ForeignKey("posts.id", ondelete="CASCADE"))
    event_id = db.Column(db.ForeignKey("events.id", ondelete="CASCADE"))
    flag_id = db.Column(db.ForeignKey("flags.id", ondelete="CASCADE"))
    # What happened in a word or two beyond the kind: "approved", "declined", "changed", "cancelled".
    detail = db.Column(db.String(20), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    read_at = db.Column(db.DateTime)
    delivery = db.Column(db.String(12), nullable=False, default="immediately")
    emailed_at = db.Column(db.DateTime)
    # Set while a sender holds the row (so two senders never mail it twice).
    mail_claimed_at = db.Column(db.DateTime)
    mail_error = db.Column(db.String(300), nullable=False, default="")
    digest_id = db.Column(db.ForeignKey("notification_digests.id", ondelete="SET NULL"), index=True)

    user = db.relationship("User", foreign_keys=[user_id])
    actor = db.relationship("User", foreign_keys=[actor_id], lazy="joined")
    community = db.relationship("Community", lazy="joined")
    thread = db.relationship("Thread", lazy="joined")
    post = db.relationship("Post")
    event = db.relationship("Event")
    flag = db.relationship("Flag")

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Watch(db.Model):
    """A user watches or mutes a community, a thread, or (mute only) a tag.

    Watching a tag is ``cop.tags.models.TagWatch``; a tag's mute lives here,
    and the services keep the two exclusive.
    """

    __tablename__ = "watches"
    __table_args__ = (
        db.CheckConstraint(f"level IN {in_list(WATCH_LEVELS)}", name="level"),
        db.CheckConstraint(
            "(CASE WHEN community_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN thread_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN tag_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_target"),
        db.UniqueConstraint("user_id", "community_id"),
        db.UniqueConstraint("user_id", "thread_id"),
        db.UniqueConstraint("user_id", "tag_id"),
        db.Index("ix_watches_community_level", "community_id", "level"),
        db.Index("ix_watches_thread_level", "thread_id", "level"),
        db.Index("ix_watches_tag_level", "tag_id", "level"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"))
    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="CASCADE"))
    tag_id = db.Column(db.ForeignKey("tags.id", ondelete="CASCADE"))
    level = db.Column(db.String(8), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    community = db.relationship("Community")
    thread = db.relationship("Thread")
    tag = db.relationship("Tag")


class NotificationPreference(db.Model):
    """How often a user wants e-mail about one kind (a row only where it differs from the default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (db.CheckConstraint(f"cadence IN {in_list(CADENCES)}", name="cadence"),)

    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind = db.Column(db.String(20), primary_key=True)
    cadence = db.Column(db.String(12), nullable=False)


class NotificationSettings(db.Model):
    """Per-user switches beyond the per-kind cadences (a row only once changed)."""

    __tablename__ = "notification_settings"

    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # Watch the threads you start or reply to.
    auto_watch = db.Column(db.Boolean, nullable=False, default=True)


class Digest(db.Model):
    """One digest e-mail for one user and period: the idempotency key of ``send-digests``.

    Created (with the notifications it covers pointing at it) in one commit
    before the mail is sent, marked ``sent_at`` after; a rerun skips sent
    ones and resends one left unsent by a crash.
    """

    __tablename__ = "notification_digests"
    __table_args__ = (db.UniqueConstraint("user_id", "cadence", "period"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    # "daily", "weekly", or "sponsor" (the sponsor's weekly summary).
    cadence = db.Column(db.String(10), nullable=False)
    # "2025-06-02" for a day, "2025-W23" for a week.
    period = db.Column(db.String(10), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Set while a sender holds the digest (two runs at once never both send it).
    claimed_at = db.Column(db.DateTime)
    sent_at = db.Column(db.DateTime)
    items = db.Column(db.Integer, nullable=False, default=0)
    error = db.Column(db.String(300), nullable=False, default="")
