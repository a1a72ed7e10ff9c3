"""Communities through the views: directory, home page, joining, requests, invitations, leaving, managing."""

import pytest
from sqlalchemy import func, select

from cop.admin.models import AuditEntry
from cop.communities.models import Community, Membership
from cop.extensions import db
from tests.builders import add_membership, make_community, make_user

GUIDELINES_ERROR = "Please read and accept the guidelines to join."


# --- helpers -------------------------------------------------------------------


@pytest.fixture
def act_as(client, login_as):
    """``act_as(user)`` logs out whoever is signed in, then logs in as ``user``."""

    def switch(user):
        client.post("/logout")
        login_as(user)

    return switch


def membership(community, user) -> Membership | None:
    """The membership row as the database has it now."""
    db.session.expire_all()
    return db.session.scalar(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == user.id)
    )


def member_count(community) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Community.member_count).where(Community.id == community.id))


def audit_entries(community, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.community_id == community.id, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def card(slug: str) -> str:
    """How a community's card links to it in the directory."""
    return f'href="/c/{slug}"'


# --- the directory -----------------------------------------------------------------


@pytest.fixture
def directory_world(app):
    coordinator, member, invitee, outsider = (
        make_user(name=n) for n in ("Cora Coordinator", "Mia Member", "Ivan Invitee", "Otto Outsider")
    )
    open_c = make_community(
        "harbour-pilots",
        name="Harbour Pilots",
        visibility="open",
        stage="maturing",
        domain="Bringing ships safely into port.",
        coordinators=[coordinator],
        members=[member],
    )
    restricted = make_community(
        "glassblowers",
        name="Glassblowers Guild",
        visibility="restricted",
        stage="coalescing",
        domain="Shaping molten glass by breath.",
        coordinators=[coordinator],
    )
    private = make_community(
        "quiet-cartographers",
        name="Quiet Cartographers",
        visibility="private",
        stage="maturing",
        domain="Mapping places nobody may know about.",
        coordinators=[coordinator],
        members=[member],
    )
    add_membership(private, invitee, "invited")
    return dict(
        coordinator=coordinator,
        member=member,
        invitee=invitee,
        outsider=outsider,
        open=open_c,
        restricted=restricted,
        private=private,
    )


def test_directory_lists_open_and_restricted_but_not_private_to_a_non_member(client, login_as, directory_world):
    login_as(directory_world["outsider"])
    page = text(client.get("/communities"))
    assert card("harbour-pilots") in page
    assert card("glassblowers") in page
    assert card("quiet-cartographers") not in page
    assert "Quiet Cartographers" not in page
    assert "2 communities" in page


@pytest.mark.parametrize("role", ["member", "invitee", "coordinator"])
def test_directory_lists_a_private_community_to_its_members_and_invitees(client, login_as, directory_world, role):
    login_as(directory_world[role])
    page = text(client.get("/communities"))
    assert card("quiet-cartographers") in page
    assert "3 communities" in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=harbour", {"harbour-pilots"}),  # by name, case-insensitive
        ("q=MOLTEN", {"glassblowers"}),  # by domain
        ("q=nothing+matches+this", set()),
        ("visibility=restricted", {"glassblowers"}),
        ("visibility=private", set()),  # the outsider never sees private ones
        ("stage=maturing", {"harbour-pilots"}),
        ("stage=coalescing", {"glassblowers"}),
        ("visibility=open&stage=coalescing", set()),
    ],
)
def test_directory_filters_for_a_non_member(client, login_as, directory_world, query, expected):
    login_as(directory_world["outsider"])
    page = text(client.get(f"/communities?{query}"))
    shown = {slug for slug in ("harbour-pilots", "glassblowers", "quiet-cartographers") if card(slug) in page}
    assert shown == expected
    if not expected:
        assert "No community matches these filters." in page


def test_directory_mine_filter_lists_only_active_memberships(client, login_as, directory_world):
    login_as(directory_world["member"])
    page = text(client.get("/communities?mine=1"))
    assert card("harbour-pilots") in page
    assert card("quiet-cartographers") in page
    assert card("glassblowers") not in page


def test_directory_mine_filter_ignores_invitations(client, login_as, directory_world):
    login_as(directory_world["invitee"])
    page = text(client.get("/communities?mine=1"))
    assert card("quiet-cartographers") not in page
    assert "0 communities" in page


