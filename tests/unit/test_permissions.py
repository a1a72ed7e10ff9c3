"""Each visibility × each role, for every predicate, and every SQL helper against its Python twin."""

import pytest

from cop import permissions
from cop.communities.models import Community
from cop.extensions import db
from tests.builders import add_membership, make_community, make_user

ROLES = [
    "anonymous",
    "non_member",
    "invited",
    "pending",
    "member",
    "coordinator",
    "other_coordinator",
    "sponsor",
    "admin",
]

# role -> (can_see_listing, can_view) per visibility
EXPECTED = {
    "open": {
        "anonymous": (True, True),
        "non_member": (True, True),
        "invited": (True, True),
        "pending": (True, True),
        "member": (True, True),
        "coordinator": (True, True),
        "other_coordinator": (True, True),
        "sponsor": (True, True),
        "admin": (True, True),
    },
    "restricted": {
        "anonymous": (False, False),
        "non_member": (True, False),
        "invited": (True, False),
        "pending": (True, False),
        "member": (True, True),
        "coordinator": (True, True),
        "other_coordinator": (True, False),
        "sponsor": (True, True),
        "admin": (True, True),
    },
    "private": {
        "anonymous": (False, False),
        "non_member": (False, False),
        "invited": (True, False),
        "pending": (False, False),
        "member": (True, True),
        "coordinator": (True, True),
        "other_coordinator": (False, False),
        "sponsor": (True, True),
        "admin": (True, True),
    },
}


class Anonymous:
    """As flask-login's anonymous user."""

    is_anonymous = True
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
        c = make_community(
            f"{visibility}-c",
            visibility=visibility,
            coordinators=[users["coordinator"]],
            members=[users["member"]],
            sponsors=[users["sponsor"]],
        )
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


def _ids(stmt) -> set[int]:
    return set(db.session.scalars(stmt))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_sql_helpers_agree_with_python_predicates(world, backend):
    """The parity of every helper, on both databases: for each role (anonymous, disabled and removed included)
    and each community, the SQL selects (``listed_communities``, ``visible_communities``, ``knowers_of``,
    ``readers_of``), the per-request sets (``listed_community_ids``, ``readable_community_ids``) and the
    predicates (``can_see_listing``, ``can_view``, ``is_sponsor``) give the same answer as ``EXPECTED``."""
    users, communities, other = world
    removed, disabled = make_user(email="removed@example.com"), make_user(email="disabled@example.com")
    for community in communities.values():
        add_membership(community, removed, "removed")
        add_membership(community, disabled, "active")
    disabled.is_disabled = True
    db.session.commit()
    everyone = {**users, "removed": removed, "disabled": disabled}
    every_community = [*communities.values(), other]
    knowers = {c.id: _ids(permissions.knowers_of(c)) for c in every_community}
    readers = {c.id: _ids(permissions.readers_of(c)) for c in every_community}
    sponsors = {c.id: {u.id for u in c.sponsors} for c in every_community}
    for role, user in everyone.items():
        listed = _ids(permissions.listed_communities(user).with_only_columns(Community.id))
        visible = _ids(permissions.visible_communities(user).with_only_columns(Community.id))
        assert permissions.listed_community_ids(user) == listed, role
        assert permissions.readable_community_ids(user) == visible, role
        for community in every_community:
            see, view = permissions.can_see_listing(user, community), permissions.can_view(user, community)
            if community.id in {c.id for c in communities.values()}:
                expected = (
                    (False, False)
                    if role == "disabled"
                    else (community.visibility != "private", community.visibility == "open")
                    if role == "removed"
                    else EXPECTED[community.visibility][role]
                )
                assert (see, view) == expected, (role, community.visibility)
            assert (community.id in listed) is see, (role, community.slug)
            assert (community.id in visible) is view, (role, community.slug)
            if role != "anonymous":  # not a user: no row for the SQL to find
                assert (user.id in knowers[community.id]) is see, (role, community.slug)
                assert (user.id in readers[community.id]) is view, (role, community.slug)
            assert permissions.is_sponsor(user, community) is (
                role != "anonymous" and role != "disabled" and user.id in sponsors[community.id]
            ), role


def test_sponsorship_is_read_with_the_memberships_not_per_community(world):
    """``is_sponsor`` answers from the request's one memberships-and-sponsorships statement: asking about
    many communities loads no ``community.sponsors`` and runs no further statement."""
    from sqlalchemy import event as sa_event

    users, communities, other = world
    statements = []
    db.session.expire_all()
    every_community = list(db.session.scalars(db.select(Community)))
    sponsor = db.session.get(type(users["sponsor"]), users["sponsor"].id)
    sa_event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    answers = [permissions.is_sponsor(sponsor, c) for c in every_community]
    assert answers.count(True) == 3
    assert len(statements) == 1 and "community_sponsors" in statements[0]


def test_anonymous_readers_get_the_public_set(world):
    """An anonymous reader (``None``, as a feed without a token, or flask-login's anonymous user) reads and
    knows the open communities, and may do nothing in them."""
    users, communities, other = world
    open_ids = {communities["open"].id, other.id}
    for anonymous in (None, users["anonymous"]):
        assert permissions.readable_community_ids(anonymous) == open_ids
        assert permissions.listed_community_ids(anonymous) == open_ids
        assert _ids(permissions.visible_communities(anonymous).with_only_columns(Community.id)) == open_ids
        assert permissions.can_view(anonymous, communities["open"])
        assert not permissions.can_view(anonymous, communities["restricted"])
        assert not permissions.can_see_listing(anonymous, communities["restricted"])
        assert not permissions.can_join(anonymous, communities["open"])
        assert not permissions.can_post(anonymous, communities["open"])


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
    newcomer, open_c, private = (
        users["non_member"],
        communities_by_visibility["open"],
        communities_by_visibility["private"],
    )
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
    requestable = (
        visibility == "restricted" and signed_in and role not in ("member", "coordinator", "pending", "invited")
    )
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
