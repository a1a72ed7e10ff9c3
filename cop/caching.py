"""Per-process caches of values computed from content, valid for one *content version*.

Every change to searchable content (threads, posts, resources, communities,
people, tags) writes a search-outbox row in its own transaction
(``cop.search.outbox``), so the newest outbox id only moves forward and moves
whenever content changes: a value computed from content while the newest id was
``v`` is still right while it is ``v``. Reading it is one indexed ``MAX(id)``.

Only values that are the same for every viewer belong here (counts per
community, candidate ids in order); what a viewer may see is filtered after
the cache, on every request.

This module is the one cache layer: every cache lives in the application's
registry (``current_app.extensions["cop_caches"]`` / ``["cop_fragments"]``),
is bounded (LRU), locked, and keyed explicitly (a content version, or a key
holding everything a fragment shows). ``COP_CACHES_OFF=1`` (``CACHES_OFF``)
turns every one of them off: values are computed and fragments rendered on
every call, which a test compares with the cached output.

On PostgreSQL ids come from a sequence when a row is inserted, so a transaction
that took an id earlier but commits later does not move the maximum: entries
therefore also expire after ``MAX_AGE`` seconds, which bounds that case.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import func, select

from cop.extensions import db

MAX_AGE = 30.0


def content_version() -> int:
    """The newest search-outbox id (0 before any change), read once per request (again after a commit)."""
    from cop.search.models import SearchOutbox

    known = g.get("_content_version") if has_app_context() else None
    if known is None:
        known = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
        if has_app_context():
            g._content_version = known
    return known


def forget_content_version() -> None:
    if has_app_context():
        g.pop("_content_version", None)


def enabled() -> bool:
    """False when the current application runs with ``CACHES_OFF``."""
    return not (has_app_context() and current_app.config.get("CACHES_OFF"))


def _registered(registry: str, name: str, make: Callable[[], Any]) -> Any:
    """The application's cache ``name`` in ``registry`` (one per app: each app has its own database)."""
    caches = current_app.extensions.setdefault(registry, {})
    found = caches.get(name)
    if found is None:
        found = caches[name] = make()
    return found


def cache(name: str, size: int = 256, max_age: float = MAX_AGE) -> "VersionedCache":
    """The application's cache called ``name``.

    A cache used with a fixed ``version`` (e.g. 0) is simply time-bounded: entries live ``max_age`` seconds.
    """
    return _registered("cop_caches", name, lambda: VersionedCache(size, max_age))


def fragments(name: str, size: int) -> "FragmentCache":
    """The application's fragment cache called ``name`` (see ``FragmentCache``)."""
    return _registered("cop_fragments", name, lambda: FragmentCache(size))


class VersionedCache:
    """A bounded LRU mapping ``key -> value`` whose entries hold for one content version."""

    def __init__(self, size: int = 256, max_age: float = MAX_AGE):
        self.size = size
        self.max_age = max_age
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0  # what the benchmark reads to say whether the cache pays

    def get(self, key: Hashable, compute: Callable[[], Any], version: int | None = None) -> Any:
        """The cached value for ``key`` at the current content version, computing it when missing or old."""
        if not enabled():
            return compute()
        version = content_version() if version is None else version
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

    def peek(self, key: Hashable, version: int) -> Any:
        """The value cached for ``key`` at ``version`` (None when missing or old)."""
        if not enabled():
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version or time.monotonic() - entry[1] >= self.max_age:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[2]

    def put(self, key: Hashable, version: int, value: Any) -> None:
        if not enabled():
            return
        with self._lock:
            self._entries[key] = (version, time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


class FragmentCache:
    """A bounded LRU of rendered HTML fragments keyed by *everything the fragment shows*.

    Called by a template global that builds the key (``post_fragment``, ``thread_row_fragment``, …)
    as ``{% call post_fragment(…) %}…{% endcall %}``: on a miss the block is rendered and kept, on a
    hit it is not rendered at all. The key must hold every value
    the block reads (a post's body, author name, flags of what the viewer may do), so an entry can
    never be stale or shown to someone it was not rendered for: a change to any input is a new key,
    and the old entry simply ages out of the LRU. Nothing per-session (a CSRF token) may be inside.
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __call__(self, key: Hashable, caller: Callable[[], str]) -> str:
        if not enabled():
            return caller()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
        value = caller()
        with self._lock:
            self.misses += 1
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
