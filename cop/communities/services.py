"""Community and membership services.

Each function is one decision: it checks the rule, changes the rows, writes
the audit entry and commits. Rules broken raise ``DomainError`` (or
``NotAllowed`` when the actor lacks the right), never HTTP errors.
"""

import re
import unicodedata
from collections.abc import Iterable

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnExpressionArgument, Select, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from cop import permissions, signals
from cop.accounts.models import User
from cop.admin import audit
from cop.communities.models import STAGES, VISIBILITIES, Community, Membership, community_sponsors
from cop.database import contains_text
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow
from cop.markup import MarkupError, render_markdown
from cop.permissions import Viewer
from cop.tags.models import get_or_create_tags, parse_tags

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def suggest_slug(name: str) -> str:
    """An unused address for a community called ``name``: lowercase ASCII letters and digits joined by
    hyphens ("Café & Data Ops" -> "cafe-data-ops"), with -2, -3... if taken; "" when the name has none.
    (static/js/slug.js suggests the same as the name is typed, without the uniqueness check.)"""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:55].strip("-")
    if not base:
        return ""
    taken = set(db.session.scalars(select(Community.slug).where(Community.slug.like(base + "%"))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


# --- reading -----------------------------------------------------------------


def directory(
    user: Viewer,
    *,
    query: str = "",
    visibility: str = "",
    stage: str = "",
    mine: bool = False,
    page: int = 1,
    per_page: int = 24,
) -> Pagination:
    """Communities listed for ``user``, filtered; a Flask-SQLAlchemy pagination."""
    stmt = permissions.listed_communities(user)
    if query:
        stmt = stmt.where(contains_text(query, Community.name, Community.domain, Community.slug))
    if visibility in VISIBILITIES:
        stmt = stmt.where(Community.visibility == visibility)
    if stage in STAGES:
        stmt = stmt.where(Community.stage == stage)
    if mine:
        stmt = stmt.where(
            Community.id.in_(
                select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")
            )
        )
    stmt = stmt.order_by(Community.member_count.desc(), Community.name).options(selectinload(Community.domain_tags))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def my_communities(user: User) -> list[Community]:
    return list(
        db.session.scalars(
            select(Community)
            .join(Membership)
            .where(Membership.user_id == user.id, Membership.status == "active")
            .order_by(Community.name)
            .options(selectinload(Community.domain_tags))
        )
    )


def sponsored_communities(user: User) -> list[Community]:
    """The communities ``user`` sponsors (member or not), by name: a sponsor's home lists them."""
    return list(
        db.session.scalars(
            select(Community)
            .join(community_sponsors, community_sponsors.c.community_id == Community.id)
            .where(community_sponsors.c.user_id == user.id)
            .order_by(Community.name)
            .options(selectinload(Community.domain_tags))
        )
    )


def suggested_communities(user: User, limit: int = 6) -> list[Community]:
    """Communities to explore: listed for ``user``, neither joined nor sponsored by them, largest first."""
    joined = select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")
    sponsored = select(community_sponsors.c.community_id).where(community_sponsors.c.user_id == user.id)
    return list(
        db.session.scalars(
            permissions.listed_communities(user)
            .where(Community.id.not_in(joined), Community.id.not_in(sponsored))
            .order_by(Community.member_count.desc(), Community.name)
            .limit(limit)
            .options(selectinload(Community.domain_tags))
        )
    )


def coordination_counts(user: User, communities: Iterable[Community]) -> dict[int, tuple[int, int]]:
    """``(pending join requests, open flags)`` for each of ``communities`` that ``user`` may manage (two
    grouped queries, whatever their number)."""
    from cop.discussions.models import Flag

    ids = [c.id for c in communities if permissions.can_manage(user, c)]
    if not ids:
        return {}

    def per_community(
        community_id: InstrumentedAttribute[int], condition: ColumnExpressionArgument[bool]
    ) -> dict[int, int]:
        counted = select(community_id, func.count()).where(community_id.in_(ids), condition).group_by(community_id)
        return dict(db.session.execute(counted).tuples().all())

    pending = per_community(Membership.community_id, Membership.status == "pending")
    flags = per_community(Flag.community_id, Flag.status == "open")
    return {cid: (pending.get(cid, 0), flags.get(cid, 0)) for cid in ids}


def my_invitations(user: User) -> list[Membership]:
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id, Membership.status == "invited")
            .order_by(Membership.created_at.desc())
        )
    )


