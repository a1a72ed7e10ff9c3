"""Operations: the health check and the online backup (``flask cop backup``)."""

import os
import sqlite3
import threading
import time

from sqlalchemy import create_engine, text

from cop import create_app
from cop.discussions import services as discussions
from cop.library import storage
from tests.builders import make_community, make_user
from tests.conftest import make_config


def test_healthz_reports_database_and_index_without_secrets(app, client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded" and body["database"] == "ok"  # no index built yet
    assert body["search_index"]["state"] == "unavailable"
    member = make_user("member@example.com")
    community = make_community("ops-circle", members=[member])
    discussions.create_thread(member, community, title="Backups", body="How often?")  # indexes on commit
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["search_index"]["state"] == "ok" and body["search_index"]["pending"] == 0
    assert body["search_index"]["applied"] > 0 and body["search_index"]["documents"] >= 3
    raw = client.get("/healthz").get_data(as_text=True).lower()
    for secret in ("sqlite", "postgres", app.instance_path.lower(), app.config["SECRET_KEY"].lower(), "password"):
        assert secret not in raw
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    broken = create_app(make_config(f"sqlite:///{tmp_path / 'missing-dir' / 'cop.db'}", str(tmp_path / "i")))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "error"


def test_backup_while_a_writer_writes(app, runner, backend, tmp_path):
    if backend == "postgresql":
        result = runner.invoke(args=["cop", "backup", str(tmp_path / "backups")])
        assert result.exit_code == 1 and "pg_dump" in result.output
        return
    member = make_user("writer@example.com")
    community = make_community("busy-circle", members=[member])
    blob = os.path.join(storage.uploads_root(), "ab", "cd", "ab" * 32)
    os.makedirs(os.path.dirname(blob))
    with open(blob, "wb") as handle:
        handle.write(b"a stored upload")
    os.makedirs(os.path.join(storage.uploads_root(), "tmp"))
    with open(os.path.join(storage.uploads_root(), "tmp", "half-written"), "wb") as handle:
        handle.write(b"partial")
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    stop = threading.Event()
    written = []

    def writer():
        engine = create_engine(database)
        with engine.connect() as conn:
            while not stop.is_set():
                conn.execute(text("INSERT INTO tags (name) VALUES (:n)"), {"n": f"tag-{len(written)}"})
                conn.commit()
                written.append(1)
        engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        result = runner.invoke(args=["cop", "backup", str(tmp_path / "backups")])
        second = runner.invoke(args=["cop", "backup", str(tmp_path / "backups")])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "1 new files" in result.output and "1 new files" not in second.output
    copies = sorted(d for d in os.listdir(tmp_path / "backups") if d != "uploads")
    assert len(copies) == 2
    copy = sqlite3.connect(tmp_path / "backups" / copies[0] / "cop.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        tags = copy.execute("SELECT count(*) FROM tags").fetchone()[0]
        assert copy.execute("SELECT slug FROM communities").fetchall() == [(community.slug,)]
    finally:
        copy.close()
    assert 20 <= tags <= len(written)  # a consistent instant while the writer carried on
    assert os.path.exists(tmp_path / "backups" / "uploads" / "ab" / "cd" / ("ab" * 32))
    assert not os.path.exists(tmp_path / "backups" / "uploads" / "tmp")
