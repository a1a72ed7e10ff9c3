"""A consistent backup of a running site: the SQLite database and the uploaded files.

The database is copied with SQLite's online backup API in one step: in WAL
mode that is one read transaction, so writers carry on and the copy is the
database as of one instant. The uploads are content-addressed (a blob's name
is its hash and a blob never changes), so only files the backup does not have
yet are copied, into one ``uploads`` folder shared by every backup under DEST.
Blobs are stored before the row naming them commits, so copying the uploads
*after* the database means every blob the copy names is in the backup.
"""

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy.engine import make_url

from cop.extensions import utcnow
from cop.library import storage


class BackupUnsupported(Exception):
    """The database is not SQLite (PostgreSQL is backed up with pg_dump)."""


@dataclass
class BackupResult:
    directory: str
    database: str
    database_bytes: int
    uploads: str
    blobs_copied: int
    blobs_kept: int
    seconds: float
    # (sha256, what names it) for files the copied database names but the upload store did not have
    missing_blobs: list[tuple[str, str]]


def sqlite_path() -> str:
    """The SQLite file of the running app.

    :raise BackupUnsupported: the database is not a SQLite file.
    """
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupUnsupported(
            "`cop backup` copies a SQLite database. For PostgreSQL use its own tools, e.g. "
            "`pg_dump --format=custom --file=cop.dump DBNAME` (consistent while the app runs), "
            "and copy the uploads folder (COP_UPLOAD_FOLDER) after the dump."
        )
    return url.database


def copy_database(source_path: str, target_path: str) -> None:
    """Copy a live SQLite database to ``target_path`` (a single self-contained file)."""
    partial = target_path + ".partial"
    if os.path.exists(partial):
        os.remove(partial)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # pages=-1: one step, one consistent snapshot
        target.execute("PRAGMA journal_mode=DELETE")  # the copy stands alone: no -wal file beside it
        target.commit()
    finally:
        target.close()
        source.close()
    os.replace(partial, target_path)


def copy_uploads(source_root: str, target_root: str) -> tuple[int, int]:
    """Copy blobs missing from ``target_root``; (copied, already there). Temporary uploads are skipped."""
    copied = kept = 0
    if not os.path.isdir(source_root):
        return copied, kept
    for directory, subdirectories, files in os.walk(source_root):
        relative = os.path.relpath(directory, source_root)
        if relative == "tmp" or relative.startswith("tmp" + os.sep):
            subdirectories[:] = []
            continue
        subdirectories[:] = [d for d in subdirectories if not (relative == "." and d == "tmp")]
        for name in files:
            target = os.path.join(target_root, relative, name)
            if os.path.exists(target):
                kept += 1
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(directory, name), target + ".partial")
            os.replace(target + ".partial", target)
            copied += 1
    return copied, kept


def backup(dest: str) -> BackupResult:
    """Write ``dest/<UTC timestamp>/cop.db`` and bring ``dest/uploads`` up to date.

    :raise BackupUnsupported: on PostgreSQL (the message says what to use instead).
    """
    source = sqlite_path()
    started = time.perf_counter()
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    directory = os.path.join(os.path.abspath(dest), stamp)
    n = 1
    while os.path.exists(directory):
        n += 1
        directory = os.path.join(os.path.abspath(dest), f"{stamp}-{n}")
    os.makedirs(directory)
    database = os.path.join(directory, "cop.db")
    copy_database(source, database)
    uploads = os.path.join(os.path.abspath(dest), "uploads")
    os.makedirs(uploads, exist_ok=True)
    copied, kept = copy_uploads(storage.uploads_root(), uploads)
    missing = blobs_missing_from(database, uploads)
    result = BackupResult(
        directory, database, os.path.getsize(database), uploads, copied, kept, time.perf_counter() - started, missing
    )
    with open(os.path.join(directory, "backup.json"), "w", encoding="utf-8") as handle:
        json.dump(
            {
                "taken_at": stamp,
                "database_bytes": result.database_bytes,
                "blobs_copied": copied,
                "blobs_kept": kept,
                "uploads": "../uploads",
                "missing_blobs": [{"sha256": sha, "named_by": what} for sha, what in missing],
            },
            handle,
            indent=2,
        )
    return result


def blobs_missing_from(database_path: str, uploads: str) -> list[tuple[str, str]]:
    """The blobs the backup's own database names that its uploads folder lacks (they were missing from
    the upload store when the backup was taken): what a restore of this backup would not have."""
    from cop.ops.check import absent_blobs

    copy = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True)
    try:
        rows = copy.execute(
            "SELECT sha256, resource_id, number, original_filename FROM resource_versions "
            "WHERE sha256 IS NOT NULL ORDER BY id"
        ).fetchall()
    finally:
        copy.close()
    return absent_blobs(rows, uploads)
