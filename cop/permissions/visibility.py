"""Who may see a community and its content: the per-request sets, the predicates and the SQL helpers.

Every list of content (threads, resources, search hits, tag pages, feeds,
exports, reports) filters through ``visible_communities`` or its per-request
set ``readable_community_ids``; a single object is checked with ``can_view``
or ``can_see_listing``. The SQL helpers and the Python predicates answer
alike for every role (``tests/unit/test_permissions.py`` checks the pairs on
SQLite and PostgreSQL).

Who asks (``Viewer``):

* a signed-in, enabled user: their memberships, sponsorships and role decide;
* an anonymous reader (``None``, as a feed read without a token, or
  flask-login's anonymous user): the public set, the open communities;
* a disabled account: nothing at all.
"""

from typing import Any, NamedTuple, TypeAlias, TypeVar

from flask import abort, current_app, g, has_app_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import ColumnElement, Select, String, event, false, inspect, literal, or_, select, union_all

from cop.communities.models import Community, Membership, VisibilityVersion, bump_visibility_version, community_sponsors
from cop.extensions import db

# Who asks: a User, flask-login's anonymous user or current_user proxy, or None (no request).
Viewer: TypeAlias = Any


def _signed_in(user: Viewer) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_anonymous(user: Viewer) -> bool:
    """Nobody signed in: ``None`` (a feed or calendar read without a token) or flask-login's anonymous user.

    An anonymous reader sees the public set, the open communities. A disabled account is not anonymous (a
    ``User`` whose ``is_authenticated`` is false): it sees nothing at all.
    """
    return user is None or bool(getattr(user, "is_anonymous", False))


PUBLIC = ("open",)  # the visibilities an anonymous reader may read (and so know about)


class MembershipFacts(NamedTuple):
    """What the predicates (and a community's page) read of one membership: plain values, no ORM object."""

    community_id: int
    status: str
    role: str
    decision_message: str | None

    @property
    def is_coordinator(self) -> bool:
        return self.status == "active" and self.role == "coordinator"


def _per_request(name: str) -> dict[Any, Any]:
    return g.setdefault(name, {}) if has_app_context() else {}


def _relations(user: Viewer) -> tuple[dict[int, MembershipFacts], frozenset[int]]:
    """``user``'s memberships by community id and the ids of the communities they sponsor: one
    statement, once per request (again after a commit)."""
    cache: dict[int, tuple[dict[int, MembershipFacts], frozenset[int]]] = _per_request("_membership_cache")
    if user.id not in cache:
        no_text = literal(None, String)
        rows = db.session.execute(
            union_all(
                select(
                    literal(False).label("sponsors"),
                    Membership.community_id,
                    Membership.status,
                    Membership.role,
                    Membership.decision_message,
                ).where(Membership.user_id == user.id),
                select(literal(True), community_sponsors.c.community_id, no_text, no_text, no_text).where(
                    community_sponsors.c.user_id == user.id
                ),
            )
        )
        memberships, sponsored = {}, set()
        for is_sponsorship, community_id, *facts in rows:
            if is_sponsorship:
                sponsored.add(community_id)
            else:
                memberships[community_id] = MembershipFacts(community_id, *facts)
        cache[user.id] = (memberships, frozenset(sponsored))
    return cache[user.id]


def _memberships(user: Viewer) -> dict[int, MembershipFacts]:
    return _relations(user)[0]


def _sponsored(user: Viewer) -> frozenset[int]:
    """Ids of the communities ``user`` sponsors."""
    return _relations(user)[1]


def forget_memberships() -> None:
    """Drop the per-request membership caches after a service changed memberships (or visibility)."""
    if has_app_context():
        for name in ("_membership_cache", "_visibility_cache"):
            g.pop(name, None)


@event.listens_for(FlaskSession, "after_flush")
def _count_visibility_changes(session: FlaskSession, _flush_context: Any) -> None:
    """A flush that adds, deletes or re-scopes a community bumps the visibility version in its transaction."""
    if any(isinstance(obj, Community) for obj in (*session.new, *session.deleted)) or any(
        isinstance(obj, Community) and inspect(obj).attrs.visibility.history.has_changes() for obj in session.dirty
    ):
        bump_visibility_version(session.connection())


@event.listens_for(FlaskSession, "after_commit")
def _forget_after_commit(_session: FlaskSession) -> None:
    """A commit may have changed memberships, sponsors or visibility: the request reads them again."""
    forget_memberships()


