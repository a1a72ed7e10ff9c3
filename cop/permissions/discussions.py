"""What people may do in a community's discussions: start threads and reply, edit and delete posts,
accept answers, moderate, react."""

from cop.communities.models import Community
from cop.discussions.models import Post, Thread
from cop.permissions.communities import can_manage
from cop.permissions.visibility import Viewer, community_of, is_member


def can_post(user: Viewer, community: Community) -> bool:
    """Only active members write in a community (administrators included only if members)."""
    return is_member(user, community)


def can_moderate(user: Viewer, thread_or_community: Thread | Community) -> bool:
    """Coordinators (and administrators) of the thread's community lock, pin, move, hide and triage."""
    community = thread_or_community if isinstance(thread_or_community, Community) else community_of(thread_or_community)
    return can_manage(user, community)


def can_edit_post(user: Viewer, post: Post) -> bool:
    """The author, while an active member, edits a post that is not deleted."""
    return bool(
        not post.is_deleted
        and getattr(user, "id", None) == post.author_id
        and is_member(user, community_of(post.thread))
    )


def can_delete_post(user: Viewer, post: Post) -> bool:
    """The author (as ``can_edit_post``) and the community's moderators delete a post."""
    return bool(not post.is_deleted and (can_edit_post(user, post) or can_moderate(user, community_of(post.thread))))


def can_accept(user: Viewer, thread: Thread) -> bool:
    """A question's author (while a member) and its moderators mark or unmark the accepted answer."""
    return bool(
        thread.kind == "question"
        and (
            (getattr(user, "id", None) == thread.author_id and is_member(user, community_of(thread)))
            or can_moderate(user, thread)
        )
    )


def can_react(user: Viewer, post: Post, kind: str = "") -> bool:
    """Active members react to visible posts of live threads; *helpful* never to their own post."""
    thread = post.thread
    if thread.is_deleted or not post.is_visible or not is_member(user, community_of(thread)):
        return False
    return not (kind == "helpful" and post.author_id == user.id)
