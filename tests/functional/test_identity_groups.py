"""Directory groups mapped to community roles: applied at every sign-in (added and removed), marked,
not changeable by hand, audited; and access follows them (real slapd and the test OpenID Provider)."""

import pytest
from sqlalchemy import select

from cop.admin.models import AuditEntry
from cop.communities.models import Community, Membership, community_sponsors
from cop.extensions import db
from cop.identity.models import GroupMapping
from tests.builders import PASSWORD, add_membership, make_community, make_user
from tests.identity_servers.helpers import oidc_config, sign_in_oidc, signed_in_as
from tests.identity_servers.oidc_provider import RunningProvider
from tests.identity_servers.slapd import ldap_config

GROUP_MAP = """\
[[group]]
name = "cop-python-guild"
community = "python-guild"
role = "member"

[[group]]
name = "COP-Sec-Champions-Leads"   # case does not matter
community = "security-champions"
role = "coordinator"

[[group]]
name = "cop-sponsors-finance"
community = "finance-circle"
role = "sponsor"

[[group]]
name = "cop-python-guild"
community = "no-such-community"
role = "member"
"""


@pytest.fixture(scope="module")
def provider():
    with RunningProvider() as running:
        yield running


@pytest.fixture(scope="module")
def group_map(tmp_path_factory):
    path = tmp_path_factory.mktemp("groups") / "groups.toml"
    path.write_text(GROUP_MAP)
    return str(path)


@pytest.fixture(autouse=True)
def _fresh_provider(provider):
    provider.reset()


@pytest.fixture
def app_config(slapd, provider, group_map):
    return {
        **oidc_config(provider),
        **ldap_config(slapd),
        "AUTH_MODES": ("oidc", "ldap", "local"),
        "GROUP_MAP_FILE": group_map,
    }


@pytest.fixture
def world(app):
    lead = make_user("lena.lead@example.com", "Lena Lead")
    python = make_community("python-guild", name="Python Guild", coordinators=[lead])
    security = make_community(
        "security-champions", name="Security Champions", visibility="restricted", coordinators=[lead]
    )
    finance = make_community("finance-circle", name="Finance Circle", visibility="private", coordinators=[lead])
    return {"lead": lead, "python": python, "security": security, "finance": finance}


def ldap_sign_in(client, username, password):
    answer = client.post("/login/ldap", data={"username": username, "password": password})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    return answer


def _memberships(email) -> dict[str, tuple[str, str, str | None]]:
    db.session.expire_all()
    rows = db.session.scalars(select(Membership).join(Membership.user).where(Membership.user.has(email=email)))
    return {m.community.slug: (m.status, m.role, m.directory_group) for m in rows}


def _actions(prefix: str) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like(prefix + "%")).order_by(AuditEntry.id)
        )
    )


def test_groups_grant_marked_memberships_roles_and_sponsorships_at_sign_in(app, client, world):
    ldap_sign_in(client, "bob", "bob-pass")
    assert _memberships("bob@example.com") == {
        "python-guild": ("active", "member", "cop-python-guild"),
        "security-champions": ("active", "coordinator", "cop-sec-champions-leads"),
    }
    db.session.expire_all()
    assert db.session.get(Community, world["python"].id).member_count == 2
    assert _actions("membership.directory") == ["membership.directory_add"] * 2
    ldap_sign_in(app.test_client(), "carol", "carol-pass")
    sponsor_rows = db.session.execute(select(community_sponsors)).all()
    assert [(r.community_id, r.directory_group) for r in sponsor_rows] == [
        (world["finance"].id, "cop-sponsors-finance")
    ]
    assert _actions("community.directory") == ["community.directory_add_sponsor"]


def test_leaving_a_group_ends_the_membership_at_the_next_sign_in(app, client, slapd, world):
    ldap_sign_in(client, "bob", "bob-pass")
    client.post("/logout", data={})
    slapd.set_group_members("cop-python-guild", ["alice"])
    slapd.set_group_members("cop-sec-champions-leads", [])
    ldap_sign_in(client, "bob", "bob-pass")
    assert _memberships("bob@example.com") == {
        "python-guild": ("left", "member", None),
        "security-champions": ("left", "member", None),
    }
    assert db.session.get(Community, world["python"].id).member_count == 1
    assert _actions("membership.directory_remove") == ["membership.directory_remove"] * 2
    # Signing in again with nothing changed changes nothing and audits nothing.
    client.post("/logout", data={})
    ldap_sign_in(client, "bob", "bob-pass")
    assert len(_actions("membership.directory")) == 4


def test_a_hand_membership_with_that_role_is_left_alone(app, client, slapd, world):
    bob = make_user("bob@example.com", "Bob")
    add_membership(world["python"], bob, "active", "coordinator")
    ldap_sign_in(client, "bob", "bob-pass")
    assert _memberships("bob@example.com")["python-guild"] == ("active", "coordinator", None)
    slapd.set_group_members("cop-python-guild", [])
    client.post("/logout", data={})
    ldap_sign_in(client, "bob", "bob-pass")
    assert _memberships("bob@example.com")["python-guild"] == ("active", "coordinator", None)


