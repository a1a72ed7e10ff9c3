"""Administration through the views and the ``flask cop`` commands."""

import re

import pytest
from sqlalchemy import func, select

from cop.accounts.models import User
from cop.admin.models import AuditEntry
from cop.communities.models import Community, Membership
from cop.extensions import db, limiter
from cop.tags.models import Tag
from tests.builders import add_membership, make_community, make_user
from tests.conftest import CSRFClient, fresh_app_context, login


def text(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def community_by_slug(slug) -> Community | None:
    db.session.expire_all()
    return db.session.scalar(select(Community).where(Community.slug == slug))


def actions(**where) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).filter_by(**where).order_by(AuditEntry.id)))


@pytest.fixture
def admin(app):
    return make_user("ada@example.com", name="Ada Admin", admin=True)


# --- access ------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/", "/admin/communities/new", "/admin/communities/forge", "/admin/users", "/admin/audit"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_forbidden_to_non_admins(client, login_as, path):
    coordinator = make_user()
    make_community("forge", coordinators=[coordinator])
    login_as(coordinator)  # even a coordinator of the community is not an administrator
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_admins(client, login_as, admin, path):
    make_community("forge", coordinators=[make_user()])
    login_as(admin)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_send_anonymous_visitors_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_admin_actions_are_forbidden_to_non_admins(client, login_as):
    user, victim = make_user(), make_user()
    community = make_community("forge", coordinators=[user])
    login_as(user)
    assert client.post(f"/admin/users/{victim.id}/disable").status_code == 403
    assert client.post("/admin/communities/forge/sponsors", data={"sponsors": user.email}).status_code == 403
    assert client.post("/admin/communities/forge/coordinators", data={"coordinator": victim.email}).status_code == 403
    assert client.post("/admin/communities/new", data=_new_community(coordinators=user.email)).status_code == 403
    db.session.expire_all()
    assert victim.is_disabled is False
    assert community.sponsors == []
    assert community_by_slug("tide-watchers") is None
    assert actions() == []


# --- creating a community --------------------------------------------------------------


def _new_community(**overrides):
    data = {
        "name": "Tide Watchers",
        "slug": "tide-watchers",
        "domain": "Reading the sea to plan work on the coast.",
        "domain_tags": "Ocean Science, TIDES,  tides , c++ ",
        "charter": "## Purpose\n\nWe **watch** tides.",
        "guidelines": "- Share your charts",
        "visibility": "restricted",
        "stage": "coalescing",
        "sponsors": "",
        "coordinators": "",
    }
    return {**data, **overrides}


@pytest.fixture
def staff(app):
    return dict(
        sponsor=make_user("sam.sponsor@example.com", name="Sam Sponsor"),
        sponsor2=make_user("sue.sponsor@example.com", name="Sue Sponsor"),
        coordinator=make_user("cora.coord@example.com", name="Cora Coord"),
        coordinator2=make_user("carl.coord@example.com", name="Carl Coord"),
    )


