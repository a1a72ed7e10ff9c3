"""What a page is about, loaded for the signed-in viewer (``current_user``) or answered with a 404.

Shared by the blueprints whose pages sit under a community (``/c/<slug>/...``): the viewer is always
signed in there (``cop.access``), and the decision itself is ``cop.permissions``'. The thread and post
loaders take the user, for the API's token owner as for the page's viewer.
"""

from flask import abort
from flask_login import current_user

from cop import permissions
from cop.communities.models import Community
from cop.discussions import services as discussions
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.permissions import Viewer


def readable_community(slug: str) -> Community:
    """The community at ``slug`` whose content the viewer may read.

    :raise 404: missing, unknown to the viewer, or (a restricted one they know of) not readable: the
        same answer for all three.
    """
    return permissions.get_readable_community_or_404(slug, current_user)


def readable_thread(user: Viewer, thread_id: int, *, for_page: bool = False) -> Thread:
    """The thread ``thread_id`` if ``user`` may read its community.

    ``for_page``: with what the thread's page shows of it (its opening post and accepted answer).

    :raise 404: missing, deleted, or in a community the user may not read: the same answer for all three.
    """
    return permissions.readable_or_404(user, discussions.get_thread_or_none(thread_id, for_page=for_page))


def readable_post(user: Viewer, post_id: int) -> Post:
    """The post ``post_id`` if ``user`` may read its thread (:raise 404: as ``readable_thread``)."""
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    readable_thread(user, post.thread_id)
    return post
