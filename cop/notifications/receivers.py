"""Turn domain signals (``cop.signals``) into notification rows, inside the sender's transaction.

Each receiver works out who should hear of the event, adds one
``Notification`` per person to ``db.session`` and never commits: the
service that sent the signal commits them with its own change, or rolls
them back with it.

Recipients are decided here, at creation time, in SQL:

* only people who may currently read the community (``permissions.readers_of``;
  for membership news, who may know it exists: ``permissions.knowers_of``),
  never someone a coordinator removed from it, never a disabled account,
  never the person who acted;
* one notification per person per post: someone reached by several routes
  (a reply to their post that also mentions them, in a thread they watch)
  gets one, of the most specific kind (mention > reply > watched thread).
"""

from flask import current_app, g, has_app_context
from sqlalchemy import and_, exists, inspect, select
from sqlalchemy.sql.selectable import SelectBase

from cop import permissions, signals
from cop.accounts.models import User
from cop.communities.models import Membership
from cop.database import attach_session_hooks
from cop.extensions import db
from cop.notifications.models import (
    DEFAULT_CADENCE,
    MEMBERSHIP_KINDS,
    SPECIFICITY,
    Notification,
    NotificationPreference,
    Watch,
)
from cop.notifications.services import auto_watch_enabled
from cop.tags.models import TagWatch

_STAGED = "cop_notifications_staged"  # session.info: {(user id, key): Notification} this transaction
_MAIL_DUE = "cop_notifications_mail_due"  # session.info: ids of immediate notifications flushed
_G_MAIL_DUE = "_cop_mail_due"  # g: ids committed, for the end of the request


# --- staging ------------------------------------------------------------------------------


def _removed_from(community):
    return select(Membership.user_id).where(Membership.community_id == community.id, Membership.status == "removed")


def _muted(column, value):
    return select(Watch.user_id).where(column == value, Watch.level == "mute")


def notify(
    kind: str,
    candidates,
    *,
    actor,
    community,
    exclude=(),
    key=None,
    thread=None,
    post=None,
    event=None,
    flag=None,
    detail: str = "",
) -> list[Notification]:
    """Add a ``kind`` notification for each candidate allowed to hear of it (see the module doc).

    ``candidates`` is a few user ids, or a select of user ids (a whole
    community's members stay in SQL); ``exclude``: selects of user ids to
    leave out (mutes). ``key`` names the thing notified about (e.g.
    ``("post", 12)``): a second notification for the same person and key in
    this transaction upgrades the first to the more specific kind instead of
    adding another.
    """
    if not isinstance(candidates, SelectBase):
        candidates = [uid for uid in candidates if uid is not None]
        if not candidates:
            return []
    allowed = permissions.knowers_of(community) if kind in MEMBERSHIP_KINDS else permissions.readers_of(community)
    allowed = allowed.correlate(None)  # a subquery of users inside a query of users: never correlated
    chosen = NotificationPreference.cadence
    rows = db.session.execute(
        select(User.id, chosen)
        .outerjoin(
            NotificationPreference, and_(NotificationPreference.user_id == User.id, NotificationPreference.kind == kind)
        )
        .where(
            User.id.in_(candidates),
            User.id.in_(allowed),
            User.id.not_in(_removed_from(community)),
            User.id != getattr(actor, "id", None),
            *[User.id.not_in(each) for each in exclude],
        )
        .order_by(User.id)
    ).all()
    staged = db.session.info.setdefault(_STAGED, {})
    added = []
    for uid, cadence in rows:
        delivery = cadence or DEFAULT_CADENCE[kind]
        existing = staged.get((uid, key)) if key is not None else None
        if existing is not None:
            if SPECIFICITY.get(kind, 0) > SPECIFICITY.get(existing.kind, 0):
                existing.kind, existing.detail, existing.delivery = kind, detail, delivery
            continue
        notification = Notification(
            user_id=uid,
            kind=kind,
            actor_id=getattr(actor, "id", None),
            community_id=community.id,
            thread_id=getattr(thread, "id", None),
            post_id=getattr(post, "id", None),
            event_id=getattr(event, "id", None),
            flag_id=getattr(flag, "id", None),
            detail=detail,
            delivery=delivery,
        )
        db.session.add(notification)
        added.append(notification)
        if key is not None:
            staged[(uid, key)] = notification
    return added


def _auto_watch(user, thread) -> None:
    """Watch a thread one starts or replies to, unless turned off or the thread already has a choice."""
    if user is None or not auto_watch_enabled(user.id):
        return
    has_row = db.session.scalar(select(Watch.id).where(Watch.user_id == user.id, Watch.thread_id == thread.id))
    if has_row is None:
        db.session.add(Watch(user_id=user.id, thread_id=thread.id, level="watch"))


# --- receivers ------------------------------------------------------------------------------