def test_admin_creates_a_community_with_everything_chosen(client, login_as, admin, staff):
    login_as(admin)
    assert client.get("/admin/communities/new").status_code == 200
    response = client.post(
        "/admin/communities/new",
        data=_new_community(
            sponsors="sam.sponsor@example.com, SUE.sponsor@example.com",
            coordinators="cora.coord@example.com carl.coord@example.com",
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/c/tide-watchers")

    community = community_by_slug("tide-watchers")
    assert community.name == "Tide Watchers"
    assert community.domain == "Reading the sea to plan work on the coast."
    assert (community.visibility, community.stage) == ("restricted", "coalescing")
    assert "<strong>watch</strong>" in community.charter_html
    assert "<li>Share your charts</li>" in community.guidelines_html
    assert [t.name for t in community.domain_tags] == ["c++", "ocean-science", "tides"]
    assert {u.email for u in community.sponsors} == {"sam.sponsor@example.com", "sue.sponsor@example.com"}
    memberships = db.session.scalars(select(Membership).where(Membership.community_id == community.id)).all()
    assert {(m.user_id, m.status, m.role) for m in memberships} == {
        (staff["coordinator"].id, "active", "coordinator"),
        (staff["coordinator2"].id, "active", "coordinator"),
    }
    assert community.member_count == 2
    assert actions(community_id=community.id) == [
        "community.create",
        "community.appoint_sponsor",
        "community.appoint_sponsor",
        "community.appoint_coordinator",
        "community.appoint_coordinator",
    ]

    page = text(client.get("/c/tide-watchers"))
    assert "Sam Sponsor" in page and "Sue Sponsor" in page
    assert "Carl Coord" in page and "Cora Coord" in page


def test_a_left_empty_address_is_suggested_from_the_name(client, login_as, admin, staff):
    login_as(admin)
    page = text(client.get("/admin/communities/new"))
    assert 'data-slug-source="slug"' in page and "js/slug.js" in page
    first = client.post(
        "/admin/communities/new",
        data=_new_community(name="Café & Data Ops!", slug="", coordinators="carl.coord@example.com"),
    )
    assert first.status_code == 302, re.findall(r"class=\"error\"[^<]*>([^<]*)", text(first))
    assert first.headers["Location"].endswith("/c/cafe-data-ops")
    second = client.post(
        "/admin/communities/new",
        data=_new_community(name="Cafe data OPS", slug=" ", coordinators="carl.coord@example.com"),
    )
    assert second.headers["Location"].endswith("/c/cafe-data-ops-2")
    nothing = client.post(
        "/admin/communities/new", data=_new_community(name="!!!", slug="", coordinators="carl.coord@example.com")
    )
    assert nothing.status_code == 400 and "Choose an address." in text(nothing)


def test_the_new_community_appears_on_the_admin_index(client, login_as, admin, staff):
    login_as(admin)
    client.post(
        "/admin/communities/new",
        data=_new_community(sponsors="sam.sponsor@example.com", coordinators="cora.coord@example.com"),
    )
    page = text(client.get("/admin/"))
    assert "Tide Watchers" in page
    assert "/admin/communities/tide-watchers" in page
    assert "Sam Sponsor" in page


def test_a_slug_clash_is_an_error_next_to_the_slug_keeping_what_was_typed(client, login_as, admin, staff):
    make_community("tide-watchers", name="The Original", coordinators=[staff["coordinator"]])
    login_as(admin)
    response = client.post(
        "/admin/communities/new",
        data=_new_community(
            name="Second Tide Watchers", coordinators="cora.coord@example.com", sponsors="sam.sponsor@example.com"
        ),
    )
    assert response.status_code == 400
    page = text(response)
    assert '<p class="error" id="slug-error">Another community already uses this address.</p>' in page
    assert 'value="Second Tide Watchers"' in page
    assert "Reading the sea to plan work on the coast." in page
    assert 'value="sam.sponsor@example.com"' in page
    assert 'value="cora.coord@example.com"' in page
    assert count(Community) == 1
    assert community_by_slug("tide-watchers").name == "The Original"
    assert actions(action="community.create") == []


def test_an_unknown_coordinator_address_is_refused(client, login_as, admin, staff):
    login_as(admin)
    response = client.post(
        "/admin/communities/new", data=_new_community(coordinators="cora.coord@example.com, ghost@example.com")
    )
    assert response.status_code == 400
    page = text(response)
    assert '<p class="error" id="coordinators-error">No account for: ghost@example.com</p>' in page
    assert community_by_slug("tide-watchers") is None
    assert count(Membership) == 0
    assert count(Tag) == 0  # the tags of the failed attempt were rolled back too
    assert actions() == []


def test_an_unknown_sponsor_address_is_refused(client, login_as, admin, staff):
    login_as(admin)
    response = client.post(
        "/admin/communities/new",
        data=_new_community(sponsors="nobody@example.com", coordinators="cora.coord@example.com"),
    )
    assert response.status_code == 400
    assert "No account for: nobody@example.com" in text(response)
    assert community_by_slug("tide-watchers") is None


@pytest.mark.parametrize("coordinators", ["", " , "])
def test_a_community_needs_a_coordinator(client, login_as, admin, staff, coordinators):
    login_as(admin)
    response = client.post("/admin/communities/new", data=_new_community(coordinators=coordinators))
    assert response.status_code == 400
    assert "Name at least one coordinator." in text(response)
    assert community_by_slug("tide-watchers") is None
    assert count(Community) == 0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "", "A community needs a name."),
        ("slug", "Not A Slug!", "Use 1–60 lowercase letters, digits and hyphens for the address."),
        ("domain", "", "State the domain."),
    ],
)
def test_invalid_community_fields_are_refused(client, login_as, admin, staff, field, value, message):
    login_as(admin)
    response = client.post(
        "/admin/communities/new", data=_new_community(coordinators="cora.coord@example.com", **{field: value})
    )
    assert response.status_code == 400
    assert message in text(response)
    assert count(Community) == 0