def _visibility_sets() -> dict[str, frozenset[int]]:
    """Community ids by visibility (and ``"all"``), for this request.

    Workers keep the sets they read with the ``VisibilityVersion`` they read first, and use them while
    the row still holds that version: one one-row query per request instead of every community. (On
    PostgreSQL the sets may be newer than the version they are kept with, never older.)
    """
    cache: dict[str, dict[str, frozenset[int]]] = _per_request("_visibility_cache")
    if "sets" in cache:
        return cache["sets"]
    version = db.session.scalar(select(VisibilityVersion.value).where(VisibilityVersion.id == 1))
    kept = current_app.extensions.get("cop_visibility") if version is not None else None
    sets: dict[str, frozenset[int]]
    if kept is not None and kept[0] == version:
        sets = kept[1]
    else:
        by_visibility: dict[str, set[int]] = {}
        for community_id, visibility in db.session.execute(select(Community.id, Community.visibility)):
            by_visibility.setdefault(visibility, set()).add(community_id)
        sets = {name: frozenset(ids) for name, ids in by_visibility.items()}
        sets["all"] = frozenset().union(*sets.values())
        if version is not None:
            current_app.extensions["cop_visibility"] = (version, sets)
    cache["sets"] = sets
    return sets


def _community_ids(user: Viewer, visibilities: tuple[str, ...], statuses: tuple[str, ...]) -> frozenset[int]:
    empty: frozenset[int] = frozenset()
    if is_anonymous(user):
        return empty.union(*(_visibility_sets().get(v, empty) for v in PUBLIC))
    if not _signed_in(user):
        return empty
    sets = _visibility_sets()
    if user.is_admin:
        return sets["all"]
    return empty.union(
        *(sets.get(v, empty) for v in visibilities),
        _sponsored(user),
        (cid for cid, m in _memberships(user).items() if m.status in statuses),
    )


def readable_community_ids(user: Viewer) -> frozenset[int]:
    """The ids of the communities whose content ``user`` may read: ``visible_communities`` as a set,
    built in Python from this request's memberships, sponsorships and visibilities (the open ones for an
    anonymous reader)."""
    return _community_ids(user, ("open",), ("active",))


def known_community_ids() -> frozenset[int]:
    """The ids of every community there is, as this request read them (with the visibility sets): what a
    filter of the communities a user may *not* read is taken from (``cop.search.tantivy_engine``)."""
    return _visibility_sets()["all"]


def listed_community_ids(user: Viewer) -> frozenset[int]:
    """The ids of the communities ``user`` may know about: ``listed_communities`` as a set."""
    return _community_ids(user, ("open", "restricted"), ("active", "invited"))


def community_of(thing: Any) -> Community:
    """The community a thread, a resource or a meeting belongs to (``thing.community``), typed for the predicates."""
    community: Community = thing.community
    return community


def membership_of(user: Viewer, community: Community) -> MembershipFacts | None:
    if not _signed_in(user):
        return None
    return _memberships(user).get(community.id)


def _status(user: Viewer, community: Community) -> str | None:
    membership = membership_of(user, community)
    return membership.status if membership else None


def is_admin(user: Viewer) -> bool:
    return _signed_in(user) and bool(user.is_admin)


def is_member(user: Viewer, community: Community) -> bool:
    return _status(user, community) == "active"


def is_coordinator(user: Viewer, community: Community) -> bool:
    membership = membership_of(user, community)
    return bool(membership and membership.is_coordinator)


def is_sponsor(user: Viewer, community: Community) -> bool:
    """Read from this request's sponsorships (the statement that reads the memberships), not ``community.sponsors``."""
    return _signed_in(user) and community.id in _sponsored(user)


def can_see_listing(user: Viewer, community: Community) -> bool:
    """May the user know this community exists (name, domain, guidelines)?"""
    if is_anonymous(user):
        return community.visibility in PUBLIC
    if not _signed_in(user):
        return False
    if user.is_admin or community.visibility in ("open", "restricted"):
        return True
    return _status(user, community) in ("active", "invited") or is_sponsor(user, community)


def can_view(user: Viewer, community: Community) -> bool:
    """May the user read the community's content (threads, library, members)?"""
    if is_anonymous(user):
        return community.visibility in PUBLIC
    if not _signed_in(user):
        return False
    if user.is_admin or community.visibility == "open":
        return True
    return is_member(user, community) or is_sponsor(user, community)


