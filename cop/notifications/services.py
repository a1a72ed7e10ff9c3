"""Notifications: reading them (filtered at read time), marking them read, preferences, watches.

What a person may see changes after a notification is written (a removed
member, a thread deleted), so every list and count filters at read time:
notifications about content through ``permissions.visible_communities``,
those about membership (an invitation to a private community) through
``permissions.listed_communities``, and never about a deleted thread.
"""

from typing import Any

from flask_sqlalchemy.pagination import Pagination
from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community, community_sponsors
from cop.database import rowcount
from cop.discussions.models import Thread
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow
from cop.notifications import mail
from cop.notifications.models import (
    CADENCES,
    DEFAULT_CADENCE,
    DIGEST_CADENCES,
    KIND_LABELS,
    KINDS,
    MEMBERSHIP_KINDS,
    SPONSOR_SUMMARY,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Watch,
)
from cop.permissions import Viewer
from cop.tags.models import Tag, TagWatch

PER_PAGE = 25
UNREAD_CAP = 100  # the header shows "99+" beyond this; counting stops there
EXCERPT_CHARS = 300
SPONSOR_CADENCES = ("weekly", "never")


# --- reading ------------------------------------------------------------------------------


def _readable(user: User) -> ColumnElement[bool]:
    """The condition a notification of ``user`` must meet to be shown to them now."""
    visible = permissions.visible_communities(user).with_only_columns(Community.id)
    listed = permissions.listed_communities(user).with_only_columns(Community.id)
    return and_(
        Notification.user_id == user.id,
        or_(
            Notification.community_id.in_(visible),
            and_(Notification.kind.in_(MEMBERSHIP_KINDS), Notification.community_id.in_(listed)),
        ),
        # The thread as it is now: deleted, or moved to a community the user may not read, hides it.
        ~exists().where(
            Thread.id == Notification.thread_id, or_(Thread.is_deleted.is_(True), Thread.community_id.not_in(visible))
        ),
    )


def readable_notifications(user: User) -> Select[tuple[Notification]]:
    """A select of ``user``'s notifications that they may still see, newest first."""
    return select(Notification).where(_readable(user)).order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(user: Viewer) -> int:
    """Unread notifications ``user`` may see, counted up to ``UNREAD_CAP`` (one indexed query)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    # Most page views find nothing unread: one probe of the (user_id, read_at) index answers that
    # without building the permission filter.
    if (
        db.session.scalar(
            select(Notification.id).where(Notification.user_id == user.id, Notification.read_at.is_(None)).limit(1)
        )
        is None
    ):
        return 0
    capped = select(Notification.id).where(_readable(user), Notification.read_at.is_(None)).limit(UNREAD_CAP).subquery()
    return db.session.scalar(select(func.count()).select_from(capped)) or 0


def notification_page(user: User, page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """One page of ``user``'s notifications (a Flask-SQLAlchemy pagination), related rows preloaded."""
    stmt = readable_notifications(user).options(selectinload(Notification.event), selectinload(Notification.flag))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def open_notification(user: User, notification_id: int | str | None) -> Notification | None:
    """Mark one of ``user``'s notifications read and return it; None when it is not theirs or no
    longer visible to them (the caller shows the list again)."""
    if notification_id is None:
        return None
    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        return None
    notification = db.session.scalar(readable_notifications(user).where(Notification.id == notification_id))
    if notification is None:
        return None
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification ``user`` may see read; returns how many."""
    unread = select(Notification.id).where(_readable(user), Notification.read_at.is_(None))
    result = db.session.execute(update(Notification).where(Notification.id.in_(unread)).values(read_at=utcnow()))
    db.session.commit()
    return rowcount(result)


def target_of(notification: Notification) -> tuple[str, dict[str, Any]]:
    """(endpoint, values) of the page a notification leads to (``values``: ``url_for``'s keyword arguments,
    typed as its ``**values``)."""
    n = notification
    slug = n.community.slug
    if n.kind in ("reply", "mention", "accepted", "watched_thread") and n.post_id:
        return "discussions.post_link", {"post_id": n.post_id}
    if n.kind == "new_thread" and n.thread_id:
        return "discussions.thread", {"thread_id": n.thread_id}
    if n.kind == "flag":
        return "discussions.flag_queue", {"slug": slug}
    if n.kind == "join_request":
        return "communities.members", {"slug": slug}
    if n.kind == "invitation":
        return "communities.invitation", {"slug": slug}
    if n.kind == "meeting" and n.event_id:
        return "events.meeting", {"event_id": n.event_id}
    return "communities.community_home", {"slug": slug}


def _actor_name(n: Notification) -> str:
    return n.actor.display_name if n.actor else "Someone"


def describe(notification: Notification) -> str:
    """One plain sentence saying what happened (the page and the mails escape it as they need)."""
    n = notification
    who, community = _actor_name(n), n.community.name
    title = f"“{n.thread.title}”" if n.thread else ""
    if n.kind == "reply":
        where = "your post in" if n.detail == "post" else "your thread"
        return f"{who} replied to {where} {title}"
    if n.kind == "mention":
        return f"{who} mentioned you in {title}"
    if n.kind == "accepted":
        return f"{who} accepted your answer in {title}"
    if n.kind == "watched_thread":
        return f"{who} replied in {title}"
    if n.kind == "new_thread":
        return f"{who} started {title} in {community}"
    if n.kind == "flag":
        guideline = f" ({n.flag.guideline_title})" if n.flag else ""
        return f"{who} flagged a post in {title}{guideline}"
    if n.kind == "join_request":
        return f"{who} asked to join {community}"
    if n.kind == "invitation":
        return f"{who} invited you to join {community}"
    if n.kind == "decision":
        verdict = "approved" if n.detail == "active" else "declined"
        return f"Your request to join {community} was {verdict}"
    if n.kind == "meeting":
        title = f"“{n.event.title}”" if n.event else "a meeting"
        change = {"new": "New meeting", "changed": "Meeting changed", "cancelled": "Meeting cancelled"}
        return f"{change.get(n.detail, 'Meeting')} in {community}: {title}"
    return f"Activity in {community}"


def excerpt_of(notification: Notification) -> str:
    """Up to ``EXCERPT_CHARS`` of the post's text, as plain text — only from an open community.

    A restricted or private community's post bodies never leave the site:
    mails about them carry the title and a link only.
    """
    n = notification
    if n.community.visibility != "open" or n.post is None or not n.post.is_visible:
        return ""
    text = " ".join(Markup(n.post.body_html).striptags().split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1].rstrip() + "…"


# --- preferences --------------------------------------------------------------------------


def cadences(user: User) -> dict[str, str]:
    """Every kind's cadence for ``user`` (defaults filled in), the sponsor summary's included."""
    chosen = {**DEFAULT_CADENCE, SPONSOR_SUMMARY: "weekly"}
    chosen.update(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.cadence).where(
                NotificationPreference.user_id == user.id
            )
        )
        .tuples()
        .all()
    )
    return chosen


def cadence_of(user_id: int, kind: str) -> str:
    """One user's cadence for one kind (the sponsor summary included)."""
    stored = db.session.scalar(
        select(NotificationPreference.cadence).where(
            NotificationPreference.user_id == user_id, NotificationPreference.kind == kind
        )
    )
    return stored or DEFAULT_CADENCE.get(kind, "weekly")


