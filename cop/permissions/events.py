"""What people may do with a community's meetings: schedule and manage them, answer them, see who comes."""

from cop.communities.models import Community
from cop.events.models import Event
from cop.permissions.communities import can_manage
from cop.permissions.visibility import Viewer, community_of, is_member, is_sponsor


def can_schedule(user: Viewer, community: Community) -> bool:
    """Coordinators (and administrators) schedule, edit and cancel meetings and write their notes."""
    return can_manage(user, community)


def can_manage_event(user: Viewer, event: Event) -> bool:
    """Whoever may schedule in the meeting's community edits, cancels and writes the notes of the meeting."""
    return can_schedule(user, community_of(event))


def can_rsvp(user: Viewer, event: Event) -> bool:
    """Active members answer a meeting that is neither cancelled nor over."""
    return bool(is_member(user, community_of(event)) and not event.is_cancelled and not event.is_over)


def can_see_attendees(user: Viewer, community: Community) -> bool:
    """Who is coming is for the community's people: members, coordinators, sponsors, administrators."""
    return is_member(user, community) or can_manage(user, community) or is_sponsor(user, community)
