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

from cop.discussions.models import Thread, thread_tags
from cop.extensions import utcnow
from cop.search.models import RelatedThread
from cop.tags.models import Tag

log = logging.getLogger(__name__)

RELATED_KEPT = 20  # candidates stored per thread (the page shows five the viewer may read)
NEIGHBOURS_UPDATED = 2  # of a changed thread's related threads, whose lists are recomputed with it


def signature(title: str, tags) -> str:
    return hashlib.sha1("\x1f".join([title, *sorted(tags)]).encode("utf-8")).hexdigest()


def _sources(session: Session, ids) -> dict[int, tuple[str, list[str]]]:
    """(title, tag names) of the live threads among ``ids``."""
    found: dict[int, tuple[str, list[str]]] = {
        tid: (title, [])
        for tid, title in session.execute(
            select(Thread.id, Thread.title).where(Thread.id.in_(ids), Thread.is_deleted.is_(False))
        )
    }
    for tid, name in session.execute(
        select(thread_tags.c.thread_id, Tag.name)
        .join(Tag, Tag.id == thread_tags.c.tag_id)
        .where(thread_tags.c.thread_id.in_(list(found)))
    ):
        found[tid][1].append(name)
    return found


def refresh(session: Session, find, thread_ids, force: bool = False) -> int:
    """Recompute the stored lists of ``thread_ids`` whose title or tags changed (all with ``force``),
    then those of their closest neighbours; commits ``session``. The number of lists written.

    ``find(thread_id, title, tags, limit)``: the engine's ids of the threads most like one, from every
    community, best first (``SearchEngine.related_finder``).
    """
    changed = _recompute(session, find, sorted(set(thread_ids)), only_changed=not force)
    written = len(changed)
    if not force:  # a backfill (force) recomputes every list anyway
        neighbours = {n for ids in changed.values() for n in ids[:NEIGHBOURS_UPDATED]} - set(changed)
        written += len(_recompute(session, find, sorted(neighbours), only_changed=False))
    session.commit()
    return written


def _recompute(session: Session, find, thread_ids: list[int], only_changed: bool) -> dict[int, list[int]]:
    """Write the lists of ``thread_ids`` (only those whose signature changed, if ``only_changed``); {id: list}."""
    if not thread_ids:
        return {}
    sources = _sources(session, thread_ids)
    stored = {
        row.thread_id: row
        for row in session.scalars(select(RelatedThread).where(RelatedThread.thread_id.in_(thread_ids)))
    }
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
        ids = find(thread_id, title, tags, RELATED_KEPT)
        if row is None:
            row = RelatedThread(thread_id=thread_id)
            session.add(row)
        row.signature, row.related_ids, row.computed_at = sig, ",".join(map(str, ids)), utcnow()
        written[thread_id] = ids
    return written