def sponsors_anything(user: User) -> bool:
    """Does ``user`` sponsor a community (and so may want the weekly summary)?"""
    return (
        db.session.scalar(
            select(community_sponsors.c.community_id).where(community_sponsors.c.user_id == user.id).limit(1)
        )
        is not None
    )


def auto_watch_enabled(user_id: int) -> bool:
    value = db.session.scalar(select(NotificationSettings.auto_watch).where(NotificationSettings.user_id == user_id))
    return True if value is None else value


def _store_cadence(user: User, kind: str, cadence: str) -> None:
    default = DEFAULT_CADENCE.get(kind, "weekly")
    row = db.session.get(NotificationPreference, (user.id, kind))
    if cadence == default:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(NotificationPreference(user_id=user.id, kind=kind, cadence=cadence))
    else:
        row.cadence = cadence
    if kind in KINDS:
        # Notifications still waiting for their mail follow the new choice
        # (but one made with "never" is not mailed later because of a change).
        db.session.execute(
            update(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.kind == kind,
                Notification.emailed_at.is_(None),
                Notification.digest_id.is_(None),
                Notification.mail_claimed_at.is_(None),
                Notification.delivery != "never",
            )
            .values(delivery=cadence)
        )


def save_preferences(user: User, chosen: dict[str, str], auto_watch: bool) -> None:
    """Set ``user``'s cadence per kind and whether threads they start or reply to are watched.

    :raise DomainError: an unknown cadence (the sponsor summary: weekly or never).
    """
    for kind in (*KINDS, SPONSOR_SUMMARY):
        if kind not in chosen:
            continue
        allowed = SPONSOR_CADENCES if kind == SPONSOR_SUMMARY else CADENCES
        if chosen[kind] not in allowed:
            raise DomainError("Choose how often to be told.", field=kind)
    current = cadences(user)
    for kind, cadence in chosen.items():
        if kind in current and cadence != current[kind]:
            _store_cadence(user, kind, cadence)
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(user_id=user.id)
        db.session.add(settings)
    settings.auto_watch = bool(auto_watch)
    db.session.commit()


def unsubscribe_label(kind: str) -> str:
    """What an unsubscribe link stops, in words."""
    if kind in DIGEST_CADENCES:
        return f"the {kind} digest"
    if kind == SPONSOR_SUMMARY:
        return "the sponsor's weekly summary"
    return "e-mails about: " + KIND_LABELS.get(kind, kind).lower()


