"""``flask cop backup`` names the files it could not find, and ``flask cop check`` finds what is not whole
(issue 14, item 10): database integrity, upload blobs, the search index against the outbox, counters."""

import io
import json
import os
import sqlite3

import pytest

from cop.discussions import services as discussions
from cop.discussions.models import Thread
from cop.extensions import db
from cop.library import services as library, storage
from cop.search import index as search_index
from tests import files
from tests.builders import make_community, make_user


@pytest.fixture
def library_files(app):
    member = make_user("keeper@example.com")
    community = make_community("archive", members=[member])
    kept = library.add_file(member, community, stream=io.BytesIO(files.pdf_bytes("kept")), filename="kept.pdf")
    lost = library.add_file(member, community, stream=io.BytesIO(files.pdf_bytes("lost")), filename="lost.pdf")
    discussions.create_thread(member, community, title="Where is the report?", body="In the library.")
    lost_sha = lost.versions[0].sha256
    os.remove(storage.blob_path(lost_sha))  # the upload store lost it (a bad restore, a manual clean-up)
    return {"member": member, "kept": kept.versions[0].sha256, "lost": lost_sha, "lost_id": lost.id}


@pytest.mark.parametrize("backend", ["sqlite"])  # `cop backup` is SQLite's (PostgreSQL: pg_dump)
def test_backup_reports_missing_blobs_with_a_non_zero_exit(app, runner, library_files, tmp_path):
    result = runner.invoke(args=["cop", "backup", str(tmp_path / "backups")])

    assert result.exit_code == 1
    assert "1 files named by the database are missing" in result.output
    assert f"{library_files['lost']}  resource {library_files['lost_id']} version 1 (lost.pdf)" in result.output
    uploads = tmp_path / "backups" / "uploads"
    kept = library_files["kept"]
    assert os.path.exists(uploads / kept[:2] / kept[2:4] / kept)  # the rest is still backed up
    copy = next(d for d in os.listdir(tmp_path / "backups") if d != "uploads")
    with open(tmp_path / "backups" / copy / "backup.json", encoding="utf-8") as handle:
        assert [m["sha256"] for m in json.load(handle)["missing_blobs"]] == [library_files["lost"]]


def test_check_passes_on_whole_data(app, runner, backend):
    member = make_user()
    community = make_community(members=[member])
    discussions.create_thread(member, community, title="All well", body="Yes")
    library.add_file(member, community, stream=io.BytesIO(files.pdf_bytes("fine")), filename="fine.pdf")
    search_index.catch_up()

    result = runner.invoke(args=["cop", "check"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["database: ok", "blobs: ok", "search: ok", "counters: ok"]


@pytest.mark.parametrize("backend", ["sqlite"])  # foreign keys broken behind SQLite's back
def test_check_lists_each_kind_of_damage(app, runner, library_files):
    search_index.catch_up()
    thread = db.session.query(Thread).one()
    thread.reply_count = 5
    db.session.commit()
    raw = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("INSERT INTO thread_tags (thread_id, tag_id) VALUES (?, 999)", (thread.id,))
    raw.execute(
        "INSERT INTO communities (slug, name, domain, charter_md, charter_html, guidelines_md, guidelines_html,"
        " visibility, stage, member_count, created_at, updated_at) VALUES ('ghost', 'Ghost', '', '', '', '',"
        " '', 'open', 'potential', 0, '2026-01-01', '2026-01-01')"
    )  # no outbox row: never indexed
    raw.commit()
    raw.close()

    result = runner.invoke(args=["cop", "check"])

    assert result.exit_code == 1
    output = result.output
    assert "database: 1 problem(s)" in output and "foreign key: thread_tags row" in output
    assert f"missing blob: {library_files['lost']} for resource {library_files['lost_id']} version 1" in output
    ghost = db.session.execute(db.text("SELECT id FROM communities WHERE slug = 'ghost'")).scalar()
    assert f"not in the index: community:{ghost}" in output
    assert "counter: 1 rows with a wrong reply_count" in output
