"""Similar threads (the new-thread form) and related threads (the thread page), within permissions."""

import logging

from sqlalchemy import select

from cop.communities.models import Community
from cop.discussions.models import Thread
from cop.extensions import db
from cop.search.engine import get_engine
from cop.search.filters import _readable_ids, permission_filter
from cop.search.query import _SCHEMA, MAX_TERMS

log = logging.getLogger(__name__)

SIMILAR_POSTINGS = 5000  # documents scored at most (roughly) to suggest similar threads


def distinctive(frequency: dict[str, int]) -> list[str]:
    """The rarest of the words of ``frequency`` (word -> documents holding it in the searched fields; at
    least one word) whose documents add up to about ``SIMILAR_POSTINGS``.

    Scoring every thread that shares a common word with a title took 0.7-3 s at 100,000 threads
    (a union over tens of thousands of postings, in Python), and under a load of readers every
    worker was busy doing it; the rare words are also the ones that say what a thread is about.
    """
    words = list(frequency)
    chosen: list[str] = []
    postings = 0
    for word in sorted(words, key=lambda w: (frequency[w], w)):
        if chosen and postings + frequency[word] > SIMILAR_POSTINGS:
            break
        chosen.append(word)
        postings += frequency[word]
    return chosen


def similar_threads(user, text: str, *, exclude_id: int | None = None, limit: int = 5) -> list:
    """Threads ``user`` may read whose title or text share words with ``text`` (any of them), best first.

    Each thread the engine finds is checked against the user's readable communities when loaded.
    Returns rows of ``id``, ``title``, ``status``, ``community_id`` and ``community_name``; [] when the
    index is unavailable: a suggestion is never worth an error.
    """
    words = list(dict.fromkeys(token.text for token in _SCHEMA["title"].analyzer(text or "")))[:MAX_TERMS]
    if not words:
        return []
    # The communities the user may read (none when not signed in): the engine's filter and the check on load.
    readable = _readable_ids(user)
    if not readable:
        return []
    try:
        flt = permission_filter(user, readable=readable, type="thread")
        ids = get_engine().similar(text, flt, limit + 1) if flt is not None else []
    except Exception:
        log.warning("similar threads unavailable", exc_info=True)
        return []
    ids = [i for i in ids if i != exclude_id][:limit]
    if not ids:
        return []
    # Shown as title, status and community name: plain rows, checked against the readable communities.
    return _thread_rows(ids, readable)


def related_threads(user, thread, limit: int = 5) -> list:
    """Threads like ``thread`` (its title and tags), excluding itself, that ``user`` may read.

    Read from the list the indexer stored when the thread changed (``cop.search.related``),
    keeping the threads ``user`` may read now; a thread with no stored list yet (the index was
    rebuilt and ``flask cop search related`` has not run) is computed as before.
    """
    from cop.search.models import RelatedThread

    stored = db.session.get(RelatedThread, thread.id)
    if stored is None:
        return similar_threads(
            user,
            " ".join([thread.title, *(t.name for t in thread.tags)]),
            exclude_id=thread.id,
            limit=limit,
        )
    readable = _readable_ids(user)
    ids = [i for i in stored.ids if i != thread.id]
    if not ids or not readable:
        return []
    return _thread_rows(ids, readable)[:limit]


def _thread_rows(ids: list[int], readable: frozenset) -> list:
    """Rows (id, title, status, community_id, community_name) of the live threads ``ids`` in ``readable``
    communities, in the order of ``ids``.

    The communities are checked here, not in SQL: ``ids`` are a few (20 stored per thread), the readable
    communities hundreds, and an ``IN`` of ~900 bound ids cost PostgreSQL 3-10 ms per thread page to
    parse and plan (up to 100 ms), against microseconds for the set lookups.
    """
    found = {
        row.id: row
        for row in db.session.execute(
            select(Thread.id, Thread.title, Thread.status, Thread.community_id, Community.name.label("community_name"))
            .join(Community, Community.id == Thread.community_id)
            .where(Thread.id.in_(ids), Thread.is_deleted.is_(False))
        )
        if row.community_id in readable
    }
    return [found[i] for i in ids if i in found]
