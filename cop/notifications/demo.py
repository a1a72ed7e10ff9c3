"""Demo notifications for ``make run``.

The demo discussions and meetings are created through the services, so their
notifications exist already (replies to Tom's threads, Arjun's mention of
him, meetings). This adds what the demo loader writes directly (Tom's
invitation to M&A Integration, his pending request to Data Quality Circle),
dates the notifications like the posts they are about, marks the older half
of Tom's read, and lets Tom watch the Python Guild.
"""

from sqlalchemy import select, update

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.discussions.models import Post
from cop.extensions import db
from cop.notifications.models import Notification, Watch
from cop.notifications.receivers import notify, take_committed_mail

TOM = "tom.becker@example.com"


def load_demo_notifications() -> bool:
    """Add the demo notifications once (they are keyed on Tom's invitation); return whether anything was added."""
    tom = db.session.scalar(select(User).where(User.email == TOM))
    deals = db.session.scalar(select(Community).where(Community.slug == "m-and-a-integration"))
    if (
        tom is None
        or deals is None
        or db.session.scalar(
            select(Notification.id).where(Notification.user_id == tom.id, Notification.kind == "invitation")
        )
        is not None
    ):
        return False
    permissions.forget_memberships()
    for membership in db.session.scalars(
        select(Membership).where(Membership.user_id == tom.id, Membership.status.in_(("invited", "pending")))
    ):
        community = membership.community
        coordinators = list(
            db.session.scalars(
                select(Membership.user_id).where(
                    Membership.community_id == community.id,
                    Membership.role == "coordinator",
                    Membership.status == "active",
                )
            )
        )
        if membership.status == "invited":
            inviter = db.session.get(User, membership.invited_by_id or coordinators[0])
            notify("invitation", [tom.id], actor=inviter, community=community)
        else:
            notify("join_request", coordinators, actor=tom, community=community)
    db.session.flush()
    # Notifications about posts carry the (back-dated) post's time.
    db.session.execute(
        update(Notification)
        .where(Notification.post_id.is_not(None))
        .values(created_at=select(Post.created_at).where(Post.id == Notification.post_id).scalar_subquery())
    )
    mine = list(
        db.session.scalars(select(Notification).where(Notification.user_id == tom.id).order_by(Notification.created_at))
    )
    for notification in mine[: len(mine) // 2]:
        notification.read_at = notification.created_at
    # The demo's past is not news: nothing is waiting to be e-mailed.
    db.session.execute(
        update(Notification).where(Notification.emailed_at.is_(None)).values(emailed_at=Notification.created_at)
    )
    guild = db.session.scalar(select(Community).where(Community.slug == "python-guild"))
    if (
        guild is not None
        and db.session.scalar(select(Watch.id).where(Watch.user_id == tom.id, Watch.community_id == guild.id)) is None
    ):
        db.session.add(Watch(user_id=tom.id, community_id=guild.id, level="watch"))
    db.session.commit()
    take_committed_mail()
    return True