def test_coordinators_cannot_remove_or_change_a_directory_member_and_the_page_says_why(app, client, world):
    ldap_sign_in(app.test_client(), "alice", "alice-pass")
    alice = db.session.scalar(select(Membership).where(Membership.directory_group.is_not(None))).user
    client.post("/login", data={"email": "lena.lead@example.com", "password": PASSWORD})
    page = client.get("/c/python-guild/members").get_data(as_text=True)
    assert "Managed by the company directory (group cop-python-guild)" in page
    assert f"/c/python-guild/members/{alice.id}/remove" not in page
    for action in ("remove", "coordinator"):
        answer = client.post(
            f"/c/python-guild/members/{alice.id}/{action}", data={"reason": "x"}, follow_redirects=True
        )
        assert "comes from the company directory (group cop-python-guild)" in answer.get_data(as_text=True)
    assert _memberships("alice@example.com")["python-guild"] == ("active", "member", "cop-python-guild")
    assert not _actions("membership.remove") and not _actions("membership.make_coordinator")


def test_a_directory_member_cannot_leave_by_hand(app, client, world):
    ldap_sign_in(client, "alice", "alice-pass")
    answer = client.post("/c/python-guild/leave", data={"successor": "0"}, follow_redirects=True)
    assert "comes from the company directory" in answer.get_data(as_text=True)
    assert _memberships("alice@example.com")["python-guild"][0] == "active"


def test_an_administrator_cannot_drop_a_directory_sponsor(app, client, world):
    ldap_sign_in(app.test_client(), "carol", "carol-pass")
    make_user("root@example.com", admin=True)
    client.post("/login", data={"email": "root@example.com", "password": PASSWORD})
    answer = client.post("/admin/communities/finance-circle/sponsors", data={"sponsors": ""})
    assert answer.status_code == 400
    assert "carol@example.com (group cop-sponsors-finance)" in answer.get_data(as_text=True)
    assert db.session.execute(select(community_sponsors)).all() != []


def test_access_follows_the_directory(app, client, slapd, world):
    """A private community mapped to a group: readable while in the group, hidden (404) after."""
    admin = make_user("root@example.com", admin=True)
    admin_client = app.test_client()
    admin_client.post("/login", data={"email": admin.email, "password": PASSWORD})
    answer = admin_client.post(
        "/admin/identity/groups",
        data={"group_name": "cop-python-guild", "community": str(world["finance"].id), "role": "member"},
    )
    assert answer.status_code == 302
    ldap_sign_in(client, "alice", "alice-pass")
    assert client.get("/c/finance-circle").status_code == 200
    assert "Finance Circle" in client.get("/people/alice").get_data(as_text=True)
    client.post("/logout", data={})
    slapd.set_group_members("cop-python-guild", [])
    ldap_sign_in(client, "alice", "alice-pass")
    assert client.get("/c/finance-circle").status_code == 404
    assert "Finance Circle" not in client.get("/search?q=finance").get_data(as_text=True)


def test_the_admin_page_lists_adds_and_removes_mappings(app, client, world):
    make_user("root@example.com", admin=True)
    client.post("/login", data={"email": "root@example.com", "password": PASSWORD})
    page = client.get("/admin/identity/groups").get_data(as_text=True)
    assert page.count("Configuration file") == 4 and "No community at “no-such-community”" in page
    bad = client.post("/admin/identity/groups", data={"group_name": "", "community": "0", "role": "member"})
    assert bad.status_code == 400
    answer = client.post(
        "/admin/identity/groups",
        data={"group_name": "cop-empty", "community": str(world["python"].id), "role": "coordinator"},
    )
    assert answer.status_code == 302
    mapping = db.session.scalar(select(GroupMapping))
    assert (mapping.group_name, mapping.role) == ("cop-empty", "coordinator")
    duplicate = client.post(
        "/admin/identity/groups",
        data={"group_name": "cop-empty", "community": str(world["python"].id), "role": "coordinator"},
    )
    assert duplicate.status_code == 400 and "already has that role" in duplicate.get_data(as_text=True)
    assert client.post(f"/admin/identity/groups/{mapping.id}/delete", data={}).status_code == 302
    assert db.session.scalar(select(GroupMapping)) is None
    assert _actions("identity.") == ["identity.map_group", "identity.unmap_group"]


def test_oidc_groups_claim_grants_and_its_absence_removes(app, client, provider, world):
    provider.add_user(
        "olga",
        "provider-pass",
        email="olga@example.com",
        email_verified=True,
        name="Olga",
        groups=["cop-python-guild", "unmapped-group"],
    )
    sign_in_oidc(client, provider, "olga")
    assert _memberships("olga@example.com") == {"python-guild": ("active", "member", "cop-python-guild")}
    client.post("/logout", data={})
    del provider.users["olga"].claims["groups"]
    sign_in_oidc(client, provider, "olga")
    assert _memberships("olga@example.com") == {"python-guild": ("left", "member", None)}
    assert signed_in_as(client) == "olga@example.com"


def test_a_leaver_loses_directory_memberships(app, client, slapd, world):
    ldap_sign_in(app.test_client(), "bob", "bob-pass")
    slapd.set_attribute("bob", "employeeType", ["left"])
    assert client.post("/login/ldap", data={"username": "bob", "password": "bob-pass"}).status_code == 400
    assert {status for status, _role, _group in _memberships("bob@example.com").values()} == {"left"}