def user_for_unsubscribe(token: str) -> tuple[User, str] | None:
    """(user, kind) of a valid unsubscribe token for an existing account, or None."""
    found = mail.read_unsubscribe_token(token)
    if found is None:
        return None
    user_id, kind = found
    if kind not in (*KINDS, *DIGEST_CADENCES, SPONSOR_SUMMARY):
        return None
    user = db.session.get(User, user_id)
    return (user, kind) if user is not None else None


def unsubscribe(user: User, kind: str) -> None:
    """Stop e-mails of one kind (``daily``/``weekly``: every kind sent in that digest).

    The notifications still appear in the app.
    """
    current = cadences(user)
    if kind in DIGEST_CADENCES:
        kinds = [k for k in KINDS if current[k] == kind]
    else:
        kinds = [kind]
    for each in kinds:
        if current.get(each) != "never":
            _store_cadence(user, each, "never")
    db.session.commit()


# --- watching -------------------------------------------------------------------------------

WATCH_CHOICES = ("watch", "mute", "none")


def watch_level(
    user: Viewer, *, community: Community | None = None, thread: Thread | None = None, tag: Tag | None = None
) -> str | None:
    """ "watch", "mute" or None for ``user`` and one community, thread or tag."""
    if not getattr(user, "is_authenticated", False):
        return None
    if tag is not None:
        if db.session.scalar(select(TagWatch.id).where(TagWatch.user_id == user.id, TagWatch.tag_id == tag.id)):
            return "watch"
        column, value = Watch.tag_id, tag.id
    elif thread is not None:
        column, value = Watch.thread_id, thread.id
    else:
        assert community is not None, "watch_level needs a community, a thread or a tag"
        column, value = Watch.community_id, community.id
    return db.session.scalar(select(Watch.level).where(Watch.user_id == user.id, column == value))


def _require_level(level: str) -> None:
    if level not in WATCH_CHOICES:
        raise DomainError("Choose to watch, mute, or neither.")


def _set_row(
    user: User, column: InstrumentedAttribute[int | None], value: int, level: str | None, **target: int
) -> None:
    row = db.session.scalar(select(Watch).where(Watch.user_id == user.id, column == value))
    if level is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(Watch(user_id=user.id, level=level, **target))
    else:
        row.level = level


def _commit_watch() -> None:
    try:
        db.session.commit()
    except IntegrityError:  # a double click raced us to the same row: the other request set it
        db.session.rollback()


def set_community_watch(user: User, community: Community, level: str) -> None:
    """Watch (every new thread is notified), mute (no thread or meeting notices) or neither.

    :raise NotAllowed: the user may not read the community (hidden: a 404). :raise DomainError: unknown level.
    """
    _require_level(level)
    if not permissions.can_view(user, community):
        raise NotAllowed("You cannot follow this community.", hidden=True)
    _set_row(user, Watch.community_id, community.id, None if level == "none" else level, community_id=community.id)
    _commit_watch()


def set_thread_watch(user: User, thread: Thread, level: str) -> None:
    """Watch (every reply is notified), mute (not even replies to the thread you started) or neither.

    :raise NotAllowed: the user may not read the thread (hidden: a 404). :raise DomainError: unknown level.
    """
    _require_level(level)
    if not permissions.can_view(user, thread.community):
        raise NotAllowed("You cannot follow this thread.", hidden=True)
    _set_row(user, Watch.thread_id, thread.id, None if level == "none" else level, thread_id=thread.id)
    _commit_watch()


def set_tag_watch(user: User, tag: Tag, level: str) -> None:
    """Watch a tag (``TagWatch``: new threads with it are notified), mute it (threads with it are
    not notified through a community you watch) or neither. The two exclude each other.

    :raise DomainError: unknown level.
    """
    _require_level(level)
    db.session.execute(delete(TagWatch).where(TagWatch.user_id == user.id, TagWatch.tag_id == tag.id))
    _set_row(user, Watch.tag_id, tag.id, "mute" if level == "mute" else None, tag_id=tag.id)
    if level == "watch":
        db.session.add(TagWatch(user_id=user.id, tag_id=tag.id))
    _commit_watch()


def watches_of(user: User) -> dict[str, list[Watch]]:
    """The communities and threads ``user`` watches or mutes (those they may still read), and muted tags."""
    visible = permissions.visible_communities(user).with_only_columns(Community.id)
    rows = list(
        db.session.scalars(
            select(Watch)
            .where(Watch.user_id == user.id)
            .options(selectinload(Watch.community), selectinload(Watch.thread), selectinload(Watch.tag))
            .order_by(Watch.created_at.desc())
        )
    )
    visible_ids = set(db.session.scalars(visible))
    return {
        "communities": [w for w in rows if w.community_id and w.community_id in visible_ids],
        "threads": [
            w for w in rows if w.thread is not None and not w.thread.is_deleted and w.thread.community_id in visible_ids
        ][:100],
        "muted_tags": [w for w in rows if w.tag_id],
    }
