"""What people may do with a community: join, ask, answer an invitation, leave, manage, oversee,
tell and confirm value stories, register webhooks."""

from flask import abort
from sqlalchemy import select

from cop.communities.models import Community
from cop.extensions import db
from cop.permissions.visibility import (
    Viewer,
    _signed_in,
    _sponsored,
    _status,
    is_admin,
    is_coordinator,
    is_member,
    is_sponsor,
)


def can_join(user: Viewer, community: Community) -> bool:
    """Open communities: join directly (unless a coordinator removed you)."""
    return _signed_in(user) and community.visibility == "open" and _status(user, community) not in ("active", "removed")


def can_request_to_join(user: Viewer, community: Community) -> bool:
    """Restricted communities: ask a coordinator (again, after a decline or leaving).

    Someone already invited answers the invitation instead.
    """
    return (
        _signed_in(user)
        and community.visibility == "restricted"
        and _status(user, community) not in ("active", "pending", "invited", "removed")
    )


def can_answer_invitation(user: Viewer, community: Community) -> bool:
    return _status(user, community) == "invited"


def can_leave(user: Viewer, community: Community) -> bool:
    return is_member(user, community)


def can_manage(user: Viewer, community: Community) -> bool:
    """Coordinators and administrators: decide requests, invite, remove, edit."""
    return is_admin(user) or is_coordinator(user, community)


def can_oversee(user: Viewer, community: Community) -> bool:
    """Sponsors, active coordinators and administrators: the community's report and objectives."""
    return is_admin(user) or is_coordinator(user, community) or is_sponsor(user, community)


def has_portfolio(user: Viewer) -> bool:
    """Does the user sponsor any community (or administer them all)? Shown as the nav's Portfolio link.

    Administrators need no query; anyone else costs one indexed lookup,
    made at most once per request and only when a page asks.
    """
    if not _signed_in(user):
        return False
    if user.is_admin:
        return True
    return bool(_sponsored(user))


def get_overseen_community_or_404(slug: str, user: Viewer) -> Community:
    """Load a community whose report and objectives the user may see.

    :raise 404: no community has this slug, or it is private and the user
        does not oversee it (outsiders never learn that it exists).
    :raise 403: an open or restricted community the user does not sponsor,
        coordinate or administer.
    """
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None:
        abort(404)
    if not can_oversee(user, community):
        abort(404 if community.visibility == "private" else 403)
    return community


def can_record_story(user: Viewer, community: Community) -> bool:
    """Value stories: any active member may tell one about the community or its threads, resources, meetings."""
    return is_member(user, community)


def can_confirm_story(user: Viewer, community: Community) -> bool:
    """Coordinators (and administrators) confirm a value story, so its realized value is counted."""
    return can_manage(user, community)


def can_manage_webhooks(user: Viewer, community: Community) -> bool:
    """Coordinators (and administrators) register, change and remove the community's webhook endpoints."""
    return can_manage(user, community)
