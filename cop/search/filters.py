"""The permission filter: what a user may see, as an object every engine turns into its own query.

The filter is built from ``permissions.readable_community_ids`` (and ``listed_community_ids`` for
community documents) on every request: people of any type, threads and resources of the readable
communities, communities the user may know of, narrowed by the selected facets. An engine turns it into
a query object (Whoosh: ``cop.search.whoosh_columns``; Tantivy: a term set on community ids), never into
query text. Counts, facets, snippets and the "did you mean" suggestion all come from searches run with it.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from cop import permissions
from cop.extensions import utcnow
from cop.search.query import DATE_RANGES, TYPE_LABELS


def _readable_ids(user) -> frozenset:
    """The ids of the communities whose content ``user`` may read (empty when not signed in)."""
    return permissions.readable_community_ids(user)


# The module's LRU dictionaries below are shared by a worker's threads (gunicorn gthread): every
# read and write goes through these two, under one lock (a move_to_end racing a popitem raised KeyError).
_LRU_LOCK = threading.Lock()


def _lru_get(cache: OrderedDict, key):
    with _LRU_LOCK:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value


def _lru_put(cache: OrderedDict, key, value, size: int) -> None:
    with _LRU_LOCK:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > size:
            cache.popitem(last=False)


@dataclass(frozen=True)
class PermissionFilter:
    """The documents a user may see, narrowed by facets; hashable, the key of every cache built from it.

    ``everything``: an administrator (every community's content, every community). ``readable``: the
    communities whose threads and resources the user may read; ``listed``: those whose community
    document the user may see. ``narrowing``: (field, value) pairs every document must have
    (type, community_id, tags, author_id, kind, status); ``since``: created at or after. ``known``: every
    community there was when the filter was built: an engine may exclude the communities a user may not
    see (``unreadable``, ``unlisted``) instead of including those they may, when that list is shorter,
    and must then make sure that no other community's documents were found (``TantivyEngine.search``).
    """

    everything: bool
    readable: frozenset
    listed: frozenset
    narrowing: tuple = ()
    since: datetime | None = None
    known: frozenset = frozenset()

    @property
    def key(self) -> tuple:
        return (self.everything, self.readable, self.listed, self.narrowing, self.since, self.known)

    def allowed_only(self) -> "PermissionFilter":
        """The same reader's filter without the narrowing."""
        return PermissionFilter(self.everything, self.readable, self.listed, known=self.known)

    @property
    def unreadable(self) -> frozenset:
        """The known communities whose threads and resources the user may not read."""
        return self.known - self.readable

    @property
    def unlisted(self) -> frozenset:
        """The known communities whose community document the user may not see."""
        return self.known - self.listed


# Filters by what they depend on, shared by everyone who reads the same communities: the object is
# the key of the engines' caches (built queries, permitted document sets), so the same one is handed out.
_FILTERS: OrderedDict = OrderedDict()
_FILTERS_KEPT = 256


def permission_filter(user, *, readable: frozenset | None = None, **selected) -> PermissionFilter | None:
    """What ``user`` may see, narrowed by the selected facets; None if not signed in (nothing at all).

    The communities come from the database on every call (or ``readable``, read by the caller in the
    same request), so a visibility change, a removed member or a moved thread counts at once; the
    filter object is shared (``_FILTERS``) by callers with the same communities and narrowing.
    """
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
        return None
    everything = permissions.is_admin(user)
    readable = _readable_ids(user) if readable is None else readable
    listed = permissions.listed_community_ids(user)
    narrowing_key = []
    if selected.get("type") in TYPE_LABELS:
        narrowing_key.append(("type", selected["type"]))
    if selected.get("community_id"):
        narrowing_key.append(("community_id", str(selected["community_id"])))
    for name, fieldname in (("tag", "tags"), ("author", "author_id"), ("kind", "kind"), ("status", "status")):
        if selected.get(name):
            narrowing_key.append((fieldname, str(selected[name])))
    since = None
    if selected.get("date") in DATE_RANGES:
        # To the hour, so that one filter serves an hour of searches ("past week" may reach an hour further).
        since = (utcnow() - timedelta(days=DATE_RANGES[selected["date"]][1])).replace(minute=0, second=0, microsecond=0)
    known = frozenset() if everything else permissions.known_community_ids()
    built = PermissionFilter(everything, readable, listed, tuple(narrowing_key), since, known)
    shared = _lru_get(_FILTERS, built.key)
    if shared is not None:
        return shared
    _lru_put(_FILTERS, built.key, built, _FILTERS_KEPT)
    return built