def _communities_where_user(user: Viewer, statuses: tuple[str, ...]) -> ColumnElement[bool]:
    """Ids of communities where ``user`` has a membership in ``statuses`` or is a sponsor."""
    return or_(
        Community.id.in_(
            select(Membership.community_id).where(Membership.user_id == user.id, Membership.status.in_(statuses))
        ),
        Community.id.in_(select(community_sponsors.c.community_id).where(community_sponsors.c.user_id == user.id)),
    )


def listed_communities(user: Viewer) -> Select[tuple[Community]]:
    """A select of the communities the user may see in the directory (the open ones for an anonymous reader)."""
    return _communities_for(user, ("open", "restricted"), ("active", "invited"))


def visible_communities(user: Viewer) -> Select[tuple[Community]]:
    """A select of the communities whose content the user may read.

    Every list of content (threads, resources, search hits, tag pages,
    feeds, exports) filters through this. An anonymous reader reads the open ones.
    """
    return _communities_for(user, ("open",), ("active",))


def _communities_for(
    user: Viewer, visibilities: tuple[str, ...], statuses: tuple[str, ...]
) -> Select[tuple[Community]]:
    """The communities of these ``visibilities``, and those where a signed-in user has a membership in
    ``statuses`` or sponsors; all of them for an admin, the open ones for an anonymous reader, none otherwise."""
    query = select(Community)
    if is_anonymous(user):
        return query.where(Community.visibility.in_(PUBLIC))
    if not _signed_in(user):
        return query.where(false())
    if user.is_admin:
        return query
    return query.where(or_(Community.visibility.in_(visibilities), _communities_where_user(user, statuses)))


def readers_of(community: Community) -> Select[tuple[int]]:
    """A select of the ids of enabled users who may read ``community``'s content (as ``can_view``).

    In SQL, so a service can address many people at once (notifications) and
    see the membership changes it has made but not yet committed.
    """
    from cop.accounts.models import User

    stmt = select(User.id).where(User.is_disabled.is_(False))
    if community.visibility == "open":
        return stmt
    return stmt.where(or_(User.is_admin.is_(True), *_user_in(community, ("active",))))


def knowers_of(community: Community) -> Select[tuple[int]]:
    """A select of the ids of enabled users who may know ``community`` exists (as ``can_see_listing``)."""
    from cop.accounts.models import User

    stmt = select(User.id).where(User.is_disabled.is_(False))
    if community.visibility in ("open", "restricted"):
        return stmt
    return stmt.where(or_(User.is_admin.is_(True), *_user_in(community, ("active", "invited"))))


def _user_in(community: Community, statuses: tuple[str, ...]) -> tuple[ColumnElement[bool], ...]:
    from cop.accounts.models import User

    return (
        User.id.in_(
            select(Membership.user_id).where(Membership.community_id == community.id, Membership.status.in_(statuses))
        ),
        User.id.in_(select(community_sponsors.c.user_id).where(community_sponsors.c.community_id == community.id)),
    )


def get_listed_community_or_404(slug: str, user: Viewer) -> Community:
    """Load a community the user may know about.

    :raise 404: if no community has this slug, or the user may not know it
        exists (a private one they are not part of) — the two are
        indistinguishable on purpose.
    """
    community = db.session.scalar(select(Community).where(Community.slug == slug))
    if community is None or not can_see_listing(user, community):
        abort(404)
    return community


def require(allowed: bool) -> None:
    """:raise 403: when a user who may know the object is not allowed this action."""
    if not allowed:
        abort(403)


_InCommunity = TypeVar("_InCommunity")


def readable_or_404(user: Viewer, found: _InCommunity | None) -> _InCommunity:
    """``found`` (a thread, a resource, a meeting: anything with a ``community``) when the user may read there.

    :raise 404: missing (``None``), or in a community the user may not read: the same answer for both.
    """
    if found is None or not can_view(user, community_of(found)):
        abort(404)
    return found


def get_readable_community_or_404(slug: str, user: Viewer) -> Community:
    """Load a community whose content the user may read.

    :raise 404: missing, unknown to the user, or (for a restricted one the
        user knows of) not readable — content pages never say more than that.
    """
    community = get_listed_community_or_404(slug, user)
    if not can_view(user, community):
        abort(404)
    return community
