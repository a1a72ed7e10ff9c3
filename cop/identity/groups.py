"""Directory groups mapped to community roles, and the sync that applies them at every sign-in.

Mappings come from ``COP_GROUP_MAP_FILE`` (TOML, read-only here) and from the admin page::

    [[group]]
    name = "cop-python-guild"          # the group's name (OIDC groups claim; LDAP group cn)
    community = "python-guild"         # the community's address
    role = "member"                    # member, coordinator or sponsor

Group names compare case-insensitively. A membership granted by a group is marked with the group's
name (``Membership.directory_group``): at every sign-in it is added or its role changed when the
person is in a mapped group, and ended (status ``left``) when they no longer are; coordinators cannot
remove or change it by hand. A membership the person already had by hand with at least the mapped
role is left alone. Sponsorships work the same way (``community_sponsors.directory_group``). Every
change is in the audit log.
"""

import logging
import os
import tomllib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, insert, select, update

from cop.admin import audit
from cop.communities.models import Community, Membership, community_sponsors
from cop.communities.services import _refresh_member_count, find_membership
from cop.errors import DomainError
from cop.extensions import db, utcnow
from cop.identity.models import MAPPED_ROLES, GroupMapping

log = logging.getLogger(__name__)

ROLE_RANK = {"member": 1, "coordinator": 2}


@dataclass(frozen=True)
class Mapping:
    group: str
    community_slug: str
    role: str
    source: str  # "file" or "admin"
    id: int | None = None


class GroupMapFileError(DomainError):
    """``COP_GROUP_MAP_FILE`` cannot be read as mappings."""


def file_mappings(path: str | None = None) -> list[Mapping]:
    """The mappings in ``COP_GROUP_MAP_FILE`` (none when unset).

    :raise GroupMapFileError: unreadable TOML, or an entry without a name, community or known role.
    """
    path = path if path is not None else current_app.config.get("GROUP_MAP_FILE")
    if not path:
        return []
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GroupMapFileError(f"{path}: {exc}") from None
    mappings = []
    for number, entry in enumerate(data.get("group") or [], start=1):
        if not isinstance(entry, dict):
            raise GroupMapFileError(f"{path}: [[group]] {number} is not a table")
        name, slug, role = (str(entry.get(k) or "").strip() for k in ("name", "community", "role"))
        if not name or not slug or role not in MAPPED_ROLES:
            raise GroupMapFileError(
                f"{path}: [[group]] {number} needs name, community and a role from {', '.join(MAPPED_ROLES)}"
            )
        mappings.append(Mapping(name, slug, role, "file"))
    return mappings


def all_mappings() -> list[Mapping]:
    """The file's mappings, then the admin page's, each a ``Mapping``."""
    rows = db.session.execute(
        select(GroupMapping.id, GroupMapping.group_name, Community.slug, GroupMapping.role)
        .join(Community, Community.id == GroupMapping.community_id)
        .order_by(GroupMapping.group_name, Community.slug)
    )
    return file_mappings() + [Mapping(name, slug, role, "admin", id) for id, name, slug, role in rows]


def desired_roles(groups: list[str]) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    """What ``groups`` grant: {community id: (member|coordinator, group)} and {community id: group} for
    sponsorships. Mappings naming a community that does not exist are skipped (and logged)."""
    member_of = {g.casefold(): g for g in groups}  # marked with the directory's spelling
    wanted = [m for m in all_mappings() if m.group.casefold() in member_of]
    if not wanted:
        return {}, {}
    ids = dict(
        db.session.execute(
            select(Community.slug, Community.id).where(Community.slug.in_({m.community_slug for m in wanted}))
        )
        .tuples()
        .all()
    )
    roles: dict[int, tuple[str, str]] = {}
    sponsorships: dict[int, str] = {}
    for mapping in wanted:
        community_id = ids.get(mapping.community_slug)
        if community_id is None:
            log.warning("group mapping %s -> %s: no such community", mapping.group, mapping.community_slug)
        elif mapping.role == "sponsor":
            sponsorships.setdefault(community_id, member_of[mapping.group.casefold()])
        elif community_id not in roles or ROLE_RANK[mapping.role] > ROLE_RANK[roles[community_id][0]]:
            roles[community_id] = (mapping.role, member_of[mapping.group.casefold()])
    return roles, sponsorships


