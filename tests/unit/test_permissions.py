"""Each visibility × each role, for every predicate and both query helpers."""
import pytest

from cop import permissions
from cop.extensions import db
from tests.builders import add_membership, make_community, make_user

ROLES = ["anonymous", "non_member", "invited", "pending", "member", "coordinator", "other_coordinator", "sponsor",
         "admin"]

# role -> (can_see_listing, can_view) per visibility
EXPECTED = {
    "open": {
        "anonymous": (False, False), "non_member": (True, True), "invited": (True, True), "pending": (True, True),
        "member": (True, True), "coordinator": (True, True), "other_coordinator": (True, True),
        "sponsor": (True, True), "admin": (True, True),
    },
    "restricted": {
        "anonymous": (False, False), "non_member": (True, False), "invited": (True, False),
        "pending": (True, False), "member": (True, True), "coordinator": (True, True),
        "other_coordinator": (True, False), "sponsor": (True, True), "admin": (True, True),
    },
    "private": {
        "anonymous": (False, False), "non_member": (False, False), "invited": (True, False),
        "pending": (False, False), "member": (True, True), "coordinator": (True, True),
        "other_coordinator": (False, False), "sponsor": (True, True), "admin": (True, True),
    },
}


class Anonymous:
    is_authenticated = False
    is_active = False
    id = None


@pytest.fixture
def world(app):
    """One community of each visibility with a user in every role, plus an unrelated community."""
    users = {role: make_user(email=f"{role}@example.com") for role in ROLES if role != "anonymous"}
    users["admin"].is_admin = True
    other = make_community("elsewhere", coordinators=[users["other_coordinator"]])
    communities = {}
    for visibility in ("open", "restricted", "private"):
        c = make_community(f"{visibility}-c", visibility=visibility, coordinators=[users["coordinator"]],
                           members=[users["member"]], sponsors=[users["sponsor"]])
        add_membership(c, users["invited"], "invited")
        add_membership(c, users["pending"], "pending")
        communities[visibility] = c
    db.session.commit()
    users["anonymous"] = Anonymous()
    return users, communities, other


@pytest.mark.parametrize("visibility", ["open", "restricted", "private"])
@pytest.mark.parametrize("role", ROLES)
def test_listing_and_content_visibility(world, visibility, role):
    users, communities, _ = world
    user, community = users[role], communities[visibility]
    see, view = EXPECTED[visibility][role]
    assert permissions.can_see_listing(user, community) is see
    assert permissions.can_view(user, community) is view


@pytest.mark.parametrize("visibility", ["open", "restricted", "private"])
@pytest.mark.parametrize("role", ROLES)
def test_query_helpers_agree_with_predicates(world, visibility, role):
    users, communities, _ = world
    user, community = users[role], communities[visibility]
    listed_ids = set(db.session.scalars(permissions.listed_communities(user).with_only_columns(
        permissions.Community.id)))
    visible_ids = set(db.session.scalars(permissions.visible_communities(user).with_only_columns(
        permissions.Community.id)))
    see, view = EXPECTED[visibility][role]
    assert (community.id in listed_ids) is see
    assert (community.id in visible_ids) is view
    # The per-request sets built in Python are the same sets as the SQL helpers, for every role.
    assert permissions.listed_community_ids(user) == listed_ids
    assert permissions.readable_community_ids(user) == visible_ids


def test_per_request_sets_follow_a_change_made_in_the_same_request(world):
    users, communities, other = world
    member, private = users["member"], communities["private"]
    assert private.id in permissions.readable_community_ids(member)
    assert other.id in permissions.readable_community_ids(member)
    other.visibility = "private"
    db.session.commit()
    assert other.id not in permissions.readable_community_ids(member)
    assert other.id not in permissions.listed_community_ids(member)


def test_a_commit_forgets_the_memberships_the_request_read(world):
    """The ``after_commit`` hook (``cop.permissions``): a request that read its memberships and then
    commits a change to them reads them again. No service and no test forgets them by hand."""
    from cop.communities import services as communities
    from cop.communities.models import community_sponsors

    users, communities_by_visibility, _ = world
    newcomer, open_c, private = users["non_member"], communities_by_visibility["open"], communities_by_visibility["private"]
    assert not permissions.is_member(newcomer, open_c)
    assert private.id not in permissions.readable_community_ids(newcomer)
    communities.join_community(newcomer, open_c, accepted_guidelines=True)
    assert permissions.is_member(newcomer, open_c)
    assert permissions.can_leave(newcomer, open_c)
    db.session.execute(community_sponsors.insert().values(community_id=private.id, user_id=newcomer.id))
    db.session.commit()
    assert private.id in permissions.readable_community_ids(newcomer)


@pytest.mark.parametrize("visibility", ["open", "restricted", "private"])
@pytest.mark.parametrize("role", ROLES)
def test_action_predicates(world, visibility, role):
    users, communities, _ = world
    user, community = users[role], communities[visibility]
    signed_in = role != "anonymous"
    assert permissions.can_manage(user, community) is (role in ("coordinator", "admin"))
    assert permissions.can_leave(user, community) is (role in ("member", "coordinator"))
    assert permissions.can_answer_invitation(user, community) is (role == "invited")
    joinable = visibility == "open" and signed_in and role not in ("member", "coordinator")
    assert permissions.can_join(user, community) is joinable
    requestable = visibility == "restricted" and signed_in and role not in ("member", "coordinator", "pending", "invited")
    assert permissions.can_request_to_join(user, community) is requestable


def test_removed_member_cannot_rejoin_on_their_own(world):
    users, communities, _ = world
    for visibility in ("open", "restricted"):
        removed = make_user()
        add_membership(communities[visibility], removed, "removed")
        assert not permissions.can_join(removed, communities[visibility])
        assert not permissions.can_request_to_join(removed, communities[visibility])
        assert permissions.can_see_listing(removed, communities[visibility])


def test_disabled_user_sees_nothing(world):
    users, communities, _ = world
    users["member"].is_disabled = True
    for community in communities.values():
        assert not permissions.can_see_listing(users["member"], community)
        assert not permissions.can_view(users["member"], community)


def test_workers_keep_the_visibility_map_while_its_version_holds(app, world):
    """The map of visibilities is read once per worker and version: a flush that opens, closes, adds or
    removes a community bumps the version in its own transaction, and every worker then reads it again."""
    from sqlalchemy import event as sa_event

    from cop.communities.models import VisibilityVersion

    users, communities, other = world
    non_member = users["non_member"]
    statements = []
    sa_event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert other.id in permissions.readable_community_ids(non_member)
    with app.app_context():  # the next request in this worker: a new ``g``, the worker's kept map
        statements.clear()
        assert other.id in permissions.readable_community_ids(non_member)
        assert not any("communities.visibility" in s for s in statements)  # the kept map, no re-read
    version = db.session.scalar(db.select(VisibilityVersion.value))

    other.visibility = "private"  # another request (or worker) makes it private
    other.name = "Elsewhere, now private"
    db.session.commit()
    assert db.session.scalar(db.select(VisibilityVersion.value)) == version + 1
    assert other.id not in permissions.readable_community_ids(non_member)
    assert other.id not in permissions.listed_community_ids(non_member)

    other.name = "Renamed only"  # a change that does not touch visibility keeps the version
    db.session.commit()
    assert db.session.scalar(db.select(VisibilityVersion.value)) == version + 1
    fresh = make_community("newcomer")  # a new community bumps it
    assert db.session.scalar(db.select(VisibilityVersion.value)) == version + 2
    assert fresh.id in permissions.readable_community_ids(non_member)