# --- sponsors and coordinators of an existing community ----------------------------


def test_admin_sets_sponsors(client, login_as, admin, staff):
    community = make_community("forge", coordinators=[staff["coordinator"]], sponsors=[staff["sponsor"]])
    login_as(admin)
    page = text(client.get("/admin/communities/forge"))
    assert 'value="sam.sponsor@example.com"' in page
    response = client.post("/admin/communities/forge/sponsors", data={"sponsors": "sue.sponsor@example.com"})
    assert response.status_code == 302
    db.session.expire_all()
    assert [u.email for u in community.sponsors] == ["sue.sponsor@example.com"]
    assert actions(community_id=community.id) == ["community.appoint_sponsor", "community.remove_sponsor"]
    assert "Sue Sponsor" in text(client.get("/c/forge"))


def test_setting_an_unknown_sponsor_is_refused(client, login_as, admin, staff):
    community = make_community("forge", coordinators=[staff["coordinator"]], sponsors=[staff["sponsor"]])
    login_as(admin)
    response = client.post("/admin/communities/forge/sponsors", data={"sponsors": "who@example.com"})
    assert response.status_code == 400
    assert "No account for: who@example.com" in text(response)
    db.session.expire_all()
    assert [u.email for u in community.sponsors] == ["sam.sponsor@example.com"]


def test_admin_appoints_a_coordinator(client, login_as, admin, staff):
    community = make_community("forge", coordinators=[staff["coordinator"]])
    outsider, member = make_user(name="Newt Outsider"), make_user(name="Mona Member")
    add_membership(community, member)
    login_as(admin)
    for person in (outsider, member):
        response = client.post("/admin/communities/forge/coordinators", data={"coordinator": person.email})
        assert response.status_code == 302
    db.session.expire_all()
    roles = {
        m.user_id: (m.status, m.role)
        for m in db.session.scalars(select(Membership).where(Membership.community_id == community.id))
    }
    assert roles[outsider.id] == ("active", "coordinator")
    assert roles[member.id] == ("active", "coordinator")
    assert community.member_count == 3
    assert actions(action="community.appoint_coordinator") == ["community.appoint_coordinator"] * 2
    page = text(client.get("/admin/communities/forge"))
    assert "Newt Outsider" in page and "Mona Member" in page


def test_appointing_an_unknown_coordinator_is_refused(client, login_as, admin, staff):
    community = make_community("forge", coordinators=[staff["coordinator"]])
    login_as(admin)
    response = client.post("/admin/communities/forge/coordinators", data={"coordinator": "ghost@example.com"})
    assert response.status_code == 400
    assert "No account for: ghost@example.com" in text(response)
    assert count(Membership) == 1
    assert community.member_count == 1


# --- accounts ------------------------------------------------------------------------