def sync_memberships(user, groups: list[str], source: str) -> int:
    """Make ``user``'s directory-managed memberships and sponsorships match ``groups`` (the caller
    commits). Returns the number of changes, each audited with ``source`` (e.g. "oidc sign-in")."""
    roles, sponsorships = desired_roles(groups)
    changes = 0
    touched: set[int] = set()
    managed = {
        m.community_id: m
        for m in db.session.scalars(
            select(Membership).where(Membership.user_id == user.id, Membership.directory_group.is_not(None))
        )
    }
    current = dict(
        db.session.execute(
            select(community_sponsors.c.community_id, community_sponsors.c.directory_group).where(
                community_sponsors.c.user_id == user.id
            )
        )
        .tuples()
        .all()
    )
    communities = {
        c.id: c
        for c in db.session.scalars(
            select(Community).where(Community.id.in_(set(roles) | set(managed) | set(sponsorships) | set(current)))
        )
    }

    for community_id, (role, group) in roles.items():
        community = communities[community_id]
        membership = managed.pop(community_id, None) or find_membership(community, user)
        if (
            membership is not None
            and membership.is_active
            and membership.directory_group is None
            and ROLE_RANK[membership.role] >= ROLE_RANK[role]
        ):
            continue  # joined by hand with at least this role: theirs to keep
        if membership is None:
            membership = Membership(community_id=community_id, user_id=user.id, status="invited")
            db.session.add(membership)
        if membership.is_active and (membership.role, membership.directory_group) == (role, group):
            continue
        action = "membership.directory_role" if membership.is_active else "membership.directory_add"
        if not membership.is_active:
            membership.joined_at = utcnow()
        membership.status, membership.role, membership.directory_group = "active", role, group
        audit.record(None, action, user, community, detail=f"{role} through group {group} ({source})")
        touched.add(community_id)
        changes += 1

    for community_id, membership in managed.items():
        was_active = membership.is_active
        membership.directory_group = None
        if was_active:
            membership.status, membership.role = "left", "member"
            audit.record(
                None,
                "membership.directory_remove",
                user,
                communities[community_id],
                detail=f"no longer in a mapped group ({source})",
            )
            touched.add(community_id)
            changes += 1

    for community_id, group in sponsorships.items():
        if community_id not in current:
            db.session.execute(
                insert(community_sponsors).values(community_id=community_id, user_id=user.id, directory_group=group)
            )
        elif current[community_id] is not None and current[community_id] != group:
            db.session.execute(
                update(community_sponsors)
                .where(community_sponsors.c.community_id == community_id, community_sponsors.c.user_id == user.id)
                .values(directory_group=group)
            )
            continue
        else:
            continue  # a sponsor already (by hand, or through this group)
        audit.record(
            None,
            "community.directory_add_sponsor",
            user,
            communities[community_id],
            detail=f"through group {group} ({source})",
        )
        changes += 1
    for community_id, group in current.items():
        if group is not None and community_id not in sponsorships:
            db.session.execute(
                delete(community_sponsors).where(
                    community_sponsors.c.community_id == community_id, community_sponsors.c.user_id == user.id
                )
            )
            audit.record(
                None,
                "community.directory_remove_sponsor",
                user,
                communities[community_id],
                detail=f"no longer in a mapped group ({source})",
            )
            changes += 1

    for community_id in touched:
        _refresh_member_count(communities[community_id])
    if changes:
        for community in communities.values():
            db.session.expire(community, ["sponsors"])
    return changes


# --- the admin page's mappings ----------------------------------------------------------------


def add_mapping(admin, group_name: str, community: Community | None, role: str) -> GroupMapping:
    """Map a group to a role in a community (applied at each member's next sign-in).

    :raise DomainError: an empty or over-long group name, no community, an unknown role, or a duplicate.
    """
    group_name = (group_name or "").strip()
    if not group_name or len(group_name) > 255 or any(ord(ch) < 32 for ch in group_name):
        raise DomainError("Give the group's name as the directory has it (at most 255 characters).", field="group_name")
    if community is None:
        raise DomainError("Choose a community.", field="community")
    if role not in MAPPED_ROLES:
        raise DomainError("Choose member, coordinator or sponsor.", field="role")
    existing = db.session.scalar(
        select(GroupMapping).where(
            GroupMapping.group_name == group_name, GroupMapping.community_id == community.id, GroupMapping.role == role
        )
    )
    if existing is not None:
        raise DomainError("That group already has that role in that community.", field="group_name")
    mapping = GroupMapping(group_name=group_name, community_id=community.id, role=role, created_by_id=admin.id)
    db.session.add(mapping)
    audit.record(admin, "identity.map_group", community, community, detail=f"{group_name} -> {role}")
    db.session.commit()
    return mapping


def remove_mapping(admin, mapping: GroupMapping) -> None:
    """Delete an admin-page mapping; memberships it granted end at each person's next sign-in."""
    audit.record(
        admin,
        "identity.unmap_group",
        mapping.community,
        mapping.community,
        detail=f"{mapping.group_name} -> {mapping.role}",
    )
    db.session.delete(mapping)
    db.session.commit()


def check_file(app) -> None:
    """At start-up: the mapping file must be readable. :raise GroupMapFileError."""
    path = app.config.get("GROUP_MAP_FILE")
    if path:
        if not os.path.exists(path):
            raise GroupMapFileError(f"COP_GROUP_MAP_FILE {path} does not exist")
        file_mappings(path)
