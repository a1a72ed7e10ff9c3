"""The index fed by the outbox (whichever engine), and the Whoosh index: schema, documents, the one writer.

The documents (``thread_docs``... plain dicts built from the database) and the outbox driver below
(``catch_up``, ``rebuild``, ``status``, ``prune_outbox``: the mark, the lock) serve every engine
(``cop.search.engine``); the schema, the searchers and their refresh are Whoosh's.

How changes reach the index:

* Services change rows; ``cop.search.outbox`` writes a ``SearchOutbox`` row for
  every changed thread, post, resource, version, community or person in the
  same transaction, so a committed change always has its outbox row.
* After the commit, ``catch_up`` applies the outbox rows past this index
  copy's mark, in id order, under a non-blocking file lock in the index
  directory: one writer at a time; a process that finds the lock taken skips,
  and the holder, after releasing the lock, looks for rows it has not read
  and applies them too (so a post is never left waiting for the next commit).
* The mark (last applied outbox id) lives in a file in the index directory,
  so each host's copy tails the same outbox on its own, and a rebuilt
  directory carries the mark it was built at.
* Each worker thread keeps one searcher (``get_searcher``). It sees its own
  process's ``catch_up`` at once and other processes' commits within
  ``REFRESH_SECONDS``; a refresh opens only the new segments (the large one
  costs ~1 s to open at 170,000 documents), and ``cop.search.services`` keeps
  what it reads from the columns per segment, so a commit costs the next
  search milliseconds, not a rebuild.

Nothing here raises into a page: index failures are logged and the outbox
keeps the change until a later ``catch_up`` (or ``flask cop search reindex``).
"""

import copy
import fcntl
import gc
import html as htmllib
import json
import logging
import os
import re
import shutil
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session, selectinload, undefer
from whoosh import columns, index as whoosh_index
from whoosh.analysis import StemmingAnalyzer
from whoosh.fields import COLUMN, DATETIME, ID, KEYWORD, TEXT, Schema

from cop.accounts.models import User
from cop.communities.models import Community
from cop.database import rowcount
from cop.discussions.models import Post, Thread
from cop.extensions import db, utcnow
from cop.library.models import Resource, ResourceVersion
from cop.search.models import SearchOutbox

log = logging.getLogger(__name__)

STATE_FILE = "cop_applied.json"
LOCK_FILE = "cop_indexer.lock"
BATCH = 500
# Outbox ids are taken at flush, so on PostgreSQL a later id can commit before
# an earlier one. The mark does not move past a missing id until it is this old
# (by then its transaction has committed, and was applied, or rolled back).
GAP_GRACE = timedelta(minutes=5)
# Outbox rows this host has applied are deleted once they are this old: the margin lets the other hosts'
# copies (each with its own mark) and a copy restored from a backup catch up from the outbox first.
# A copy further behind than this must be rebuilt (`flask cop search reindex`).
OUTBOX_RETENTION = timedelta(days=1)
# How often one process prunes after a catch-up (the `prune-outbox` command prunes on demand).
PRUNE_EVERY = timedelta(hours=1)
_last_pruned: dict[str, datetime] = {}
RESOURCE_TEXT_LIMIT = 200_000


class _ViewIO:
    """A read-only file over a memoryview: reads copy only the bytes asked for."""

    def __init__(self, view):
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = end
        return data

    def readline(self, size: int = -1) -> bytes:
        rest = bytes(self._view[self._pos :] if size is None or size < 0 else self._view[self._pos : self._pos + size])
        cut = rest.find(b"\n")
        line = rest if cut < 0 else rest[: cut + 1]
        self._pos += len(line)
        return line

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: len(self._view)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._view = memoryview(b"")