def members(community: Community, status: str = "active", limit: int | None = None) -> list[Membership]:
    order = (Membership.role.desc(), User.display_name)
    stmt = (
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.community_id == community.id, Membership.status == status)
        .order_by(*order)
    )
    if limit:
        stmt = stmt.limit(limit)
    # The ids are sorted first: sorting the memberships themselves joined every member's eager loads first.
    ids = stmt.subquery()
    return list(
        db.session.scalars(
            select(Membership)
            .join(ids, ids.c.id == Membership.id)
            .join(User, User.id == Membership.user_id)
            .order_by(*order)
        )
    )


def newest_members(community: Community, limit: int = 12) -> list[Membership]:
    """The ``limit`` active members who joined most recently (an index range, however large the community)."""
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.community_id == community.id, Membership.status == "active")
            .order_by(Membership.joined_at.desc(), Membership.id.desc())
            .limit(limit)
        )
    )


def coordinators(community: Community) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.community_id == community.id, Membership.status == "active", Membership.role == "coordinator"
            )
            .order_by(User.display_name)
        )
    )


def pending_requests(community: Community) -> list[Membership]:
    return members(community, status="pending")


def outstanding_invitations(community: Community) -> list[Membership]:
    return members(community, status="invited")


# --- membership decisions ------------------------------------------------------


def find_membership(community: Community, user: User) -> Membership | None:
    """The membership row of ``user`` in ``community`` whatever its status (or the user's)."""
    return db.session.scalar(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == user.id)
    )


