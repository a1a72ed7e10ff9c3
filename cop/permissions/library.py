"""What people may do in a community's library: add resources, edit them, save versions, curate."""

from cop.communities.models import Community
from cop.library.models import Resource
from cop.permissions.communities import can_manage
from cop.permissions.visibility import Viewer, community_of, is_member


def can_add_resource(user: Viewer, community: Community) -> bool:
    """Active members add resources to their community's library."""
    return is_member(user, community)


def can_edit_resource(user: Viewer, resource: Resource) -> bool:
    """The author (while a member) and the community's coordinators (and admins) edit a resource."""
    if resource.is_deleted:
        return False
    is_author = getattr(user, "id", None) is not None and user.id == resource.author_id
    return bool(is_author and is_member(user, community_of(resource))) or can_manage(user, community_of(resource))


def can_add_version(user: Viewer, resource: Resource) -> bool:
    """Documents are written together: any active member saves a new version.
    A file's new version replaces what people download, so it is for those who may edit it.
    Links have no versions."""
    if resource.is_deleted:
        return False
    if resource.kind == "document":
        return is_member(user, community_of(resource))
    if resource.kind == "file":
        return can_edit_resource(user, resource)
    return False


def can_curate_resource(user: Viewer, resource: Resource) -> bool:
    """Coordinators (and admins) feature and delete resources."""
    return bool(not resource.is_deleted and can_manage(user, community_of(resource)))