def _share_segment_files() -> None:
    """Make Whoosh read compound segment files from the shared mmap instead of a private copy.

    Whoosh's ``BufferFile`` wraps each file of a compound segment (terms, postings, lengths…)
    in ``BytesIO(memoryview)``, which copies it: every worker held the whole index in
    anonymous memory (1.2 GB of 2.2 GB resident per worker on the large set, more while
    refreshed searchers overlapped under writes), and opening the searcher was the copy.
    Reading through the memoryview keeps the pages in the page cache, shared by every worker.
    """
    from whoosh.filedb import structfile

    if getattr(structfile.BufferFile, "_cop_shared", False):
        return

    def __init__(self, buf, name=None, onclose=None):
        self._buf = buf
        self._name = name
        self.file = _ViewIO(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False

    structfile.BufferFile.__init__ = __init__
    structfile.BufferFile._cop_shared = True


_share_segment_files()


class IndexUnavailable(Exception):
    """The index directory is missing, locked mid-swap or unreadable."""


def make_schema() -> Schema:
    stem = StemmingAnalyzer()
    return Schema(
        key=ID(unique=True, stored=True),  # "thread:12"
        type=ID(stored=True, sortable=True),
        community_id=ID(stored=True, sortable=True),
        author_id=ID(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        status=ID(stored=True, sortable=True),
        tags=KEYWORD(stored=True, commas=True, lowercase=True),
        tag_list=COLUMN(columns.VarBytesColumn()),  # the same tags, read per hit for the tag facet
        title=TEXT(analyzer=stem, stored=True, field_boost=2.0, spelling=True),
        body=TEXT(analyzer=stem, spelling=True),  # not stored: snippets come from the database
        tagtext=TEXT(analyzer=stem),
        created=DATETIME(stored=True, sortable=True),
        updated=DATETIME(stored=True, sortable=True),
    )


def index_dir(app=None) -> str:
    return (app or current_app).config["SEARCH_INDEX_DIR"]


# --- the mark and the lock --------------------------------------------------------------------


def read_mark(path: str) -> int:
    try:
        with open(os.path.join(path, STATE_FILE), encoding="utf-8") as handle:
            return int(json.load(handle)["last_applied"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def write_mark(path: str, mark: int) -> None:
    """Write the mark atomically (a crash leaves the old mark: rows are re-applied, harmlessly)."""
    temp = os.path.join(path, f".{STATE_FILE}.{os.getpid()}")
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump({"last_applied": mark, "written_at": utcnow().isoformat()}, handle)
    os.replace(temp, os.path.join(path, STATE_FILE))


@contextmanager
def writer_lock(path: str, blocking: bool = False, timeout: float = 60.0):
    """Hold the index directory's writer lock; yields False (without waiting) when another holds it."""
    os.makedirs(path, exist_ok=True)
    fd = os.open(os.path.join(path, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                acquired = True
                break
            except BlockingIOError:
                if not blocking or time.monotonic() > deadline:
                    acquired = False
                    break
                time.sleep(0.05)
        yield acquired
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# --- documents -----------------------------------------------------------------------------------

# Whoosh's column writer does not pad a segment whose last documents lack a column,
# and reading such a column then fails; every document therefore has every column.
NO_VALUE = "-"
COLUMN_FIELDS = ("community_id", "author_id", "kind", "status")


def _clean(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if v not in (None, "")}
    for name in COLUMN_FIELDS:
        doc.setdefault(name, NO_VALUE)
    doc["tag_list"] = doc.get("tags", "").encode("utf-8")
    return doc


_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str | None) -> str:
    """The text a reader sees in stored (sanitized) HTML: tags dropped, entities decoded, spaces collapsed.

    Documents are indexed from it and snippets cut from it, not from the Markdown source: Whoosh's
    tokenizer reads ``**one**`` as the word "**one**" (never found by "one"), and a snippet of
    source shows asterisks and link addresses. The highlighter escapes it again around each ``<mark>``.
    """
    if not html:
        return ""
    return " ".join(htmllib.unescape(_TAG.sub(" ", html)).split())


def thread_docs(session: Session, ids) -> dict[int, dict]:
    """Documents for the threads ``ids`` that should be indexed (deleted threads have none).

    One document per thread: its title and the text of every visible post
    (hidden and deleted posts are left out).
    """
    threads = (
        session.scalars(
            select(Thread).where(Thread.id.in_(ids), Thread.is_deleted.is_(False)).options(selectinload(Thread.tags))
        )
        .unique()
        .all()
    )
    bodies: dict[int, list[str]] = {}
    for thread_id, body in session.execute(
        select(Post.thread_id, Post.body_html)
        .where(Post.thread_id.in_([t.id for t in threads]), Post.is_deleted.is_(False), Post.is_hidden.is_(False))
        .order_by(Post.thread_id, Post.path)
    ):
        bodies.setdefault(thread_id, []).append(plain_text(body))
    return {
        t.id: _clean(
            {
                "key": f"thread:{t.id}",
                "type": "thread",
                "community_id": str(t.community_id),
                "author_id": str(t.author_id) if t.author_id else None,
                "kind": t.kind,
                "status": t.status,
                "tags": ",".join(tag.name for tag in t.tags),
                "tagtext": " ".join(tag.name for tag in t.tags),
                "title": t.title,
                "body": "\n\n".join(bodies.get(t.id, [])),
                "created": t.created_at,
                "updated": t.last_activity_at,
            }
        )
        for t in threads
    }


def resource_docs(session: Session, ids) -> dict[int, dict]:
    """Documents for resources: title, description, and the latest version's text (document or file)."""
    resources = (
        session.scalars(
            select(Resource)
            .where(Resource.id.in_(ids), Resource.is_deleted.is_(False))
            .options(selectinload(Resource.tags))
        )
        .unique()
        .all()
    )
    texts: dict[int, str] = {}
    for version in session.scalars(
        select(ResourceVersion)
        .join(
            Resource,
            and_(Resource.id == ResourceVersion.resource_id, Resource.latest_version == ResourceVersion.number),
        )
        .where(ResourceVersion.resource_id.in_([r.id for r in resources]))
        .options(undefer(ResourceVersion.text_content))
    ):
        texts[version.resource_id] = (
            plain_text(version.body_html) if version.body_html else version.text_content or ""
        )[:RESOURCE_TEXT_LIMIT]
    return {
        r.id: _clean(
            {
                "key": f"resource:{r.id}",
                "type": "resource",
                "community_id": str(r.community_id),
                "author_id": str(r.author_id) if r.author_id else None,
                "kind": r.kind,
                "tags": ",".join(tag.name for tag in r.tags),
                "tagtext": " ".join(tag.name for tag in r.tags),
                "title": r.title,
                "body": "\n\n".join(filter(None, [plain_text(r.description_html), texts.get(r.id, "")])),
                "created": r.created_at,
                "updated": r.updated_at,
            }
        )
        for r in resources
    }


def community_docs(session: Session, ids) -> dict[int, dict]:
    """Communities by name and domain statement (what anyone who may know of it can read)."""
    communities = (
        session.scalars(select(Community).where(Community.id.in_(ids)).options(selectinload(Community.domain_tags)))
        .unique()
        .all()
    )
    return {
        c.id: _clean(
            {
                "key": f"community:{c.id}",
                "type": "community",
                "community_id": str(c.id),
                "tags": ",".join(t.name for t in c.domain_tags),
                "tagtext": " ".join(t.name for t in c.domain_tags),
                "title": c.name,
                "body": c.domain,
                "created": c.created_at,
                "updated": c.updated_at,
            }
        )
        for c in communities
    }


def person_docs(session: Session, ids) -> dict[int, dict]:
    """People by name, handle, role, department, location, bio and expertise (not disabled accounts)."""
    users = (
        session.scalars(
            select(User).where(User.id.in_(ids), User.is_disabled.is_(False)).options(selectinload(User.expertise))
        )
        .unique()
        .all()
    )
    return {
        u.id: _clean(
            {
                "key": f"person:{u.id}",
                "type": "person",
                "tags": ",".join(t.name for t in u.expertise),
                "tagtext": " ".join(t.name for t in u.expertise),
                "title": u.display_name,
                "body": "\n".join(filter(None, [u.handle, u.title, u.department, u.location, plain_text(u.bio_html)])),
                "created": u.created_at,
                "updated": u.created_at,
            }
        )
        for u in users
    }


# Each document type's model and the function building its documents from a list of ids.
Builder = Callable[[Session, list[int]], dict[int, dict]]
BUILDERS: dict[str, tuple[type[Thread] | type[Resource] | type[Community] | type[User], Builder]] = {
    "thread": (Thread, thread_docs),
    "resource": (Resource, resource_docs),
    "community": (Community, community_docs),
    "person": (User, person_docs),
}


def _apply(session: Session, rows, upsert, delete) -> None:
    """Upsert or delete the document of every (doc_type, doc_id) in ``rows``, from the database's state now:
    ``upsert(document)`` (a dict, replacing the document of the same key) or ``delete(key)``."""
    wanted: dict[str, set[int]] = {}
    for doc_type, doc_id in rows:
        wanted.setdefault(doc_type, set()).add(doc_id)
    for doc_type, ids in wanted.items():
        _model, build = BUILDERS[doc_type]
        ordered = sorted(ids)
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            docs = build(session, chunk)
            for doc_id in chunk:
                doc = docs.get(doc_id)
                if doc is None:
                    delete(f"{doc_type}:{doc_id}")
                else:
                    upsert(doc)


# --- applying the outbox ------------------------------------------------------------------------


def open_index(path: str):
    """Open the index at ``path``.

    :raise IndexUnavailable: missing or unreadable. Whoosh leaves the file
        of a corrupt table of contents open when it fails; it is collected
        here, quietly, rather than warned about at some later moment.
    """
    failure = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return whoosh_index.open_dir(path)
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
        gc.collect()
    raise IndexUnavailable(failure)


def _open_or_create(path: str):
    # Not whoosh's exists_in(): it reads (and, when corrupt, leaks) the table of contents.
    if any(name.endswith(".toc") for name in os.listdir(path)):
        return open_index(path)
    if "meta.json" in os.listdir(path):
        raise IndexUnavailable("a Tantivy index (COP_SEARCH_ENGINE changed?): run `flask cop search reindex`")
    fresh = not [name for name in os.listdir(path) if name != LOCK_FILE]
    (log.info if fresh else log.warning)("search index missing at %s: creating it and replaying the outbox", path)
    return whoosh_index.create_in(path, make_schema())


def _next_mark(mark: int, rows, now) -> int:
    for row in rows:
        if row.id != mark + 1 and row.created_at > now - GAP_GRACE:
            break  # an earlier id may still be in flight; re-read from here next time
        mark = row.id
    return mark


def catch_up(app=None, limit: int = 5000) -> int | None:
    """Apply pending outbox rows to this host's index; the number applied, or None if skipped or failed.

    A process that finds the lock taken leaves its rows to the holder, so the holder looks
    once more *after* releasing the lock: a commit whose catch-up gave up while the holder
    was applying rows it had read before that commit would otherwise wait for the next
    commit anywhere — under a burst of writes that ends, forever (a post in the index only
    after a restart, never found by search within 30 s). The skipper's commit precedes its
    attempt, which precedes the holder's release, which precedes the holder's look.

    Never raises: a locked index is left to its holder, a broken one is
    logged (search reports itself unavailable until ``reindex``).
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, it is the proxy
    path = index_dir(app)
    applied = None
    try:
        while True:
            with writer_lock(path) as locked:
                if not locked:
                    break
                done, seen = _apply_pending(path, limit)
                applied = (applied or 0) + done
            with Session(db.engine) as session:
                if not session.scalar(select(SearchOutbox.id).where(SearchOutbox.id > seen).limit(1)):
                    break
    except Exception:
        log.warning("search index update failed at %s; the outbox keeps the changes", path, exc_info=True)
        return None
    if applied is not None:
        from cop.search.engine import get_engine

        get_engine(app).note_local_write()  # caught up: this process's next search sees every change applied so far
        if utcnow() - _last_pruned.get(path, datetime.min) >= PRUNE_EVERY:
            prune_outbox(app)
    return applied


def prune_outbox(app=None, keep: timedelta = OUTBOX_RETENTION) -> int | None:
    """Delete the outbox rows this host's index has applied that are older than ``keep``; how many.

    Only rows at or below this index's mark go, so a change is never dropped before this copy has it;
    ``keep`` is the margin for the other hosts' copies (see ``OUTBOX_RETENTION``). The newest row always
    stays: SQLite hands out max(id) + 1 (no AUTOINCREMENT), so with it gone new rows would get ids at or
    below the marks and never be applied. Never raises: a failure is logged and the rows stay (None).
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, it is the proxy
    path = index_dir(app)
    _last_pruned[path] = utcnow()
    try:
        mark = read_mark(path)
        with Session(db.engine) as session:
            newest = select(func.max(SearchOutbox.id)).scalar_subquery()
            deleted = rowcount(
                session.execute(
                    delete(SearchOutbox).where(
                        SearchOutbox.id <= mark, SearchOutbox.id < newest, SearchOutbox.created_at < utcnow() - keep
                    )
                )
            )
            session.commit()
    except Exception:
        log.warning("pruning the search outbox failed", exc_info=True)
        return None
    return deleted


def _apply_pending(path: str, limit: int) -> tuple[int, int]:
    """Apply the outbox rows past the mark (the caller holds the lock); (rows applied, highest id read)."""
    from cop.search.engine import get_engine

    engine = get_engine()
    applied = 0
    seen = read_mark(path)
    with engine.writing(path) as apply, Session(db.engine) as session:
        while True:
            mark = read_mark(path)
            rows = session.execute(
                select(SearchOutbox.id, SearchOutbox.doc_type, SearchOutbox.doc_id, SearchOutbox.created_at)
                .where(SearchOutbox.id > mark)
                .order_by(SearchOutbox.id)
                .limit(limit)
            ).all()
            if not rows:
                break
            apply(session, [(r.doc_type, r.doc_id) for r in rows])
            applied += len(rows)
            seen = max(seen, rows[-1].id)
            _refresh_related(engine, path, session, {r.doc_id for r in rows if r.doc_type == "thread"})
            new_mark = _next_mark(mark, rows, utcnow())
            write_mark(path, new_mark)
            if len(rows) < limit or new_mark == mark:
                break
    return applied, seen


def _refresh_related(engine, path: str, session: Session, thread_ids) -> None:
    """Recompute the stored related threads of changed threads (``cop.search.related``); never raises."""
    if not thread_ids:
        return
    from cop.search import related

    try:
        related.refresh(session, engine.related_finder(path), thread_ids)
    except Exception:
        session.rollback()
        log.warning("related threads not updated for %d threads", len(thread_ids), exc_info=True)


# --- rebuilding -------------------------------------------------------------------------------------


def count_documents_to_build(session: Session) -> int:
    return sum(session.scalar(select(func.count()).select_from(model)) or 0 for model, _ in BUILDERS.values())


def rebuild(app=None, progress=None, limitmb: int = 256, procs: int = 1) -> int:
    """Build a fresh index from the database in a new directory and swap it in; the number of documents.

    One writer, one commit. The new directory's mark is the newest outbox id
    seen before reading any row, so changes made during the build are
    applied by the next ``catch_up``. ``progress(n)`` is called as rows are read.
    ``limitmb`` and ``procs`` are Whoosh's (memory per writer, writer processes).
    """
    from cop.search.engine import engine_name, get_engine

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, it is the proxy
    engine = get_engine(app)
    options = {"limitmb": limitmb, "procs": procs} if engine_name(app) == "whoosh" else {}
    path = os.path.abspath(index_dir(app))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    building = f"{path}.new-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    os.makedirs(building)
    documents = 0
    with Session(db.engine) as session:
        mark = session.scalar(select(func.max(SearchOutbox.id))) or 0
        with engine.building(building, **options) as add:
            for model, build in BUILDERS.values():
                last = 0
                while True:
                    ids = list(session.scalars(select(model.id).where(model.id > last).order_by(model.id).limit(BATCH)))
                    if not ids:
                        break
                    for doc in build(session, ids).values():
                        add(doc)
                        documents += 1
                    if progress:
                        progress(len(ids))
                    last = ids[-1]
                    session.expunge_all()
    write_mark(building, mark)
    retired = f"{path}.old-{os.getpid()}-{int(time.time())}"
    with writer_lock(path, blocking=True):
        os.rename(path, retired)
        os.rename(building, path)
    shutil.rmtree(retired, ignore_errors=True)
    return documents


def status(app=None) -> dict:
    """Documents in this host's index, the outbox backlog past its mark, and the last change applied."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, it is the proxy
    path = index_dir(app)
    mark = read_mark(path)
    info = {"path": path, "available": False, "documents": None, "last_applied": mark}
    try:
        from cop.search.engine import get_engine

        info["documents"] = get_engine(app).document_count(path)
        info["available"] = True
    except Exception as exc:  # missing or broken: report it
        info["error"] = f"{type(exc).__name__}: {exc}"
    with Session(db.engine) as session:
        info["backlog"] = (
            session.scalar(select(func.count()).select_from(SearchOutbox).where(SearchOutbox.id > mark)) or 0
        )
        info["last_applied_at"] = session.scalar(select(SearchOutbox.created_at).where(SearchOutbox.id == mark))
    return info


# --- one searcher per worker --------------------------------------------------------------------------

_local = threading.local()
_MAX_OPEN = 4
# Another process's commit is seen at most this long after it (a check of the table of contents
# per request is cheap, but a new searcher on every commit under a stream of writes is not).
REFRESH_SECONDS = 0.5
# Bumped by ``catch_up`` after each commit: this process's own writes are seen by its next search.
_local_writes = [0]


def get_searcher(path: str):
    """This thread's searcher for ``path``, refreshed when the index changed, reopened after a swap.

    Refreshed at most every ``REFRESH_SECONDS`` for other processes' commits, at once after this
    process's own; a refresh reuses the readers of unchanged segments (see ``_refresh``).

    :raise IndexUnavailable: the directory is missing or cannot be opened.
    """
    cache = getattr(_local, "searchers", None)
    if cache is None:
        cache = _local.searchers = OrderedDict()
    try:
        inode = os.stat(path).st_ino
    except OSError:
        raise IndexUnavailable("no index directory") from None
    entry = cache.get(path)
    now = time.monotonic()
    if entry is not None and entry[0] == inode:
        _inode, searcher, checked_at, writes = entry
        cache.move_to_end(path)
        if writes == _local_writes[0] and now - checked_at < REFRESH_SECONDS:
            return searcher
        try:
            if not searcher.up_to_date():
                searcher = _refresh(searcher)
            cache[path] = (inode, searcher, now, _local_writes[0])
            return searcher
        except Exception:  # unreadable now: reopen below
            log.info("search index refresh failed at %s; reopening", path, exc_info=True)
        cache.pop(path, None)
        _close_quietly(searcher)
    elif entry is not None:
        cache.pop(path, None)
        _close_quietly(entry[1])
    ix = open_index(path)
    writes = _local_writes[0]
    try:
        searcher = ix.searcher()
    except Exception as exc:
        raise IndexUnavailable(f"{type(exc).__name__}: {exc}") from None
    cache[path] = (inode, searcher, now, writes)
    while len(cache) > _MAX_OPEN:
        _path, (_inode, old, _at, _w) = cache.popitem(last=False)
        _close_quietly(old)
    return searcher


def _refresh(searcher):
    """A searcher on the index's latest generation, reusing the readers of segments it still has.

    Opening the large segment's reader costs about a second; only new segments are opened.
    Not Whoosh's ``Searcher.refresh()``: it reuses a segment's reader with the deletions of the
    old generation (an updated document would be found twice) and can re-add merged segments.
    A reused reader is a shallow copy carrying the new segment (and so its deletions); readers
    of segments gone from the index are closed. The old searcher must not be used afterwards.
    """
    from whoosh.reading import EmptyReader, MultiReader, SegmentReader

    ix = searcher._ix
    toc = ix._read_toc()
    old = {
        r.segment().segment_id(): r for r, _offset in searcher.reader().leaf_readers() if isinstance(r, SegmentReader)
    }
    readers = []
    for segment in toc.segments:
        previous = old.pop(segment.segment_id(), None)
        if previous is None:
            readers.append(SegmentReader(ix.storage, toc.schema, segment, generation=toc.generation))
            continue
        reader = copy.copy(previous)
        reader.__dict__.pop("deleted_docs_set", None)  # a cached property: the old generation's deletions
        reader._segment = segment
        reader._gen = toc.generation
        reader._perdoc = copy.copy(previous._perdoc)
        reader._perdoc._segment = segment
        readers.append(reader)
    for gone in old.values():
        try:
            gone.close()
        except Exception:
            pass
    if not readers:
        reader = EmptyReader(toc.schema)
    elif len(readers) == 1:
        reader = readers[0]
    else:
        reader = MultiReader(readers, generation=toc.generation)
    return searcher.__class__(reader, fromindex=ix, weighting=searcher.weighting)


def note_local_write() -> None:
    """This process changed the index: its searchers refresh before their next search."""
    _local_writes[0] += 1


def _close_quietly(searcher) -> None:
    try:
        searcher.close()
    except Exception:  # a searcher on deleted files may fail to close; it is dropped either way
        pass
