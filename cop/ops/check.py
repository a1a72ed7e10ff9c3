"""``flask cop check``: is the site's data whole? Database integrity, upload blobs, search index, counters.

Read-only: it reports and never repairs (``flask cop repair-counters``, ``flask cop search reindex``
and a restore from backup do). Each check returns a list of problems, plain sentences an operator can
act on; an empty list means the check passed.
"""

import os
from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions.models import Thread
from cop.extensions import db
from cop.library import storage
from cop.library.models import Resource, ResourceVersion
from cop.ops.counters import wrong_counters
from cop.search import index as search_index
from cop.search.models import SearchOutbox

MAX_LISTED = 50  # problems of one kind listed one by one; beyond that, counted


@dataclass
class CheckReport:
    sections: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.sections.values())


def _listed(kind: str, items: list[str]) -> list[str]:
    shown = [f"{kind}: {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        shown.append(f"{kind}: … and {len(items) - MAX_LISTED} more")
    return shown


def database_problems() -> list[str]:
    """SQLite: ``PRAGMA integrity_check`` and ``foreign_key_check``. (PostgreSQL enforces its
    constraints on every write and checksums pages itself; nothing to ask it here.)"""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return []
    problems = [f"integrity: {row[0]}" for row in connection.execute(text("PRAGMA integrity_check")) if row[0] != "ok"]
    broken = [
        f"{row[0]} row {row[1]} names a missing {row[2]}"
        for row in connection.execute(text("PRAGMA foreign_key_check"))
    ]
    return problems + _listed("foreign key", broken)


def missing_blobs() -> list[tuple[str, str]]:
    """``(sha256, what names it)`` for every file version whose blob is not in the upload store."""
    rows = db.session.execute(
        select(
            ResourceVersion.sha256,
            ResourceVersion.resource_id,
            ResourceVersion.number,
            ResourceVersion.original_filename,
        )
        .where(ResourceVersion.sha256.is_not(None))
        .order_by(ResourceVersion.id)
    ).all()
    return absent_blobs(rows, storage.uploads_root())


def absent_blobs(rows, root: str) -> list[tuple[str, str]]:
    """Of ``rows`` (sha256, resource id, version number, file name), the blobs not under ``root``."""
    missing, seen = [], set()
    for sha256, resource_id, number, filename in rows:
        if sha256 in seen:
            continue
        if not os.path.isfile(os.path.join(root, sha256[:2], sha256[2:4], sha256)):
            seen.add(sha256)
            missing.append((sha256, f"resource {resource_id} version {number} ({filename})"))
    return missing


def blob_problems() -> list[str]:
    return _listed("missing blob", [f"{sha} for {what}" for sha, what in missing_blobs()])


def _expected_documents(session) -> set[str]:
    keys = {f"thread:{i}" for i in session.scalars(select(Thread.id).where(Thread.is_deleted.is_(False)))}
    keys |= {f"resource:{i}" for i in session.scalars(select(Resource.id).where(Resource.is_deleted.is_(False)))}
    keys |= {f"community:{i}" for i in session.scalars(select(Community.id))}
    keys |= {f"person:{i}" for i in session.scalars(select(User.id).where(User.is_disabled.is_(False)))}
    return keys


def search_problems() -> list[str]:
    """The index against the database: the outbox applied up to its newest row, then one document per
    live thread, resource, community and active person, and none for anything else."""
    path = search_index.index_dir()
    mark = search_index.read_mark(path)
    with Session(db.engine) as session:
        newest = session.scalar(select(func.max(SearchOutbox.id))) or 0
        backlog = session.scalar(select(func.count()).select_from(SearchOutbox).where(SearchOutbox.id > mark)) or 0
        expected = _expected_documents(session)
    problems = []
    if mark > newest:
        problems.append(
            f"outbox: the index has applied change #{mark} but the outbox ends at #{newest} "
            "(a database restored behind the index?): run `flask cop search reindex`"
        )
    if backlog:
        problems.append(f"outbox: {backlog} changes not applied yet: run `flask cop search catch-up`")
    try:
        ix = search_index.open_index(path)
    except Exception as exc:  # missing or unreadable: that is the finding
        return [*problems, f"index: cannot be opened ({type(exc).__name__}: {exc}): run `flask cop search reindex`"]
    try:
        with ix.searcher() as searcher:
            indexed = {fields["key"] for fields in searcher.reader().all_stored_fields()}
    finally:
        ix.close()
    if not backlog:  # with changes pending, differences are expected: catch up first
        problems += _listed("not in the index", sorted(expected - indexed))
        problems += _listed("in the index but not in the database", sorted(indexed - expected))
    return problems


def counter_problems() -> list[str]:
    return [
        f"counter: {rows} rows with a wrong {name}: run `flask cop repair-counters`"
        for name, rows in wrong_counters().items()
        if rows
    ]


def check() -> CheckReport:
    report = CheckReport()
    report.sections["database"] = database_problems()
    report.sections["blobs"] = blob_problems()
    report.sections["search"] = search_problems()
    report.sections["counters"] = counter_problems()
    db.session.rollback()
    return report
