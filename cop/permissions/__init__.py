"""Who may see and do what. The one place that decides access.

Views, templates, services, search, feeds, the API and the reports ask these
predicates; nothing else decides. A community a user may not even know about
reads as a 404, exactly like a missing one (see ``get_listed_community_or_404``).

One module per concern, all re-exported here (``permissions.can_post(...)``):

* ``visibility`` — who may know of and read a community (predicates, the
  per-request sets and their SQL twins, the ``get_*_or_404`` loaders);
* ``communities`` — joining, leaving, managing, overseeing, value stories, webhooks;
* ``discussions``, ``events``, ``library`` — what members and coordinators may do there.

Roles, from the user's point of view on one community:

* **admin** — sees and manages everything.
* **sponsor** — sees the community and its content (oversight needs it).
* **coordinator** — an active member with the coordinator role; manages it.
* **member** — an active member; reads content and takes part.
* **invited / pending** — may see the listing (name, domain, guidelines)
  of a community they were invited to (private) or asked to join.
* **anyone signed in** — reads open communities; sees restricted ones
  listed by name and domain; never learns that a private one exists.
* **an anonymous reader** (a feed without a token) — reads open communities only.
"""

from collections.abc import Callable
from typing import Any

from cop.permissions.communities import (
    can_answer_invitation,
    can_confirm_story,
    can_join,
    can_leave,
    can_manage,
    can_manage_webhooks,
    can_oversee,
    can_record_story,
    can_request_to_join,
    get_overseen_community_or_404,
    has_portfolio,
)
from cop.permissions.discussions import can_accept, can_delete_post, can_edit_post, can_moderate, can_post, can_react
from cop.permissions.events import can_manage_event, can_rsvp, can_schedule, can_see_attendees
from cop.permissions.library import can_add_resource, can_add_version, can_curate_resource, can_edit_resource
from cop.permissions.visibility import (
    MembershipFacts,
    Viewer,
    can_see_listing,
    can_view,
    community_of,
    forget_memberships,
    get_listed_community_or_404,
    get_readable_community_or_404,
    is_admin,
    is_anonymous,
    is_coordinator,
    is_member,
    is_sponsor,
    knowers_of,
    known_community_ids,
    listed_communities,
    listed_community_ids,
    membership_of,
    readable_community_ids,
    readable_or_404,
    readers_of,
    require,
    visible_communities,
)

__all__ = [
    "MembershipFacts",
    "TEMPLATE_PREDICATES",
    "Viewer",
    # visibility
    "can_see_listing",
    "can_view",
    "community_of",
    "forget_memberships",
    "get_listed_community_or_404",
    "get_readable_community_or_404",
    "is_admin",
    "is_anonymous",
    "is_coordinator",
    "is_member",
    "is_sponsor",
    "knowers_of",
    "known_community_ids",
    "listed_communities",
    "listed_community_ids",
    "membership_of",
    "readable_community_ids",
    "readable_or_404",
    "readers_of",
    "require",
    "visible_communities",
    # communities
    "can_answer_invitation",
    "can_confirm_story",
    "can_join",
    "can_leave",
    "can_manage",
    "can_manage_webhooks",
    "can_oversee",
    "can_record_story",
    "can_request_to_join",
    "get_overseen_community_or_404",
    "has_portfolio",
    # discussions, events, library
    "can_accept",
    "can_delete_post",
    "can_edit_post",
    "can_moderate",
    "can_post",
    "can_react",
    "can_manage_event",
    "can_rsvp",
    "can_schedule",
    "can_see_attendees",
    "can_add_resource",
    "can_add_version",
    "can_curate_resource",
    "can_edit_resource",
]

# The predicates every template may call (registered as Jinja globals by the app factory).
TEMPLATE_PREDICATES: dict[str, Callable[..., Any]] = {
    "is_admin": is_admin,
    "is_member": is_member,
    "is_coordinator": is_coordinator,
    "is_sponsor": is_sponsor,
    "membership_of": membership_of,
    "can_see_listing": can_see_listing,
    "can_view": can_view,
    "can_join": can_join,
    "can_request_to_join": can_request_to_join,
    "can_answer_invitation": can_answer_invitation,
    "can_leave": can_leave,
    "can_manage": can_manage,
    "can_oversee": can_oversee,
    "has_portfolio": has_portfolio,
    "can_record_story": can_record_story,
    "can_confirm_story": can_confirm_story,
}