def test_directory_filters_private_for_members(client, login_as, directory_world):
    login_as(directory_world["member"])
    page = text(client.get("/communities?visibility=private&q=cartographers"))
    assert card("quiet-cartographers") in page
    assert card("harbour-pilots") not in page


# --- the community home page -------------------------------------------------------


def test_community_home_shows_the_three_elements_roles_and_member_count(client, login_as):
    sponsor = make_user(name="Sybil Sponsor")
    coordinator = make_user(name="Conrad Coordinator")
    members = [make_user(name=f"Member {n}") for n in range(2)]
    make_community(
        "bridges",
        name="Bridge Builders",
        domain="Spanning rivers with steel.",
        coordinators=[coordinator],
        members=members,
        sponsors=[sponsor],
    )
    login_as(members[0])
    response = client.get("/c/bridges")
    page = text(response)
    assert response.status_code == 200
    for heading in ("Domain", "Community", "Practice"):
        assert f">{heading}</h2>" in page
    assert "Spanning rivers with steel." in page
    assert "Sybil Sponsor" in page
    assert "Conrad Coordinator" in page
    assert "<dt>Members</dt><dd>3</dd>" in page


def test_restricted_home_to_a_non_member_shows_listing_but_not_members(client, login_as, act_as):
    coordinator, member, outsider = make_user(name="Cleo Coord"), make_user(name="Max Member"), make_user()
    make_community(
        "locksmiths",
        name="Locksmiths",
        visibility="restricted",
        domain="Opening what is closed.",
        coordinators=[coordinator],
        members=[member],
    )
    login_as(outsider)
    page = text(client.get("/c/locksmiths"))
    assert "Locksmiths" in page
    assert "Opening what is closed." in page
    assert 'class="faces"' not in page
    assert "/c/locksmiths/members" not in page
    assert "Max Member" not in page
    assert "Request to join" in page

    act_as(member)  # a member of the same community does see them
    page = text(client.get("/c/locksmiths"))
    assert 'class="faces"' in page
    assert "/c/locksmiths/members" in page


def test_members_page_of_a_restricted_community_is_forbidden_to_a_non_member(client, login_as, act_as):
    coordinator, member, outsider = make_user(), make_user(name="Rhea Member"), make_user()
    make_community("vault", visibility="restricted", coordinators=[coordinator], members=[member])
    login_as(outsider)
    assert client.get("/c/vault/members").status_code == 403

    act_as(member)
    response = client.get("/c/vault/members")
    assert response.status_code == 200
    assert "Rhea Member" in text(response)


def test_pages_need_a_login(client, app):
    make_community("anyone")
    response = client.get("/c/anyone")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- joining an open community ---------------------------------------------------


@pytest.fixture
def open_community(app):
    coordinator = make_user(name="Olga Opener")
    return make_community("gardeners", name="Gardeners", visibility="open", coordinators=[coordinator])


def test_join_without_accepting_the_guidelines_is_refused(client, login_as, open_community):
    user = make_user()
    login_as(user)
    response = client.post("/c/gardeners/join", data={})
    assert response.status_code == 400
    assert GUIDELINES_ERROR in text(response)
    assert membership(open_community, user) is None
    assert member_count(open_community) == 1