def on_thread_created(actor, thread, post, **_):
    community = thread.community
    tag_ids = [t.id for t in thread.tags]
    watchers = select(Watch.user_id).where(Watch.community_id == community.id, Watch.level == "watch")
    candidates: SelectBase = watchers  # the union with the tags' watchers when the thread has tags
    exclude = [_muted(Watch.community_id, community.id)]
    if tag_ids:
        candidates = watchers.union(select(TagWatch.user_id).where(TagWatch.tag_id.in_(tag_ids)))
        # A tag's mute (unless the person also watches that very tag) silences the community's watch.
        exclude.append(
            select(Watch.user_id).where(
                Watch.tag_id.in_(tag_ids),
                Watch.level == "mute",
                ~exists().where(TagWatch.user_id == Watch.user_id, TagWatch.tag_id == Watch.tag_id),
            )
        )
    notify(
        "new_thread",
        candidates,
        exclude=exclude,
        actor=actor,
        community=community,
        key=("post", post.id),
        thread=thread,
        post=post,
    )
    _auto_watch(actor, thread)


def on_reply_created(actor, post, **_):
    thread = post.thread
    community = thread.community
    muted = _muted(Watch.thread_id, thread.id)
    key = ("post", post.id)
    watchers = select(Watch.user_id).where(Watch.thread_id == thread.id, Watch.level == "watch")
    notify("watched_thread", watchers, actor=actor, community=community, key=key, thread=thread, post=post)
    notify(
        "reply",
        [thread.author_id],
        exclude=[muted],
        actor=actor,
        community=community,
        key=key,
        thread=thread,
        post=post,
        detail="thread",
    )
    parent = post.parent
    if parent is not None and parent.id != thread.opening_post_id:
        # A direct answer to your post reaches you even in a thread you muted.
        notify(
            "reply",
            [parent.author_id],
            actor=actor,
            community=community,
            key=key,
            thread=thread,
            post=post,
            detail="post",
        )
    _auto_watch(actor, thread)


def on_users_mentioned(actor, post, users, **_):
    thread = post.thread
    notify(
        "mention",
        [u.id for u in users],
        actor=actor,
        community=thread.community,
        key=("post", post.id),
        thread=thread,
        post=post,
    )


def on_answer_accepted(actor, thread, post, **_):
    notify(
        "accepted",
        [post.author_id],
        actor=actor,
        community=thread.community,
        key=("accepted", post.id),
        thread=thread,
        post=post,
    )


def _coordinator_ids(community):
    return select(Membership.user_id).where(
        Membership.community_id == community.id, Membership.status == "active", Membership.role == "coordinator"
    )


def on_post_flagged(actor, flag, **_):
    post = flag.post
    thread = post.thread
    community = thread.community
    notify("flag", _coordinator_ids(community), actor=actor, community=community, thread=thread, post=post, flag=flag)


def on_join_requested(actor, membership, **_):
    community = membership.community
    notify("join_request", _coordinator_ids(community), actor=membership.user, community=community)


def on_join_decided(actor, membership, **_):
    notify("decision", [membership.user_id], actor=actor, community=membership.community, detail=membership.status)


def on_member_invited(actor, membership, **_):
    notify("invitation", [membership.user_id], actor=actor, community=membership.community)


def on_meeting_saved(actor, event, change, **_):
    community = event.community
    members = select(Membership.user_id).where(Membership.community_id == community.id, Membership.status == "active")
    notify(
        "meeting",
        members,
        exclude=[_muted(Watch.community_id, community.id)],
        actor=actor,
        community=community,
        event=event,
        detail=change,
    )


RECEIVERS = (
    (signals.thread_created, on_thread_created),
    (signals.reply_created, on_reply_created),
    (signals.users_mentioned, on_users_mentioned),
    (signals.answer_accepted, on_answer_accepted),
    (signals.post_flagged, on_post_flagged),
    (signals.join_requested, on_join_requested),
    (signals.join_decided, on_join_decided),
    (signals.member_invited, on_member_invited),
    (signals.meeting_saved, on_meeting_saved),
)


# --- after the commit: the immediate e-mails ----------------------------------------------------


def _after_flush(session, _flush_context) -> None:
    # Dirty too: a notification flushed as "watched thread" may become a mention, mailed at once.
    due = [obj.id for obj in session.new if isinstance(obj, Notification) and obj.delivery == "immediately"]
    due += [
        obj.id
        for obj in session.dirty
        if isinstance(obj, Notification)
        and obj.delivery == "immediately"
        and inspect(obj).attrs.delivery.history.has_changes()
    ]
    if due:
        session.info.setdefault(_MAIL_DUE, []).extend(due)


def _after_commit(session) -> None:
    session.info.pop(_STAGED, None)
    due = session.info.pop(_MAIL_DUE, None)
    if due and has_app_context():
        g.setdefault(_G_MAIL_DUE, []).extend(due)


def _after_soft_rollback(session, _previous_transaction) -> None:
    session.info.pop(_STAGED, None)
    session.info.pop(_MAIL_DUE, None)


_SESSION_LISTENERS = (
    ("after_flush", _after_flush),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def take_committed_mail() -> list[int]:
    """Ids of immediate notifications committed since the last call (in this app context)."""
    return g.pop(_G_MAIL_DUE, []) if has_app_context() else []


def _deliver_after_request(response):
    """Send the immediate e-mails this request committed (SMTP trouble leaves them for ``send-mail``)."""
    due = take_committed_mail()
    if due and current_app.config.get("MAIL_ON_COMMIT", True):
        from cop.notifications.digests import deliver_notifications

        deliver_notifications(due)  # never raises
    return response


def register(app) -> None:
    """Connect the signal receivers and session hooks (once per process) and the request hook."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver)
    attach_session_hooks(_SESSION_LISTENERS)
    app.after_request(_deliver_after_request)
