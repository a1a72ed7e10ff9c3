"""Account and membership services, called directly against a real SQLite database."""

import pytest
from sqlalchemy import func, select

from cop.accounts import services as accounts
from cop.admin.models import AuditEntry
from cop.communities import services as communities
from cop.communities.models import Membership
from cop.errors import DomainError, NotAllowed
from cop.extensions import db
from cop.tags.models import normalize_tag, parse_tags
from tests.builders import make_community, make_user


def _actions():
    return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _status(community, user):
    db.session.expire_all()
    m = db.session.scalar(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == user.id)
    )
    return (m.status, m.role) if m else None


# --- accounts ------------------------------------------------------------------


def test_register_normalises_email_and_makes_unique_handles(app):
    first = accounts.register_user("  Jane.Doe@Example.COM ", "Jane Doe", "long-enough-pw")
    second = accounts.register_user("jane.doe@other.example", "Jane Doe", "long-enough-pw")
    assert first.email == "jane.doe@example.com"
    assert first.handle == "jane_doe"
    assert second.handle == "jane_doe2"
    assert first.check_password("long-enough-pw") and not first.check_password("wrong")


@pytest.mark.parametrize(
    "email, name, password, field",
    [
        ("not-an-email", "X", "long-enough-pw", "email"),
        ("a@example.com", "   ", "long-enough-pw", "display_name"),
        ("a@example.com", "X", "short", "password"),
    ],
)
def test_register_rejects_bad_input(app, email, name, password, field):
    with pytest.raises(DomainError) as info:
        accounts.register_user(email, name, password)
    assert info.value.field == field
    assert db.session.scalar(select(func.count()).select_from(accounts.User)) == 0


def test_register_rejects_duplicates_case_insensitively(app):
    accounts.register_user("a@example.com", "A", "long-enough-pw")
    with pytest.raises(DomainError, match="already exists"):
        accounts.register_user("A@EXAMPLE.com", "B", "long-enough-pw")


def test_allowed_domains(app):
    app.config["ALLOWED_EMAIL_DOMAINS"] = ("corp.example",)
    with pytest.raises(DomainError, match="limited to"):
        accounts.register_user("a@gmail.example", "A", "long-enough-pw")
    assert accounts.register_user("a@corp.example", "A", "long-enough-pw").id


def test_authenticate_refuses_disabled_and_wrong_passwords(app):
    user = make_user()
    assert accounts.authenticate(user.email, "correct-horse-battery") == user
    assert accounts.authenticate(user.email, "nope") is None
    assert accounts.authenticate("nobody@example.com", "correct-horse-battery") is None
    user.is_disabled = True
    db.session.commit()
    assert accounts.authenticate(user.email, "correct-horse-battery") is None


def _session_count(user) -> int:
    from sqlalchemy import func, select

    from cop.accounts.models import UserSession

    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def test_change_password_ends_every_session(app):
    from cop.accounts.sessions import start_session, user_for_identity

    user = make_user()
    identity = start_session(user)
    token = user.session_token
    with pytest.raises(DomainError) as info:
        accounts.change_password(user, "wrong", "another-long-password")
    assert info.value.field == "current_password"
    assert user_for_identity(identity) == user
    accounts.change_password(user, "correct-horse-battery", "another-long-password")
    assert user_for_identity(identity) is None and _session_count(user) == 0
    assert user.session_token != token  # reset links sent before stop working
    assert user.check_password("another-long-password")


def test_disabling_ends_sessions_and_is_audited(app):
    from cop.accounts.sessions import start_session, user_for_identity

    admin, user = make_user(admin=True), make_user()
    identity = start_session(user)
    accounts.set_disabled(admin, user, True)
    assert user.is_disabled and user_for_identity(identity) is None and _session_count(user) == 0
    with pytest.raises(DomainError):
        accounts.set_disabled(admin, admin, True)
    assert _actions() == ["account.disable"]


def test_end_all_sessions_ends_server_side_sessions_only_of_that_user(app):
    """cop.identity's leavers and back-channel logout use this one service."""
    from cop.accounts.sessions import start_session, user_for_identity

    leaver, colleague = make_user(), make_user()
    first, second, kept = start_session(leaver), start_session(leaver, remember=True), start_session(colleague)
    accounts.end_all_sessions(leaver)
    db.session.commit()
    assert user_for_identity(first) is None and user_for_identity(second) is None
    assert user_for_identity(kept) == colleague


def test_tags_are_normalised():
    assert normalize_tag("  Machine   Learning ") == "machine-learning"
    assert normalize_tag("ＰＹＴＨＯＮ") == "python"  # NFKC folds full-width letters
    assert normalize_tag("C++") == "c++"
    assert normalize_tag("<script>") == "script"
    assert len(normalize_tag("x" * 500)) == 40
    assert parse_tags("Python, python ,, Flask") == ["python", "flask"]


# --- membership ----------------------------------------------------------------


@pytest.fixture
def people(app):
    return {name: make_user(email=f"{name}@example.com") for name in ("coord", "alice", "bob", "admin")}


