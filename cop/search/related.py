"""Related threads, computed by the indexer when a thread changes and stored in ``related_threads``.

Scoring every thread that shares a word with a thread's title was 77% of a cold thread
page at 100,000 threads; the page now reads one stored row. The indexer (``index.catch_up``)
recomputes a thread's list when the thread is new or its title or tags changed (a reply
changes neither), and then the lists of the threads it found most related, so that an older
thread learns of a newer one like it. Lists hold candidates from every community, best
first; what a viewer may read is checked on every load (``services.related_threads``).
"""
import hashlib
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import query as wq

from cop.discussions.models import Thread, thread_tags
from cop.extensions import utcnow
from cop.search.models import RelatedThread
from cop.tags.models import Tag

log = logging.getLogger(__name__)

RELATED_KEPT = 20  # candidates stored per thread (the page shows five the viewer may read)
NEIGHBOURS_UPDATED = 2  # of a changed thread's related threads, whose lists are recomputed with it
FIELDS = ("title", "body", "tagtext")


def signature(title: str, tags) -> str:
    return hashlib.sha1("\x1f".join([title, *sorted(tags)]).encode("utf-8")).hexdigest()


def _sources(session: Session, ids) -> dict[int, tuple[str, list[str]]]:
    """(title, tag names) of the live threads among ``ids``."""
    found = {tid: (title, []) for tid, title in session.execute(
        select(Thread.id, Thread.title).where(Thread.id.in_(ids), Thread.is_deleted.is_(False)))}
    for tid, name in session.execute(select(thread_tags.c.thread_id, Tag.name).join(Tag, Tag.id == thread_tags.c.tag_id)
                                     .where(thread_tags.c.thread_id.in_(list(found)))):
        found[tid][1].append(name)
    return found


def candidates(searcher, thread_id: int, title: str, tags, limit: int = RELATED_KEPT) -> list[int]:
    """The ids of the threads most like (``title``, ``tags``), best first, from every community."""
    from cop.search.filters import _allowed_docs
    from cop.search.query import _SCHEMA, MAX_TERMS
    from cop.search.similar import _distinctive

    words = list(dict.fromkeys(token.text for token in _SCHEMA["title"].analyzer(" ".join([title, *tags]))))[:MAX_TERMS]
    if not words:
        return []
    threads = _allowed_docs(searcher, wq.Term("type", "thread"))
    if not threads:
        return []
    q = wq.Or([wq.Term(fieldname, w) for w in _distinctive(searcher, words) for fieldname in FIELDS])
    ids = [int(hit["key"].split(":", 1)[1]) for hit in searcher.search(q, filter=threads, limit=limit + 1)]
    return [i for i in ids if i != thread_id][:limit]


def refresh(session: Session, searcher, thread_ids, force: bool = False) -> int:
    """Recompute the stored lists of ``thread_ids`` whose title or tags changed (all with ``force``),
    then those of their closest neighbours; commits ``session``. The number of lists written."""
    changed = _recompute(session, searcher, sorted(set(thread_ids)), only_changed=not force)
    written = len(changed)
    if not force:  # a backfill (force) recomputes every list anyway
        neighbours = {n for ids in changed.values() for n in ids[:NEIGHBOURS_UPDATED]} - set(changed)
        written += len(_recompute(session, searcher, sorted(neighbours), only_changed=False))
    session.commit()
    return written


def _recompute(session: Session, searcher, thread_ids: list[int], only_changed: bool) -> dict[int, list[int]]:
    """Write the lists of ``thread_ids`` (only those whose signature changed, if ``only_changed``); {id: list}."""
    if not thread_ids:
        return {}
    sources = _sources(session, thread_ids)
    stored = {row.thread_id: row for row in session.scalars(
        select(RelatedThread).where(RelatedThread.thread_id.in_(thread_ids)))}
    written = {}
    for thread_id in thread_ids:
        source = sources.get(thread_id)
        if source is None:
            continue  # deleted: its list is never shown (and goes with the row)
        title, tags = source
        sig = signature(title, tags)
        row = stored.get(thread_id)
        if only_changed and row is not None and row.signature == sig:
            continue
        ids = candidates(searcher, thread_id, title, tags)
        if row is None:
            row = RelatedThread(thread_id=thread_id)
            session.add(row)
        row.signature, row.related_ids, row.computed_at = sig, ",".join(map(str, ids)), utcnow()
        written[thread_id] = ids
    return written