def _refresh_member_count(community: Community) -> None:
    """Recount ``community``'s active members in the database, after locking its row.

    The lock (``FOR UPDATE`` on PostgreSQL; SQLite's single writer already holds it) makes a concurrent
    membership change wait for this transaction, and the count runs after the lock is granted, so it
    sees every membership committed before: two joins at once both count.
    """
    db.session.flush()
    db.session.execute(select(Community.id).where(Community.id == community.id).with_for_update())
    db.session.execute(
        update(Community)
        .where(Community.id == community.id)
        .values(member_count=active_member_count_of(Community.id).scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    db.session.expire(community, ["member_count"])


def active_member_count_of(community_id: int | ColumnExpressionArgument[int]) -> Select[tuple[int]]:
    """SELECT of the number of active memberships of ``community_id`` (a value or a correlated column)."""
    return (
        select(func.count())
        .select_from(Membership)
        .where(Membership.community_id == community_id, Membership.status == "active")
    )


def _commit_membership_change(community: Community) -> None:
    _refresh_member_count(community)
    db.session.commit()  # the request's membership sets are dropped by the commit (cop.permissions)


def _refuse_directory_managed(membership: Membership | None, what: str) -> None:
    """:raise DomainError: the membership comes from a directory group (cop.identity.groups), so only the
    directory changes it (at the person's next sign-in)."""
    if membership is not None and membership.is_directory_managed:
        raise DomainError(
            f"{membership.user.display_name}'s membership comes from the company directory (group "
            f"{membership.directory_group}), so it cannot be {what} here: change the group in the "
            "directory, or ask an administrator to change the group mapping."
        )


def _require_guidelines(accepted: bool) -> None:
    if not accepted:
        raise DomainError("Please read and accept the guidelines to join.", field="accept_guidelines")


def join_community(user: User, community: Community, accepted_guidelines: bool) -> Membership:
    """Join an open community; the guidelines must be accepted.

    :raise NotAllowed: not open, already a member, or removed by a coordinator.
    :raise DomainError: guidelines not accepted.
    """
    if not permissions.can_join(user, community):
        raise NotAllowed("You cannot join this community directly.")
    _require_guidelines(accepted_guidelines)
    membership = find_membership(community, user) or Membership(community_id=community.id, user_id=user.id)
    db.session.add(membership)
    membership.status = "active"
    membership.role = "member"
    membership.guidelines_accepted_at = membership.joined_at = utcnow()
    audit.record(user, "membership.join", user, community)
    _commit_membership_change(community)
    return membership


def request_to_join(user: User, community: Community, accepted_guidelines: bool, message: str = "") -> Membership:
    """Ask to join a restricted community; coordinators then decide.

    :raise NotAllowed: not restricted, already a member or pending, or removed.
    :raise DomainError: guidelines not accepted or a message over 1000 characters.
    """
    if not permissions.can_request_to_join(user, community):
        raise NotAllowed("You cannot request to join this community.")
    _require_guidelines(accepted_guidelines)
    if len(message or "") > 1000:
        raise DomainError("Keep the message under 1000 characters.", field="message")
    membership = find_membership(community, user) or Membership(community_id=community.id, user_id=user.id)
    db.session.add(membership)
    membership.status = "pending"
    membership.role = "member"
    membership.request_message = (message or "").strip()
    membership.decision_message = ""
    membership.guidelines_accepted_at = utcnow()
    audit.record(user, "membership.request", user, community)
    db.session.flush()
    signals.join_requested.send(user, membership=membership)
    _commit_membership_change(community)
    return membership


def decide_request(coordinator: User, membership: Membership, approve: bool, message: str = "") -> None:
    """Approve or decline a pending request, with an optional message to the requester.

    :raise NotAllowed: the actor does not manage the community.
    :raise DomainError: the request is no longer pending.
    """
    community = membership.community
    if not permissions.can_manage(coordinator, community):
        raise NotAllowed("Only the community's coordinators can decide requests.")
    if membership.status != "pending":
        raise DomainError("This request has already been decided.")
    if len(message or "") > 1000:
        raise DomainError("Keep the message under 1000 characters.", field="message")
    membership.status = "active" if approve else "declined"
    membership.decided_by_id = coordinator.id
    membership.decision_message = (message or "").strip()
    if approve:
        membership.joined_at = utcnow()
    audit.record(
        coordinator,
        "membership.approve" if approve else "membership.decline",
        membership.user,
        community,
        detail=membership.decision_message,
    )
    signals.join_decided.send(coordinator, membership=membership)
    _commit_membership_change(community)


def invite(coordinator: User, community: Community, email: str, message: str = "") -> Membership:
    """Invite an existing account to the community (how private ones grow).

    :raise NotAllowed: the actor does not manage the community.
    :raise DomainError: unknown address, or the person is already a member or invited.
    """
    if not permissions.can_manage(coordinator, community):
        raise NotAllowed("Only the community's coordinators can invite.")
    invitee = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if invitee is None or invitee.is_disabled:
        raise DomainError("No colleague has an account with that e-mail address.", field="email")
    membership = find_membership(community, invitee)
    if membership and membership.status in ("active", "invited"):
        raise DomainError(
            f"{invitee.display_name} is already {'a member' if membership.is_active else 'invited'}.", field="email"
        )
    membership = membership or Membership(community_id=community.id, user_id=invitee.id)
    db.session.add(membership)
    membership.status = "invited"
    membership.role = "member"
    membership.invited_by_id = coordinator.id
    membership.request_message = (message or "").strip()[:1000]
    membership.decision_message = ""
    audit.record(coordinator, "membership.invite", invitee, community)
    db.session.flush()
    signals.member_invited.send(coordinator, membership=membership)
    _commit_membership_change(community)
    return membership


def answer_invitation(user: User, community: Community, accept: bool, accepted_guidelines: bool = False) -> None:
    """Accept (with the guidelines) or decline an invitation.

    :raise NotAllowed: there is no open invitation for this user.
    :raise DomainError: accepting without accepting the guidelines.
    """
    membership = find_membership(community, user)
    if membership is None or membership.status != "invited":
        raise NotAllowed("There is no invitation to answer.")
    if accept:
        _require_guidelines(accepted_guidelines)
        membership.status = "active"
        membership.guidelines_accepted_at = membership.joined_at = utcnow()
    else:
        membership.status = "declined"
    audit.record(user, "membership.accept_invitation" if accept else "membership.decline_invitation", user, community)
    _commit_membership_change(community)


def _active_coordinator_count(community: Community) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(Membership)
        .where(Membership.community_id == community.id, Membership.status == "active", Membership.role == "coordinator")
    ).scalar_one()


def leave_community(user: User, community: Community, successor: User | None = None) -> None:
    """Leave a community. The last coordinator must name an active member as successor.

    :raise NotAllowed: not an active member.
    :raise DomainError: last coordinator without a valid successor.
    """
    membership = find_membership(community, user)
    if membership is None or membership.status != "active":
        raise NotAllowed("You are not a member of this community.")
    _refuse_directory_managed(membership, "ended")
    if membership.role == "coordinator" and _active_coordinator_count(community) == 1:
        successor_membership = find_membership(community, successor) if successor else None
        if (
            successor is None
            or successor_membership is None
            or not successor_membership.is_active
            or successor.id == user.id
        ):
            raise DomainError(
                "You are the last coordinator: name another member to take over before you leave.", field="successor"
            )
        successor_membership.role = "coordinator"
        audit.record(user, "membership.make_coordinator", successor, community, detail="named as successor")
    membership.status = "left"
    membership.role = "member"
    audit.record(user, "membership.leave", user, community)
    _commit_membership_change(community)


def remove_member(coordinator: User, community: Community, member: User, reason: str = "") -> None:
    """Remove a member (they cannot rejoin on their own).

    :raise NotAllowed: the actor does not manage the community.
    :raise DomainError: removing yourself (leave instead), a non-member, or the last coordinator.
    """
    if not permissions.can_manage(coordinator, community):
        raise NotAllowed("Only the community's coordinators can remove members.")
    membership = find_membership(community, member)
    if membership is None or membership.status not in ("active", "invited", "pending"):
        raise DomainError("This person is not a member.")
    if member.id == coordinator.id:
        raise DomainError("To leave the community yourself, use Leave.")
    _refuse_directory_managed(membership, "removed")
    if membership.is_coordinator and _active_coordinator_count(community) == 1:
        raise DomainError("This is the last coordinator; appoint another one first.")
    membership.status = "removed"
    membership.role = "member"
    membership.decided_by_id = coordinator.id
    membership.decision_message = (reason or "").strip()[:1000]
    audit.record(coordinator, "membership.remove", member, community, detail=membership.decision_message)
    _commit_membership_change(community)


def make_coordinator(actor: User, community: Community, member: User) -> None:
    """Give an active member the coordinator role.

    :raise NotAllowed: the actor does not manage the community.
    :raise DomainError: the person is not an active member.
    """
    if not permissions.can_manage(actor, community):
        raise NotAllowed("Only coordinators can appoint coordinators.")
    membership = find_membership(community, member)
    if membership is None or membership.status != "active":
        raise DomainError("Only active members can become coordinators.")
    _refuse_directory_managed(membership, "changed")
    membership.role = "coordinator"
    audit.record(actor, "membership.make_coordinator", member, community)
    _commit_membership_change(community)


# --- creating and editing (administrators; coordinators edit the texts) ---------


def _render(field: str, text: str) -> str:
    try:
        return render_markdown(text or "")
    except MarkupError as exc:
        raise DomainError(exc.args[0], field=field) from None


def _apply_fields(
    community: Community,
    *,
    name: str,
    slug: str,
    domain: str,
    charter: str,
    guidelines: str,
    visibility: str,
    stage: str,
    domain_tags: str,
) -> None:
    name = (name or "").strip()
    slug = (slug or "").strip().lower()
    if not name:
        raise DomainError("A community needs a name.", field="name")
    if len(name) > 120:
        raise DomainError("Keep the name under 120 characters.", field="name")
    if not SLUG_RE.match(slug):
        raise DomainError("Use 1–60 lowercase letters, digits and hyphens for the address.", field="slug")
    clash = db.session.scalar(select(Community.id).where(Community.slug == slug, Community.id != community.id))
    if clash:
        raise DomainError("Another community already uses this address.", field="slug")
    if not (domain or "").strip():
        raise DomainError("State the community's domain: the shared concern that links its members.", field="domain")
    if len(domain) > 500:
        raise DomainError("Keep the domain statement under 500 characters.", field="domain")
    if visibility not in VISIBILITIES:
        raise DomainError("Choose a visibility.", field="visibility")
    if stage not in STAGES:
        raise DomainError("Choose a lifecycle stage.", field="stage")
    community.charter_html = _render("charter", charter)
    community.guidelines_html = _render("guidelines", guidelines)
    community.name, community.slug, community.domain = name, slug, domain.strip()
    community.charter_md, community.guidelines_md = charter or "", guidelines or ""
    community.visibility, community.stage = visibility, stage
    community.domain_tags = get_or_create_tags(parse_tags(domain_tags))


def _users_by_email(field: str, emails: str) -> list[User]:
    wanted = [e.strip().lower() for e in re.split(r"[,\s]+", emails or "") if e.strip()]
    found = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(wanted)))} if wanted else {}
    missing = [e for e in wanted if e not in found]
    if missing:
        raise DomainError("No account for: " + ", ".join(missing), field=field)
    return [found[e] for e in dict.fromkeys(wanted)]