def test_admin_disables_and_re_enables_an_account(client, login_as, admin):
    user = make_user("dan@example.com", name="Dan Disabled")
    login_as(admin)
    assert "Dan Disabled" in text(client.get("/admin/users"))
    response = client.post(f"/admin/users/{user.id}/disable")
    assert response.status_code == 302
    db.session.expire_all()
    assert user.is_disabled is True
    assert "<td>Disabled</td>" in text(client.get("/admin/users?q=dan"))

    response = client.post(f"/admin/users/{user.id}/enable")
    assert response.status_code == 302
    db.session.expire_all()
    assert user.is_disabled is False
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.target_type, e.target_id) for e in entries] == [
        ("account.disable", admin.id, "user", user.id),
        ("account.enable", admin.id, "user", user.id),
    ]


def test_a_disabled_account_cannot_log_in(client, login_as, admin):
    user = make_user("dan@example.com")
    login_as(admin)
    client.post(f"/admin/users/{user.id}/disable")
    client.post("/logout")
    response = client.post("/login", data={"email": "dan@example.com", "password": "correct-horse-battery"})
    assert response.status_code == 400


def test_an_admin_cannot_disable_themselves(client, login_as, admin):
    login_as(admin)
    response = client.post(f"/admin/users/{admin.id}/disable", follow_redirects=True)
    assert "You cannot disable your own account." in text(response)
    db.session.expire_all()
    assert admin.is_disabled is False
    assert actions() == []
    assert client.get("/admin/").status_code == 200


def test_disabling_an_unknown_account_is_not_found(client, login_as, admin):
    login_as(admin)
    assert client.post("/admin/users/999999/disable").status_code == 404


# --- the audit log --------------------------------------------------------------------


def test_audit_log_lists_entries_and_filters_by_action(client, login_as, admin, staff):
    community = make_community("forge", name="The Forge", coordinators=[staff["coordinator"]])
    user = make_user("dan@example.com", name="Dan Disabled")
    login_as(admin)
    client.post(f"/admin/users/{user.id}/disable")
    client.post("/admin/communities/forge/sponsors", data={"sponsors": "sam.sponsor@example.com"})
    disable = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.disable"))

    page = text(client.get("/admin/audit"))
    assert "<code>account.disable</code>" in page
    assert "<code>community.appoint_sponsor</code>" in page
    assert "<td>Ada Admin</td>" in page
    assert f"user #{user.id}" not in page  # names, not numbers
    assert f'{user.display_name} <span class="muted">(user)</span>' in page
    assert f'{staff["sponsor"].display_name} <span class="muted">(user)</span>' in page
    assert "<td>The Forge</td>" in page
    assert f'title="{disable.created_at.strftime("%Y-%m-%d %H:%M")} UTC (UTC)"' in page  # recent: "N minutes ago"
    assert f'datetime="{disable.created_at.isoformat()}Z"' in page

    filtered = text(client.get("/admin/audit?action=account."))
    assert "<code>account.disable</code>" in filtered
    assert "<code>community.appoint_sponsor</code>" not in filtered
    assert 'value="account."' in filtered

    nothing = text(client.get("/admin/audit?action=membership."))
    assert "Nothing recorded yet." in nothing
    assert community.id  # the community exists; only the filter hid its entry


def test_audit_log_names_the_system_for_cli_actions(client, login_as, admin, runner):
    make_user("promote.me@example.com")
    assert (
        runner.invoke(
            args=["cop", "create-admin", "promote.me@example.com"], env={"COP_ADMIN_PASSWORD": None}
        ).exit_code
        == 0
    )
    login_as(admin)
    page = text(client.get("/admin/audit?action=account.make_admin"))
    assert "<code>account.make_admin</code>" in page
    assert "<td>system</td>" in page


# --- the command line ----------------------------------------------------------------------


def _create_admin(runner, *args):
    return runner.invoke(args=["cop", "create-admin", *args], env={"COP_ADMIN_PASSWORD": None})


def test_create_admin_creates_an_administrator(client, runner, login_as):
    result = _create_admin(runner, "boss@example.com", "--password", "a-long-password-1")
    assert result.exit_code == 0, result.output
    assert "Created administrator boss@example.com." in result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
    assert user.is_admin is True
    assert user.check_password("a-long-password-1")
    login_as(user, "a-long-password-1")
    assert client.get("/admin/").status_code == 200


