"""How a request's transaction ends: a request that only read commits (on PostgreSQL, so psycopg
keeps its prepared statements), anything that wrote and did not commit itself is rolled back. And the
settings PostgreSQL sessions start with."""

import pytest
from flask import abort
from sqlalchemy import event, func, select, text, update

from cop.accounts.models import User
from cop.extensions import db
from tests.builders import make_community, make_user


def _ends(app):
    """The COMMITs and ROLLBACKs the app's engine sees, in order."""
    seen = []
    event.listen(db.engine, "commit", lambda conn: seen.append("commit"))
    event.listen(db.engine, "rollback", lambda conn: seen.append("rollback"))
    return seen


def test_a_request_that_only_read_commits_on_postgresql(app, client, login_as, backend):
    login_as(make_user("reader@example.com"))
    make_community("guild")
    ends = _ends(app)
    assert client.get("/c/guild").status_code == 200
    assert client.get("/c/missing").status_code == 404  # a handled error that wrote nothing
    if backend == "postgresql":
        assert ends == ["commit", "commit"]
    else:
        assert "commit" not in ends  # SQLite keeps its statements either way: closing rolls back


def test_what_a_failed_request_wrote_is_never_committed(app, client):
    """A view that flushed an ORM change or ran an UPDATE, then answered with an error, loses both."""
    user = make_user("writer@example.com", name="Before")
    user_id = user.id

    def flushed_then_refused():
        db.session.get(User, user_id).display_name = "Flushed"
        db.session.flush()
        abort(409)

    def updated_then_refused():
        db.session.execute(update(User).where(User.id == user_id).values(display_name="Updated"))
        db.session.expire_all()
        abort(409)

    def updated_then_crashed():
        db.session.execute(update(User).where(User.id == user_id).values(display_name="Crashed"))
        raise RuntimeError("boom")

    app.add_url_rule("/__test/flushed", view_func=flushed_then_refused)
    app.add_url_rule("/__test/updated", view_func=updated_then_refused)
    app.add_url_rule("/__test/crashed", view_func=updated_then_crashed)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for path in ("/__test/flushed", "/__test/updated", "/__test/crashed"):
        client.get(path)
        db.session.rollback()  # what closing the request's session does (the test keeps one session)
        assert db.session.scalar(select(User.display_name).where(User.id == user_id)) == "Before", path
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_sessions_plan_without_parallel_workers_or_jit(app):
    """``COP_POSTGRES_OPTIONS``' default: no statement forks parallel workers or is compiled (cop.database)."""
    assert db.session.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
    assert db.session.scalar(text("SHOW jit")) == "off"