def create_community(admin: User, *, sponsors: str = "", coordinators: str = "", **fields: str) -> Community:
    """Create a community with its sponsors and first coordinators (by e-mail).

    :raise NotAllowed: the actor is not an administrator.
    :raise DomainError: a field is invalid, an address is unknown, or no coordinator is named.
    """
    if not permissions.is_admin(admin):
        raise NotAllowed("Only administrators create communities.")
    community = Community()
    _apply_fields(community, **fields)
    sponsor_users = _users_by_email("sponsors", sponsors)
    coordinator_users = _users_by_email("coordinators", coordinators)
    if not coordinator_users:
        raise DomainError("Name at least one coordinator.", field="coordinators")
    community.sponsors = sponsor_users
    db.session.add(community)
    db.session.flush()
    for user in coordinator_users:
        db.session.add(
            Membership(
                community_id=community.id,
                user_id=user.id,
                status="active",
                role="coordinator",
                joined_at=utcnow(),
                decided_by_id=admin.id,
            )
        )
    audit.record(admin, "community.create", community, community, detail=community.slug)
    for user in sponsor_users:
        audit.record(admin, "community.appoint_sponsor", user, community)
    for user in coordinator_users:
        audit.record(admin, "community.appoint_coordinator", user, community)
    _commit_membership_change(community)
    return community


