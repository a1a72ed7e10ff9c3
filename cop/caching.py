"""The one cache layer: per-process, named, bounded (LRU), locked caches of computed values.

Two caches exist, both time-bound reuse of a report's figures (``cop.oversight``), keyed by
everything the figures depend on (the community or scope, the period, the communities the reader
may read) with the fixed version 0, so an entry lives ``REUSE_SECONDS`` (300 s):

* ``reports``: a community report's figures (~0.3 s of SQL for the largest community), reused by
  its print view and CSV export, and by readers of the same communities, within the 300 s.
* ``portfolios``: a sponsor's portfolio figures, reused the same way.

Every other cache was removed (issue 15): on the cold run of the large data set (1M posts; each page
type's 40 distinct URLs asked once, in process) they hit 0-2% of the time (most 0-0.4%) and cost
more CPU than they saved. Hits/misses: search snippets 0/3,200; fragments: pages of replies 0/38,
posts 0/279, thread rows 1/1,378, resource rows 18/933, search facets 0/200, search hits 5/3,195.
Median CPU per page with caches on vs off: thread 21.5 vs 17.5 ms, community home 19.1 vs 12.7 ms,
thread list 24.5 vs 22.6 ms, search about equal. The tag facts cache hit 40 times for 40 misses,
every hit the same request reading a tag's facts a second time (tag page 41 vs 49 ms): a per-request
memo does that now (``cop.tags.services._tag_facts``). And every cache keyed on the newest
search-outbox id was emptied by any write anywhere, so under the write load they paid even less.

(Outside this layer, search keeps two memos of query objects, not page content: the last 256 permission
filters built (``cop.search.filters``, keyed by the communities and narrowing they stand for) and, with
each Whoosh searcher, the permitted document sets (dropped with the searcher after any write). The
related-threads suggestions of a thread with no stored list were kept for 5 minutes: that cache is gone
too, since the indexer stores every thread's list, ``cop.search.related``.)

Each cache lives in the application's registry (``current_app.extensions["cop_caches"]``) and
counts its hits and misses (what a benchmark reads to say whether it pays). ``COP_CACHES_OFF=1``
(``CACHES_OFF``) turns every one off: values are computed on every call, which a test compares with
the cached output (``tests/functional/test_caches_switch.py``).
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_app_context


def enabled() -> bool:
    """False when the current application runs with ``CACHES_OFF``."""
    return not (has_app_context() and current_app.config.get("CACHES_OFF"))


def cache(name: str, size: int, max_age: float) -> "VersionedCache":
    """The application's cache called ``name`` (one per app: each app has its own database)."""
    caches = current_app.extensions.setdefault("cop_caches", {})
    found = caches.get(name)
    if found is None:
        found = caches[name] = VersionedCache(size, max_age)
    return found


class VersionedCache:
    """A bounded LRU mapping ``key -> value`` whose entries hold for one version and ``max_age`` seconds.

    The version is the caller's (a cache used with a fixed version is simply time-bound).
    """

    def __init__(self, size: int, max_age: float):
        self.size = size
        self.max_age = max_age
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0  # what a benchmark reads to say whether the cache pays

    def get(self, key: Hashable, compute: Callable[[], Any], *, version: Hashable) -> Any:
        """The cached value for ``key`` at ``version``, computing it when missing, of another version or old."""
        if not enabled():
            return compute()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] == version and now - entry[1] < self.max_age:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[2]
        value = compute()
        with self._lock:
            self.misses += 1
            self._entries[key] = (version, now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
