"""What a page is about, loaded for the signed-in viewer (``current_user``) or answered with a 404.

Shared by the blueprints whose pages sit under a community (``/c/<slug>/...``): the viewer is always
signed in there (``cop.access``), and the decision itself is ``cop.permissions``'.
"""
from flask_login import current_user

from cop import permissions
from cop.communities.models import Community


def readable_community(slug: str) -> Community:
    """The community at ``slug`` whose content the viewer may read.

    :raise 404: missing, unknown to the viewer, or (a restricted one they know of) not readable: the
        same answer for all three.
    """
    return permissions.get_readable_community_or_404(slug, current_user)