def update_community(actor: User, community: Community, **fields: str) -> None:
    """Edit a community's descriptive fields (coordinators and administrators).

    Only administrators may change the address, visibility or stage.
    :raise NotAllowed: the actor does not manage it. :raise DomainError: an invalid field.
    """
    if not permissions.can_manage(actor, community):
        raise NotAllowed("Only coordinators and administrators can edit a community.")
    if not permissions.is_admin(actor):
        fields.update(slug=community.slug, visibility=community.visibility, stage=community.stage)
    before = (community.visibility, community.stage)
    _apply_fields(community, **fields)
    detail = (
        ""
        if before == (community.visibility, community.stage)
        else f"visibility {before[0]}→{community.visibility}, stage {before[1]}→{community.stage}"
    )
    audit.record(actor, "community.update", community, community, detail=detail)
    db.session.commit()


def set_sponsors(admin: User, community: Community, sponsors: str) -> None:
    """Replace the community's sponsors (comma-separated e-mails).

    :raise NotAllowed: not an administrator. :raise DomainError: an unknown address.
    """
    if not permissions.is_admin(admin):
        raise NotAllowed("Only administrators appoint sponsors.")
    new = _users_by_email("sponsors", sponsors)
    managed = {
        row.user_id: row.directory_group
        for row in db.session.execute(
            select(community_sponsors.c.user_id, community_sponsors.c.directory_group).where(
                community_sponsors.c.community_id == community.id, community_sponsors.c.directory_group.is_not(None)
            )
        )
    }
    dropped = [u for u in community.sponsors if u.id in managed and u.id not in {n.id for n in new}]
    if dropped:
        raise DomainError(
            ", ".join(f"{u.email} (group {managed[u.id]})" for u in dropped)
            + " sponsor this community through the company directory: change the group or its "
            "mapping instead.",
            field="sponsors",
        )
    old_ids = {u.id for u in community.sponsors}
    for user in new:
        if user.id not in old_ids:
            audit.record(admin, "community.appoint_sponsor", user, community)
    for user in community.sponsors:
        if user.id not in {u.id for u in new}:
            audit.record(admin, "community.remove_sponsor", user, community)
    community.sponsors = new
    db.session.commit()


def appoint_coordinator(admin: User, community: Community, email: str) -> None:
    """Make a person a coordinator, adding them as an active member if needed.

    :raise NotAllowed: not an administrator. :raise DomainError: unknown address.
    """
    if not permissions.is_admin(admin):
        raise NotAllowed("Only administrators appoint coordinators this way.")
    users = _users_by_email("coordinator", email)
    if len(users) != 1:
        raise DomainError("Give the e-mail address of one new coordinator.", field="coordinator")
    user = users[0]
    membership = find_membership(community, user)
    _refuse_directory_managed(membership, "changed")
    membership = membership or Membership(community_id=community.id, user_id=user.id)
    db.session.add(membership)
    if membership.status != "active":
        membership.joined_at = utcnow()
    membership.status = "active"
    membership.role = "coordinator"
    membership.decided_by_id = admin.id
    audit.record(admin, "community.appoint_coordinator", user, community)
    _commit_membership_change(community)


def public_memberships(user: User, viewer: Viewer) -> list[Membership]:
    """``user``'s active memberships in communities whose content ``viewer`` may read."""
    visible = permissions.visible_communities(viewer).with_only_columns(Community.id)
    return list(
        db.session.scalars(
            select(Membership)
            .join(Community)
            .where(Membership.user_id == user.id, Membership.status == "active", Community.id.in_(visible))
            .order_by(Community.name)
        )
    )