def test_join_with_the_guidelines_accepted(client, login_as, open_community):
    user = make_user()
    login_as(user)
    assert client.get("/c/gardeners/join").status_code == 200
    response = client.post("/c/gardeners/join", data={"accept_guidelines": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/c/gardeners")
    row = membership(open_community, user)
    assert row.status == "active" and row.role == "member"
    assert row.guidelines_accepted_at is not None
    assert row.joined_at is not None
    assert member_count(open_community) == 2
    [entry] = audit_entries(open_community, "membership.join")
    assert entry.actor_id == user.id and entry.target_id == user.id and entry.target_type == "user"
    assert "/c/gardeners/leave" in text(client.get("/c/gardeners"))


def test_a_member_cannot_join_twice(client, login_as, open_community):
    user = make_user()
    add_membership(open_community, user)
    login_as(user)
    assert client.post("/c/gardeners/join", data={"accept_guidelines": "y"}).status_code == 403


def test_join_is_not_the_way_into_a_restricted_community(client, login_as):
    make_community("closed-shop", visibility="restricted", coordinators=[make_user()])
    user = make_user()
    login_as(user)
    assert client.post("/c/closed-shop/join", data={"accept_guidelines": "y"}).status_code == 403


# --- requests to join a restricted community --------------------------------------


@pytest.fixture
def restricted(app):
    coordinator = make_user(name="Rita Restrictor")
    member = make_user(name="Mo Member")
    requester = make_user(name="Quentin Requester")
    community = make_community(
        "surgeons", name="Surgeons", visibility="restricted", coordinators=[coordinator], members=[member]
    )
    return dict(coordinator=coordinator, member=member, requester=requester, community=community)


def _request(client, message="I operate every day."):
    return client.post("/c/surgeons/request", data={"accept_guidelines": "y", "message": message})


def test_request_to_join_needs_the_guidelines(client, login_as, restricted):
    login_as(restricted["requester"])
    response = client.post("/c/surgeons/request", data={"message": "Please"})
    assert response.status_code == 400
    assert GUIDELINES_ERROR in text(response)
    assert membership(restricted["community"], restricted["requester"]) is None


def test_request_to_join_is_pending_with_its_message(client, login_as, restricted):
    login_as(restricted["requester"])
    response = _request(client)
    assert response.status_code == 302
    row = membership(restricted["community"], restricted["requester"])
    assert row.status == "pending"
    assert row.request_message == "I operate every day."
    assert member_count(restricted["community"]) == 2
    assert "waiting for a coordinator" in text(client.get("/c/surgeons"))
    # a pending requester cannot ask twice
    assert _request(client).status_code == 403


def test_coordinator_approves_a_request(client, login_as, act_as, restricted):
    community, requester, coordinator = restricted["community"], restricted["requester"], restricted["coordinator"]
    login_as(requester)
    _request(client)
    row_id = membership(community, requester).id

    act_as(coordinator)
    page = text(client.get("/c/surgeons/members"))
    assert "Quentin Requester" in page and "I operate every day." in page
    response = client.post(f"/c/surgeons/requests/{row_id}", data={"decision": "approve", "message": "Welcome!"})
    assert response.status_code == 302
    row = membership(community, requester)
    assert row.status == "active"
    assert row.decided_by_id == coordinator.id
    assert row.decision_message == "Welcome!"
    assert row.joined_at is not None
    assert member_count(community) == 3
    [entry] = audit_entries(community, "membership.approve")
    assert entry.actor_id == coordinator.id and entry.target_id == requester.id and entry.detail == "Welcome!"

    act_as(requester)
    assert client.get("/c/surgeons/members").status_code == 200


def test_coordinator_declines_a_request_and_the_requester_sees_why(client, login_as, act_as, restricted):
    community, requester, coordinator = restricted["community"], restricted["requester"], restricted["coordinator"]
    login_as(requester)
    _request(client)
    row_id = membership(community, requester).id

    act_as(coordinator)
    response = client.post(
        f"/c/surgeons/requests/{row_id}", data={"decision": "decline", "message": "Surgeons only, sorry."}
    )
    assert response.status_code == 302
    row = membership(community, requester)
    assert row.status == "declined"
    assert row.decision_message == "Surgeons only, sorry."
    assert member_count(community) == 2
    assert len(audit_entries(community, "membership.decline")) == 1

    act_as(requester)
    page = text(client.get("/c/surgeons"))
    assert "Surgeons only, sorry." in page
    assert "Request to join" in page  # they may ask again
    assert client.get("/c/surgeons/members").status_code == 403


def test_a_decided_request_cannot_be_decided_again(client, login_as, act_as, restricted):
    community, requester = restricted["community"], restricted["requester"]
    login_as(requester)
    _request(client)
    row_id = membership(community, requester).id
    act_as(restricted["coordinator"])
    client.post(f"/c/surgeons/requests/{row_id}", data={"decision": "decline"})
    response = client.post(f"/c/surgeons/requests/{row_id}", data={"decision": "approve"}, follow_redirects=True)
    assert "already been decided" in text(response)
    assert membership(community, requester).status == "declined"


def test_a_non_coordinator_cannot_decide_a_request(client, login_as, act_as, restricted):
    community, requester = restricted["community"], restricted["requester"]
    login_as(requester)
    _request(client)
    row_id = membership(community, requester).id

    act_as(restricted["member"])
    response = client.post(f"/c/surgeons/requests/{row_id}", data={"decision": "approve"})
    assert response.status_code == 403
    assert membership(community, requester).status == "pending"
    assert audit_entries(community, "membership.approve") == []


# --- private communities and invitations -------------------------------------------


@pytest.fixture
def private(app):
    coordinator = make_user(name="Petra Private")
    invitee = make_user("ines@example.com", name="Ines Invitee")
    outsider = make_user(name="Oscar Outsider")
    community = make_community(
        "inner-circle",
        name="Inner Circle",
        visibility="private",
        domain="Things we do not talk about.",
        coordinators=[coordinator],
    )
    return dict(coordinator=coordinator, invitee=invitee, outsider=outsider, community=community)


@pytest.mark.parametrize(
    "path",
    [
        "/c/inner-circle",
        "/c/inner-circle/join",
        "/c/inner-circle/request",
        "/c/inner-circle/members",
        "/c/inner-circle/invitation",
        "/c/inner-circle/leave",
        "/c/inner-circle/edit",
        "/c/inner-circle/invite",
    ],
)
def test_a_private_community_is_not_found_by_a_non_member(client, login_as, private, path):
    login_as(private["outsider"])
    assert client.get(path).status_code == 404
    assert client.get(path.replace("inner-circle", "no-such-community")).status_code == 404


def test_a_private_community_is_not_found_on_post_either(client, login_as, private):
    login_as(private["outsider"])
    assert client.post("/c/inner-circle/join", data={"accept_guidelines": "y"}).status_code == 404
    assert client.post("/c/inner-circle/request", data={"accept_guidelines": "y"}).status_code == 404
    assert membership(private["community"], private["outsider"]) is None


def test_inviting_an_unknown_address_is_a_form_error(client, login_as, private):
    login_as(private["coordinator"])
    response = client.post("/c/inner-circle/invite", data={"email": "nobody@example.com"})
    assert response.status_code == 400
    page = text(response)
    assert "No colleague has an account with that e-mail address." in page
    assert 'value="nobody@example.com"' in page
    assert (
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.community_id == private["community"].id)
        )
        == 1
    )