def test_join_requires_guidelines_and_counts_members(people):
    c = make_community(coordinators=[people["coord"]])
    with pytest.raises(DomainError) as info:
        communities.join_community(people["alice"], c, accepted_guidelines=False)
    assert info.value.field == "accept_guidelines"
    assert _status(c, people["alice"]) is None
    m = communities.join_community(people["alice"], c, accepted_guidelines=True)
    assert m.guidelines_accepted_at is not None
    assert _status(c, people["alice"]) == ("active", "member")
    assert c.member_count == 2
    with pytest.raises(NotAllowed):
        communities.join_community(people["alice"], c, accepted_guidelines=True)


def test_restricted_request_then_approve_or_decline(people):
    c = make_community(visibility="restricted", coordinators=[people["coord"]])
    with pytest.raises(NotAllowed):
        communities.join_community(people["alice"], c, True)
    m = communities.request_to_join(people["alice"], c, True, "please")
    assert _status(c, people["alice"]) == ("pending", "member")
    with pytest.raises(NotAllowed):
        communities.decide_request(people["bob"], m, approve=True)
    communities.decide_request(people["coord"], m, approve=True, message="welcome")
    assert _status(c, people["alice"]) == ("active", "member")
    with pytest.raises(DomainError, match="already been decided"):
        communities.decide_request(people["coord"], m, approve=False)

    m2 = communities.request_to_join(people["bob"], c, True)
    communities.decide_request(people["coord"], m2, approve=False, message="not now")
    assert _status(c, people["bob"]) == ("declined", "member")
    assert m2.decision_message == "not now"
    # A declined requester may ask again.
    communities.request_to_join(people["bob"], c, True)
    assert _status(c, people["bob"]) == ("pending", "member")
    assert "membership.approve" in _actions() and "membership.decline" in _actions()


def test_private_invitation_accept_and_decline(people):
    c = make_community(visibility="private", coordinators=[people["coord"]])
    with pytest.raises(DomainError) as info:
        communities.invite(people["coord"], c, "nobody@example.com")
    assert info.value.field == "email"
    communities.invite(people["coord"], c, "alice@example.com")
    communities.invite(people["coord"], c, "bob@example.com")
    with pytest.raises(DomainError, match="already invited"):
        communities.invite(people["coord"], c, "bob@example.com")
    with pytest.raises(DomainError):
        communities.answer_invitation(people["alice"], c, accept=True, accepted_guidelines=False)
    communities.answer_invitation(people["alice"], c, accept=True, accepted_guidelines=True)
    communities.answer_invitation(people["bob"], c, accept=False)
    assert _status(c, people["alice"]) == ("active", "member")
    assert _status(c, people["bob"]) == ("declined", "member")
    with pytest.raises(NotAllowed):
        communities.answer_invitation(people["bob"], c, accept=True, accepted_guidelines=True)


def test_last_coordinator_must_name_a_successor(people):
    c = make_community(coordinators=[people["coord"]], members=[people["alice"]])
    with pytest.raises(DomainError) as info:
        communities.leave_community(people["coord"], c)
    assert info.value.field == "successor"
    with pytest.raises(DomainError):
        communities.leave_community(people["coord"], c, successor=people["bob"])  # not a member
    communities.leave_community(people["coord"], c, successor=people["alice"])
    assert _status(c, people["coord"]) == ("left", "member")
    assert _status(c, people["alice"]) == ("active", "coordinator")
    assert c.member_count == 1


def test_remove_and_promote(people):
    c = make_community(coordinators=[people["coord"]], members=[people["alice"], people["bob"]])
    with pytest.raises(NotAllowed):
        communities.remove_member(people["alice"], c, people["bob"])
    with pytest.raises(DomainError):
        communities.remove_member(people["coord"], c, people["coord"])
    communities.remove_member(people["coord"], c, people["bob"], reason="spam")
    assert _status(c, people["bob"]) == ("removed", "member")
    with pytest.raises(NotAllowed):
        communities.join_community(people["bob"], c, True)
    communities.make_coordinator(people["coord"], c, people["alice"])
    assert _status(c, people["alice"]) == ("active", "coordinator")
    # With two coordinators, one may now leave without naming a successor.
    communities.leave_community(people["coord"], c)
    assert _status(c, people["coord"]) == ("left", "member")


def test_admin_creates_community_with_sponsors_and_coordinators(people):
    people["admin"].is_admin = True
    db.session.commit()
    fields = dict(
        name="Lean",
        slug="lean",
        domain="Flow",
        charter="# Hi",
        guidelines="- be kind",
        visibility="restricted",
        stage="potential",
        domain_tags="Lean, Six Sigma",
    )
    with pytest.raises(NotAllowed):
        communities.create_community(people["alice"], coordinators="coord@example.com", **fields)
    with pytest.raises(DomainError) as info:
        communities.create_community(people["admin"], coordinators="ghost@example.com", **fields)
    assert info.value.field == "coordinators"
    db.session.rollback()
    c = communities.create_community(
        people["admin"], sponsors="bob@example.com", coordinators="coord@example.com", **fields
    )
    assert [u.email for u in c.sponsors] == ["bob@example.com"]
    assert [t.name for t in c.domain_tags] == ["lean", "six-sigma"]
    assert "<h1>Hi</h1>" in c.charter_html
    assert _status(c, people["coord"]) == ("active", "coordinator")
    assert c.member_count == 1
    with pytest.raises(DomainError) as info:
        communities.create_community(people["admin"], coordinators="coord@example.com", **fields)
    assert info.value.field == "slug"