def test_create_admin_promotes_an_existing_account_without_a_password(runner):
    user = make_user("boss@example.com")
    old_hash = user.password_hash
    result = _create_admin(runner, "boss@example.com")
    assert result.exit_code == 0, result.output
    assert "Promoted administrator boss@example.com." in result.output
    db.session.expire_all()
    assert user.is_admin is True
    assert user.password_hash == old_hash
    assert count(User) == 1


def test_create_admin_run_twice_promotes_the_second_time(runner):
    assert _create_admin(runner, "boss@example.com", "--password", "a-long-password-1").exit_code == 0
    result = _create_admin(runner, "boss@example.com")
    assert result.exit_code == 0, result.output
    assert "Promoted administrator boss@example.com." in result.output
    assert count(User) == 1


def test_create_admin_refuses_a_short_password(runner):
    result = _create_admin(runner, "boss@example.com", "--password", "short")
    assert result.exit_code != 0
    assert "Use a password of at least 10 characters." in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0


def _demo_counts() -> dict:
    db.session.expire_all()
    return {
        "users": count(User),
        "communities": count(Community),
        "memberships": count(Membership),
        "audit": count(AuditEntry),
        "tags": count(Tag),
        "member_counts": sorted(db.session.execute(select(Community.slug, Community.member_count)).all()),
    }


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def _demo_loaded(request, tmp_path_factory):
    """A database per backend with the demo loaded once (and the command's result), for the tests that
    read it, run the demo again on it, or sign in to it: each load takes seconds."""
    with fresh_app_context(request.param, tmp_path_factory.mktemp("demo")) as demo_app:
        demo_app.test_client_class = CSRFClient
        yield demo_app, demo_app.test_cli_runner().invoke(args=["cop", "demo"])


@pytest.fixture
def demo_loaded(_demo_loaded):
    """(app, result of its ``cop demo``) for one test: rate limits counted from zero, its reads ended after."""
    limiter.reset()
    yield _demo_loaded
    db.session.rollback()


def test_demo_loads_communities_people_and_memberships(demo_loaded):
    _demo_app, result = demo_loaded
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert "admin@example.com" in result.output

    communities = db.session.scalars(select(Community)).all()
    assert 6 <= len(communities) <= 12
    assert {c.visibility for c in communities} == {"open", "restricted", "private"}
    assert 30 <= count(User) <= 50
    statuses = set(db.session.scalars(select(Membership.status)))
    assert {"active", "pending", "invited"} <= statuses
    admin = db.session.scalar(select(User).where(User.email == "admin@example.com"))
    assert admin.is_admin
    for community in communities:
        active = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.community_id == community.id, Membership.status == "active")
        )
        coordinators = db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.community_id == community.id, Membership.status == "active", Membership.role == "coordinator"
            )
        )
        assert community.member_count == active
        assert coordinators >= 1
        assert community.sponsors


def test_demo_run_twice_changes_nothing(demo_loaded):
    demo_app, first = demo_loaded
    assert first.exit_code == 0
    before = _demo_counts()
    result = demo_app.test_cli_runner().invoke(args=["cop", "demo"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert _demo_counts() == before


def test_demo_if_empty_does_nothing_on_a_database_with_accounts(runner):
    make_user("someone@example.com")
    result = runner.invoke(args=["cop", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "nothing changed" in result.output
    assert count(User) == 1
    assert count(Community) == 0


def test_demo_if_empty_loads_an_empty_database(runner):
    result = runner.invoke(args=["cop", "demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert count(Community) > 0


def test_demo_logins_work(demo_loaded):
    demo_app, _result = demo_loaded
    client = demo_app.test_client()
    login(client, "tom.becker@example.com", "practice-makes-perfect")
    page = text(client.get("/"))
    assert "You are invited to <strong>M&amp;A Integration</strong>" in page
    assert "Python Guild" in page