def test_a_non_coordinator_cannot_invite(client, login_as, private):
    member = make_user()
    add_membership(private["community"], member)
    login_as(member)
    response = client.post("/c/inner-circle/invite", data={"email": "ines@example.com"})
    assert response.status_code == 403
    assert membership(private["community"], private["invitee"]) is None


def _invite(client, act_as, private):
    act_as(private["coordinator"])
    response = client.post("/c/inner-circle/invite", data={"email": "Ines@Example.com ", "message": "Join us, Ines."})
    assert response.status_code == 302
    act_as(private["invitee"])


def test_invitee_sees_the_invitation_and_accepts_it(client, act_as, private):
    community, invitee = private["community"], private["invitee"]
    _invite(client, act_as, private)
    row = membership(community, invitee)
    assert row.status == "invited" and row.invited_by_id == private["coordinator"].id
    assert len(audit_entries(community, "membership.invite")) == 1

    home = text(client.get("/"))
    assert "You are invited to <strong>Inner Circle</strong>" in home
    assert "/c/inner-circle/invitation" in home
    assert client.get("/c/inner-circle").status_code == 200
    form_page = text(client.get("/c/inner-circle/invitation"))
    assert "Petra Private invited you." in form_page and "Join us, Ines." in form_page

    response = client.post("/c/inner-circle/invitation", data={"decision": "accept"})
    assert response.status_code == 400
    assert GUIDELINES_ERROR in text(response)
    assert membership(community, invitee).status == "invited"

    response = client.post("/c/inner-circle/invitation", data={"decision": "accept", "accept_guidelines": "y"})
    assert response.status_code == 302
    row = membership(community, invitee)
    assert row.status == "active"
    assert row.guidelines_accepted_at is not None
    assert member_count(community) == 2
    assert client.get("/c/inner-circle/members").status_code == 200
    assert "You are invited" not in text(client.get("/"))


