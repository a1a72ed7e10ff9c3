"""The permission filter, and the sets of document numbers it and other column queries select.

The filter is built from ``permissions.readable_community_ids`` (and ``listed_community_ids`` for
community documents) on every request and given to Whoosh as the set of documents the user may see.
Counts, facets, snippets and the "did you mean" suggestion all come from searches run with that filter.
"""
import threading
from collections import OrderedDict
from datetime import timedelta

from whoosh import query as wq

from cop import permissions
from cop.extensions import utcnow
from cop.search.query import CONTENT_TYPES, DATE_RANGES, TYPE_LABELS


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


# Built permission filters by what they depend on (the reader's communities and the narrowing), shared
# by everyone who reads the same communities and reused by one person's next searches (pages, facets):
# building one (an ``Or`` of a term per community, hundreds) and spelling it out as a cache key cost a
# few milliseconds per search. One is ~2,000 small objects, so few are kept.
_FILTERS: OrderedDict = OrderedDict()
_FILTERS_KEPT = 64


def permission_filter(user, *, readable: frozenset | None = None, **selected):
    """The Whoosh query of documents ``user`` may see, narrowed by the selected facets; None if none at all.

    The communities come from the database on every call (or ``readable``, read by the caller in the
    same request), so a visibility change, a removed member or a moved thread counts at once; the
    query object built from them is shared (``_FILTERS``) and carries its key as ``_cop_key``.
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
        since = (utcnow() - timedelta(days=DATE_RANGES[selected["date"]][1])).replace(minute=0, second=0,
                                                                                      microsecond=0)
    key = (everything, readable, listed, tuple(narrowing_key), since)
    built = _lru_get(_FILTERS, key)
    if built is not None:
        return built
    parts = [wq.Term("type", "person")]
    if readable:
        content = wq.Or([wq.Term("type", t) for t in CONTENT_TYPES])
        parts.append(content if everything else wq.And([content, _in("community_id", sorted(readable))]))
    if listed:
        kind = wq.Term("type", "community")
        parts.append(kind if everything else wq.And([kind, _in("community_id", sorted(listed))]))
    allowed = wq.Or(parts)
    allowed._cop_key = ("allowed", everything, readable, listed)
    narrowing = [wq.Term(fieldname, value) for fieldname, value in narrowing_key]
    if since is not None:
        narrowing.append(wq.DateRange("created", since, None))
    built = wq.And([allowed, *narrowing]) if narrowing else allowed
    built._cop_key = key
    _lru_put(_FILTERS, key, built, _FILTERS_KEPT)
    return built


def _query_key(q):
    """A hashable key for a filter query: its ``_cop_key`` when it has one, else its text."""
    return getattr(q, "_cop_key", None) or repr(q)


def _in(fieldname, values):
    return wq.Or([wq.Term(fieldname, str(v)) for v in values])


def _searcher_cache(searcher) -> dict:
    """Values derived from one searcher (it is replaced when the index changes, and these with it)."""
    cache = getattr(searcher, "_cop_cache", None)
    if cache is None:
        cache = searcher._cop_cache = {"allowed": OrderedDict(), "columns": {}}
    return cache


def _allowed_docs(searcher, filter_query) -> set | None:
    """The permitted document numbers as a set (None when there are none).

    Whoosh treats an empty filter as no filter at all, so an empty set must
    never reach it: callers return no results instead. Sets are cached per
    searcher by the filter's text (many people share the same visible communities).
    """
    if filter_query is None:
        return None
    cached = _searcher_cache(searcher)["allowed"]
    key = _query_key(filter_query)
    if key in cached:
        cached.move_to_end(key)
        return cached[key]
    allowed = _docs_matching(searcher, filter_query) or None  # a set: whoosh refuses frozensets
    cached[key] = allowed
    while len(cached) > 64:
        cached.popitem(last=False)
    return allowed


def _docs_matching(searcher, q) -> set:
    """The live document numbers matching a filter query, from the index's columns where it can.

    A permission filter is an ``Or`` of one ``Term`` per readable community (hundreds);
    Whoosh's own matcher took minutes over 170,000 documents, set operations on the
    cached column values take milliseconds. Other queries go to Whoosh.
    """
    if _column_query(q):
        return _column_docs(searcher, q)
    if isinstance(q, wq.Or):
        docs = set()
        for child in q.subqueries:
            docs |= _docs_matching(searcher, child)
        return docs
    if isinstance(q, wq.And):
        parts = sorted((_docs_matching(searcher, child) for child in q.subqueries), key=len)
        docs = parts[0] if parts else set()
        for part in parts[1:]:
            docs &= part
        return docs
    return set(searcher.docs_for_query(q))


_FILTER_COLUMNS = ("type", "community_id", "author_id", "kind", "status")
_FILTERS_PER_SEGMENT = 24  # permission filters remembered per segment (many people share one)


def _column_query(q) -> bool:
    """True when ``q`` is made only of terms on filter columns (a permission filter is)."""
    if isinstance(q, wq.Term):
        return q.fieldname in _FILTER_COLUMNS
    if isinstance(q, (wq.Or, wq.And)):
        return all(_column_query(child) for child in q.subqueries)
    return False


def _local_docs(data: dict, q) -> set:
    """The local document numbers of one segment matching a column query (deletions not applied)."""
    if isinstance(q, wq.Term):
        return set(_by_value(data, q.fieldname).get(_text(q.text), ()))
    parts = [_local_docs(data, child) for child in q.subqueries]
    if isinstance(q, wq.Or):
        return set().union(*parts)
    parts.sort(key=len)
    return parts[0].intersection(*parts[1:]) if parts else set()


def _column_docs(searcher, q) -> set:
    """The live document numbers matching a column query, each segment's answer kept with the segment.

    A segment's documents never change, so under steady writes (a refreshed searcher every few
    seconds) only the new small segments are computed: recomputing a permission filter over the
    whole index on every refresh kept every worker busy under load.
    """
    key = _query_key(q)
    docs: set[int] = set()
    for data, offset, deleted in _leaves(searcher):
        filters = data.setdefault("filters", OrderedDict())
        local = _lru_get(filters, key)
        if local is None:
            local = frozenset(_local_docs(data, q))
            _lru_put(filters, key, local, _FILTERS_PER_SEGMENT)
        if deleted:
            local = local.difference(deleted)
        docs.update(map(offset.__add__, local) if offset else local)
    return docs


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


# Values read from one segment's columns, by segment id. A segment's documents and columns never
# change (only its deletions do), so after a commit only the new small segments are read: a
# searcher refreshed after a write reuses the large segment's lists instead of re-reading them.
_SEGMENTS: OrderedDict = OrderedDict()
_SEGMENTS_KEPT = 64
_SEGMENT_COLUMNS = (*_FILTER_COLUMNS, "tag_list", "created")


def _segment_data(reader) -> dict:
    """{"columns": {column: [value by local docnum]}, "by_value": {column: {value: [local docnums]}}}."""
    segment = reader.segment()
    key = (segment.segment_id(), reader.doc_count_all()) if segment is not None else None
    data = _lru_get(_SEGMENTS, key) if key is not None else None
    if data is not None:
        return data
    size = reader.doc_count_all()
    data = {"columns": {}, "by_value": {}}
    for column in _SEGMENT_COLUMNS:
        # Raw values (bytes, and ticks for "created"): decoding every document's value cost most of
        # a worker's first search; facets decode only the distinct values they show.
        column_reader = reader.column_reader(column, translate=False)
        values = list(column_reader)
        if len(values) != size:  # a short segment column (see index.NO_VALUE): read one by one
            values = [_value_at(column_reader, docnum) for docnum in range(size)]
        data["columns"][column] = values
    if key is not None:
        _lru_put(_SEGMENTS, key, data, _SEGMENTS_KEPT)
    return data


def _value_at(column_reader, docnum):
    try:
        return column_reader[docnum]
    except IndexError:
        return None


def _by_value(data: dict, fieldname: str) -> dict[str, list]:
    index = data["by_value"].get(fieldname)
    if index is None:
        index = {}
        for docnum, value in enumerate(data["columns"][fieldname]):
            if value is not None:
                index.setdefault(_text(value), []).append(docnum)
        data["by_value"][fieldname] = index
    return index


def _leaves(searcher) -> list:
    """(segment data, offset, deleted local docnums) per segment of the searcher, in order."""
    cache = _searcher_cache(searcher)
    if "leaves" not in cache:
        cache["leaves"] = [(_segment_data(reader), offset,
                            set(reader.segment().deleted_docs()) if reader.has_deletions() else set())
                           for reader, offset in searcher.reader().leaf_readers()]
    return cache["leaves"]


