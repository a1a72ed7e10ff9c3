"""``flask cop sync-directory`` against a real slapd: leavers disabled (every session ended), profiles
and group memberships refreshed, a summary; safe to run twice; refuses a run that looks wrong."""

import pytest
from sqlalchemy import select

from cop.accounts.models import User
from cop.admin.models import AuditEntry
from cop.communities.models import Membership
from cop.extensions import db
from tests.builders import make_community, make_user
from tests.identity_servers.helpers import signed_in_as
from tests.identity_servers.slapd import ldap_config

GROUP_MAP = '[[group]]\nname = "cop-python-guild"\ncommunity = "python-guild"\nrole = "member"\n'


@pytest.fixture
def app_config(slapd, tmp_path):
    (tmp_path / "groups.toml").write_text(GROUP_MAP)
    return ldap_config(slapd, GROUP_MAP_FILE=str(tmp_path / "groups.toml"))


@pytest.fixture
def signed_in(app, client):
    """Alice, Bob and Carol have signed in once; each keeps a session (a test client)."""
    make_community("python-guild", coordinators=[make_user("lead@example.com")])
    clients = {}
    for uid in ("alice", "bob", "carol"):
        clients[uid] = app.test_client()
        answer = clients[uid].post("/login/ldap", data={"username": uid, "password": f"{uid}-pass"})
        assert answer.status_code == 302
    return clients


def _user(email) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_sync_disables_leavers_and_refreshes_everyone_else(app, runner, slapd, signed_in):
    slapd.set_attribute("bob", "employeeType", ["left"])
    slapd.set_attribute("alice", "ou", ["Developer Experience"])
    slapd.set_group_members("cop-python-guild", ["carol"])

    result = runner.invoke(args=["cop", "sync-directory"])
    assert result.exit_code == 0, result.output
    assert "Checking directory entries" in result.output
    assert (
        "4 directory entries checked: 1 accounts updated, 3 membership changes, 1 accounts disabled "
        "(no longer in the directory), 2 people without a cop account yet."
    ) in result.output
    assert _user("bob@example.com").is_disabled and signed_in_as(signed_in["bob"]) is None
    assert signed_in_as(signed_in["alice"]) == "alice@example.com"
    assert _user("alice@example.com").department == "Developer Experience"
    memberships = {
        m.user.email: (m.status, m.directory_group)
        for m in db.session.scalars(
            select(Membership).where(Membership.directory_group.is_not(None) | (Membership.status == "left"))
        )
    }
    assert memberships == {
        "alice@example.com": ("left", None),
        "bob@example.com": ("left", None),
        "carol@example.com": ("active", "cop-python-guild"),
    }
    assert (
        db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "account.directory_disable"))
        == "ldap: no longer matches the directory's user filter (sync-directory)"
    )

    again = runner.invoke(args=["cop", "sync-directory"])
    assert again.exit_code == 0
    assert "0 accounts updated, 0 membership changes, 0 accounts disabled" in again.output


def test_sync_refuses_to_disable_most_accounts_unless_forced(app, runner, signed_in):
    app.config["LDAP_USER_FILTER"] = "(employeeType=nobody-has-this)"
    app.extensions.pop("cop_ldap", None)
    refused = runner.invoke(args=["cop", "sync-directory"])
    assert refused.exit_code == 1 and "would disable 3 of 3 directory accounts" in refused.output
    assert not any(_user(f"{uid}@example.com").is_disabled for uid in ("alice", "bob", "carol"))
    forced = runner.invoke(args=["cop", "sync-directory", "--force"])
    assert forced.exit_code == 0 and "3 accounts disabled" in forced.output


def test_sync_with_the_directory_down_changes_nothing(app, runner, signed_in):
    app.config["LDAP_URL"] = "ldap://127.0.0.1:9"
    app.extensions.pop("cop_ldap", None)
    result = runner.invoke(args=["cop", "sync-directory"])
    assert result.exit_code == 1 and "directory is unavailable" in result.output
    assert not _user("alice@example.com").is_disabled


def test_sync_needs_ldap_enabled(app, runner):
    app.config["AUTH_MODES"] = ("local",)
    result = runner.invoke(args=["cop", "sync-directory"])
    assert result.exit_code == 1 and "LDAP sign-in is not enabled" in result.output
