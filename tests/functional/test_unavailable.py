"""A database that is locked or read-only, or a full upload store (issue 14, item 8): 503 "try again in
a moment", the form comes back with what the user typed, the cause is logged once, nothing is half-written.

Real conditions: another connection holding SQLite's write lock, a connection that may only read, and
an upload store on a 64 KB tmpfs (mounting needs root, as the test machines run; elsewhere it skips).
"""

import html
import io
import logging
import os
import re
import sqlite3
import subprocess

import pytest
from sqlalchemy import func, select

from cop import create_app
from cop.discussions.models import Thread
from cop.extensions import db
from cop.library.models import Resource
from cop.tags.models import Tag, get_or_create_tags
from tests.builders import make_community, make_user
from tests.conftest import IN_CI, CSRFClient, make_config

TITLE, BODY = "Locked <out> question", "What I typed & want to keep"


@pytest.fixture
def backend():
    return "sqlite"  # the conditions are SQLite's (a file lock, a read-only file) and the upload store's


@pytest.fixture
def app_config():
    return {"SQLITE_BUSY_TIMEOUT": 0.2}  # a short wait for the lock keeps the test fast


@pytest.fixture
def member(app, login_as):
    user = make_user("writer@example.com")
    make_community("guild", members=[user])
    login_as(user)
    return user


def _new_thread(client, token, form_key=None):
    data = {"csrf_token": token, "title": TITLE, "body": BODY, "kind": "question", "priority": "3", "tags": ""}
    return client.post("/c/guild/threads/new", data={**data, **({"form_key": form_key} if form_key else {})})


def _form_key(client) -> str:
    page = client.get("/c/guild/threads/new").get_data(as_text=True)
    return re.search(r'name="form_key"[^>]*value="([^"]+)"', page).group(1)


def _assert_form_kept(response):
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "try again in a moment" in page
    assert html.escape(TITLE) in page and html.escape(BODY, quote=False) in page


def _warnings(caplog):
    return [r for r in caplog.records if r.levelno == logging.WARNING and "answering 503" in r.getMessage()]


def test_a_write_while_another_process_holds_the_lock_answers_503_and_keeps_the_text(app, client, member, caplog):
    token, key = client.csrf_token(), _form_key(client)
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing for a long time
    try:
        with caplog.at_level(logging.WARNING):
            response = _new_thread(client, token, key)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    _assert_form_kept(response)
    assert [r.getMessage() for r in _warnings(caplog)] == [
        "answering 503 to POST /c/guild/threads/new: database is locked"
    ]
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 0
    assert f'value="{key}"' in response.get_data(as_text=True)  # the same one-time key, unused
    assert _new_thread(client, token, key).status_code == 302  # the lock gone, the same form goes through
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 1


@pytest.mark.parametrize(
    ("action", "field", "typed"), [("rename", "name", "Python <3>"), ("merge", "target", "py")], ids=["rename", "merge"]
)
def test_a_tag_rename_or_merge_while_the_lock_is_held_answers_503_and_keeps_the_name(
    app, client, login_as, action, field, typed
):
    login_as(make_user("admin@example.com", admin=True))
    python, _py = get_or_create_tags(["python", "py"])
    db.session.commit()
    python_id, token = python.id, client.csrf_token()
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(f"/admin/tags/{python_id}/{action}", data={"csrf_token": token, field: typed})
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "try again in a moment" in page
    assert f'id="{action}-{python_id}" name="{field}" value="{html.escape(typed)}"' in page
    db.session.expire_all()
    assert db.session.get(Tag, python_id).name == "python"


def test_a_read_only_database_answers_503_and_keeps_the_text(app, client, member, tmp_path, caplog):
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    read_only = create_app(make_config(f"sqlite:///file:{path}?mode=ro&uri=true", str(tmp_path / "ro")))
    read_only.test_client_class = CSRFClient
    reader = read_only.test_client()
    reader.set_cookie("session", client.get_cookie("session").value)  # signed in before the files turned read-only

    with caplog.at_level(logging.WARNING):
        assert "Guild" in reader.get("/c/guild").get_data(as_text=True)  # reading still works
        response = _new_thread(reader, reader.csrf_token())

    _assert_form_kept(response)
    assert len(_warnings(caplog)) == 1 and "readonly database" in _warnings(caplog)[0].getMessage()
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 0
    with read_only.app_context():
        db.engine.dispose()


@pytest.fixture
def full_upload_store(tmp_path):
    """A 64 KB file system for the uploads."""
    mount_point = tmp_path / "uploads"
    mount_point.mkdir()
    if os.geteuid() != 0:
        message = "mounting a tmpfs for a full upload store needs root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_an_upload_to_a_full_disk_answers_503_keeps_the_text_and_leaves_nothing(
    app, client, member, full_upload_store, caplog
):
    app.config["UPLOAD_FOLDER"] = str(full_upload_store)
    upload = io.BytesIO(b"%PDF-1.4\n" + os.urandom(200_000))
    with caplog.at_level(logging.WARNING):
        response = client.post(
            "/c/guild/library/new/file",
            content_type="multipart/form-data",
            data={
                "title": TITLE,
                "description": BODY,
                "tags": "",
                "change_note": "first",
                "file": (upload, "report.pdf"),
            },
        )

    _assert_form_kept(response)
    assert len(_warnings(caplog)) == 1 and "No space left on device" in _warnings(caplog)[0].getMessage()
    assert db.session.scalar(select(func.count()).select_from(Resource)) == 0
    assert [name for _dir, _dirs, files in os.walk(full_upload_store) for name in files] == []


def test_a_busy_database_answers_the_api_with_a_503_problem(app, client, member):
    from tests.builders import bearer, make_token

    secret = make_token(db.session.get(type(member), member.id), scopes=("read", "write"))
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/api/v1/communities/guild/threads", headers=bearer(secret), csrf=False, json={"title": TITLE, "body": BODY}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json" and "try again in a moment" in response.json["detail"]