def test_invitee_declines_the_invitation(client, act_as, private):
    community, invitee = private["community"], private["invitee"]
    _invite(client, act_as, private)
    response = client.post("/c/inner-circle/invitation", data={"decision": "decline"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert membership(community, invitee).status == "declined"
    assert member_count(community) == 1
    assert len(audit_entries(community, "membership.decline_invitation")) == 1
    assert "You are invited" not in text(client.get("/"))
    assert client.get("/c/inner-circle").status_code == 404


def test_inviting_someone_already_invited_is_a_form_error(client, login_as, private):
    add_membership(private["community"], private["invitee"], "invited")
    login_as(private["coordinator"])
    response = client.post("/c/inner-circle/invite", data={"email": "ines@example.com"})
    assert response.status_code == 400
    assert "Ines Invitee is already invited." in text(response)


# --- leaving ---------------------------------------------------------------------------


@pytest.fixture
def team(app):
    coordinator = make_user(name="Lara Lead")
    member = make_user(name="Milo Member")
    other = make_user(name="Nina Other")
    community = make_community("rowers", name="Rowers", coordinators=[coordinator], members=[member, other])
    return dict(coordinator=coordinator, member=member, other=other, community=community)


def test_a_member_leaves(client, login_as, team):
    login_as(team["member"])
    assert client.get("/c/rowers/leave").status_code == 200
    response = client.post("/c/rowers/leave", data={})
    assert response.status_code == 302
    assert membership(team["community"], team["member"]).status == "left"
    assert member_count(team["community"]) == 2
    assert len(audit_entries(team["community"], "membership.leave")) == 1
    assert client.get("/c/rowers/leave").status_code == 403


def test_the_last_coordinator_cannot_leave_without_a_successor(client, login_as, team):
    login_as(team["coordinator"])
    assert "Choose a member to take over" in text(client.get("/c/rowers/leave"))
    response = client.post("/c/rowers/leave", data={"successor": "0"})
    assert response.status_code == 400
    assert "You are the last coordinator" in text(response)
    row = membership(team["community"], team["coordinator"])
    assert row.status == "active" and row.role == "coordinator"


def test_the_last_coordinator_cannot_name_an_outsider_as_successor(client, login_as, team):
    outsider = make_user()
    login_as(team["coordinator"])
    response = client.post("/c/rowers/leave", data={"successor": str(outsider.id)})
    assert response.status_code == 400
    assert membership(team["community"], team["coordinator"]).is_coordinator
    assert membership(team["community"], outsider) is None


def test_the_last_coordinator_leaves_naming_a_successor(client, login_as, team):
    login_as(team["coordinator"])
    response = client.post("/c/rowers/leave", data={"successor": str(team["member"].id)})
    assert response.status_code == 302
    leaver = membership(team["community"], team["coordinator"])
    assert leaver.status == "left" and leaver.role == "member"
    successor = membership(team["community"], team["member"])
    assert successor.status == "active" and successor.role == "coordinator"
    [entry] = audit_entries(team["community"], "membership.make_coordinator")
    assert entry.target_id == team["member"].id


# --- coordinators manage members ---------------------------------------------------


def test_a_coordinator_removes_a_member_who_cannot_rejoin(client, login_as, act_as, team):
    community, member = team["community"], team["member"]
    login_as(team["coordinator"])
    response = client.post(f"/c/rowers/members/{member.id}/remove", data={"reason": "Kept posting spam."})
    assert response.status_code == 302
    row = membership(community, member)
    assert row.status == "removed"
    assert row.decision_message == "Kept posting spam."
    assert member_count(community) == 2
    [entry] = audit_entries(community, "membership.remove")
    assert entry.actor_id == team["coordinator"].id and entry.detail == "Kept posting spam."

    act_as(member)
    assert client.get("/c/rowers/join").status_code == 403
    assert client.post("/c/rowers/join", data={"accept_guidelines": "y"}).status_code == 403
    assert membership(community, member).status == "removed"
    page = text(client.get("/c/rowers"))
    assert "A coordinator removed you from this community." in page
    assert "Join this community" not in page


def test_a_coordinator_makes_a_member_a_coordinator(client, login_as, act_as, team):
    community, member = team["community"], team["member"]
    login_as(team["coordinator"])
    response = client.post(f"/c/rowers/members/{member.id}/coordinator")
    assert response.status_code == 302
    assert membership(community, member).role == "coordinator"
    assert len(audit_entries(community, "membership.make_coordinator")) == 1
    assert "<dt>Coordinators</dt>" in text(client.get("/c/rowers"))

    act_as(member)  # the new coordinator manages the community now
    assert client.get("/c/rowers/members").status_code == 200
    assert "Join requests" in text(client.get("/c/rowers/members"))


def test_a_coordinator_cannot_remove_themselves(client, login_as, team):
    coordinator = team["coordinator"]
    login_as(coordinator)
    response = client.post(f"/c/rowers/members/{coordinator.id}/remove", data={}, follow_redirects=True)
    assert "To leave the community yourself, use Leave." in text(response)
    row = membership(team["community"], coordinator)
    assert row.status == "active" and row.role == "coordinator"


def test_the_last_coordinator_cannot_be_removed(client, login_as, team):
    admin = make_user(admin=True)
    login_as(admin)
    response = client.post(f"/c/rowers/members/{team['coordinator'].id}/remove", data={}, follow_redirects=True)
    assert "This is the last coordinator; appoint another one first." in text(response)
    row = membership(team["community"], team["coordinator"])
    assert row.status == "active" and row.role == "coordinator"
    assert audit_entries(team["community"], "membership.remove") == []


def test_a_member_cannot_manage_members(client, login_as, team):
    login_as(team["member"])
    assert client.post(f"/c/rowers/members/{team['other'].id}/remove", data={}).status_code == 403
    assert client.post(f"/c/rowers/members/{team['other'].id}/coordinator").status_code == 403
    row = membership(team["community"], team["other"])
    assert row.status == "active" and row.role == "member"


# --- editing a community ----------------------------------------------------------------


def _edit_data(**overrides):
    data = {
        "name": "Rowers United",
        "slug": "rowers",
        "domain": "Moving boats with oars.",
        "domain_tags": "Rowing, Boats",
        "stage": "coalescing",
        "visibility": "open",
        "charter": "## Our aim\n\n<script>alert('x')</script>\n\n[x](javascript:alert(1)) and **strong** words",
        "guidelines": "- Be *kind*\n- <img src=x onerror=alert(1)>",
    }
    return {**data, **overrides}


def test_a_coordinator_edits_charter_and_guidelines_sanitised(client, login_as, team):
    community = team["community"]
    login_as(team["coordinator"])
    form = text(client.get("/c/rowers/edit"))
    assert 'value="Rowers"' in form
    response = client.post("/c/rowers/edit", data=_edit_data())
    assert response.status_code == 302
    db.session.expire_all()
    assert community.name == "Rowers United"
    assert "<h2>Our aim</h2>" in community.charter_html
    assert "<strong>strong</strong>" in community.charter_html
    assert "<script" not in community.charter_html and "alert('x')" not in community.charter_html
    assert "javascript:" not in community.charter_html
    assert "<em>kind</em>" in community.guidelines_html
    assert "onerror" not in community.guidelines_html
    assert [t.name for t in community.domain_tags] == ["boats", "rowing"]
    assert len(audit_entries(community, "community.update")) == 1

    page = text(client.get("/c/rowers"))
    assert "<strong>strong</strong>" in page
    assert "<em>kind</em>" in page
    assert "javascript:" not in page
    assert "<script>alert" not in page


def test_a_coordinator_cannot_change_visibility_stage_or_address(client, login_as, team):
    community = team["community"]
    login_as(team["coordinator"])
    response = client.post(
        "/c/rowers/edit", data=_edit_data(visibility="private", stage="stewardship", slug="rowers-secret")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (community.visibility, community.stage, community.slug) == ("open", "coalescing", "rowers")
    assert community.name == "Rowers United"
    [entry] = audit_entries(community, "community.update")
    assert entry.detail == ""


def test_an_admin_changes_visibility_and_stage(client, login_as, team):
    community = team["community"]
    login_as(make_user(admin=True))
    page = text(client.get("/c/rowers/edit"))
    assert 'name="visibility"' in page and "<select" in page
    response = client.post("/c/rowers/edit", data=_edit_data(visibility="private", stage="stewardship"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (community.visibility, community.stage) == ("private", "stewardship")
    [entry] = audit_entries(community, "community.update")
    assert "visibility open→private" in entry.detail and "stage coalescing→stewardship" in entry.detail


def test_editing_with_an_empty_name_keeps_what_was_typed(client, login_as, team):
    community = team["community"]
    login_as(team["coordinator"])
    response = client.post("/c/rowers/edit", data=_edit_data(name="  ", domain="A brand new domain statement."))
    assert response.status_code == 400
    page = text(response)
    assert "A community needs a name." in page
    assert "A brand new domain statement." in page
    assert "Rowing, Boats" in page
    db.session.expire_all()
    assert community.name == "Rowers"
    assert community.domain == "A shared concern."
    assert audit_entries(community, "community.update") == []


def test_a_member_cannot_edit(client, login_as, team):
    login_as(team["member"])
    assert client.get("/c/rowers/edit").status_code == 403
    assert client.post("/c/rowers/edit", data=_edit_data()).status_code == 403
    db.session.expire_all()
    assert team["community"].name == "Rowers"
