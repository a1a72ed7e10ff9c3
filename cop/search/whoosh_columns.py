"""The Whoosh side of the permission filter: its query, and the document sets read from the index's columns.

A permission filter (``cop.search.filters.PermissionFilter``) becomes an ``Or`` of one ``Term`` per
readable community; Whoosh's own matcher over it took minutes on 170,000 documents, so the permitted
document numbers are computed with set operations on the columns, per segment, and cached per searcher.
The facet counts are read from the same columns.
"""

from collections import Counter, OrderedDict
from datetime import timedelta

from whoosh import query as wq

from cop.extensions import utcnow
from cop.search.filters import PermissionFilter, _lru_get, _lru_put
from cop.search.index import NO_VALUE
from cop.search.query import _SCHEMA, CONTENT_TYPES, DATE_RANGES

# Facet name -> the index column it counts.
FACET_COLUMNS = {"type": "type", "community": "community_id", "author": "author_id", "kind": "kind", "status": "status"}
# Built Whoosh filters by permission filter. One is ~2,000 small objects (a term per community), so few are kept.
_QUERIES: OrderedDict = OrderedDict()
_QUERIES_KEPT = 64


def whoosh_filter(flt: PermissionFilter | None):
    """The Whoosh query of ``flt``'s documents (None for None); shared, carrying its key as ``_cop_key``."""
    if flt is None:
        return None
    built = _lru_get(_QUERIES, flt.key)
    if built is not None:
        return built
    parts = [wq.Term("type", "person")]
    if flt.readable:
        content = wq.Or([wq.Term("type", t) for t in CONTENT_TYPES])
        parts.append(content if flt.everything else wq.And([content, _in("community_id", sorted(flt.readable))]))
    if flt.listed:
        kind = wq.Term("type", "community")
        parts.append(kind if flt.everything else wq.And([kind, _in("community_id", sorted(flt.listed))]))
    allowed = wq.Or(parts)
    allowed._cop_key = ("allowed", flt.everything, flt.readable, flt.listed)
    narrowing = [wq.Term(fieldname, value) for fieldname, value in flt.narrowing]
    if flt.since is not None:
        narrowing.append(wq.DateRange("created", flt.since, None))
    built = wq.And([allowed, *narrowing]) if narrowing else allowed
    built._cop_key = flt.key
    _lru_put(_QUERIES, flt.key, built, _QUERIES_KEPT)
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
        cache["leaves"] = [
            (_segment_data(reader), offset, set(reader.segment().deleted_docs()) if reader.has_deletions() else set())
            for reader, offset in searcher.reader().leaf_readers()
        ]
    return cache["leaves"]


def _columns(searcher) -> dict[str, list]:
    """The facet columns as plain lists by document number: the segments' cached lists joined."""
    cache = _searcher_cache(searcher)["columns"]
    if not cache:
        leaves = _leaves(searcher)
        for column in (*FACET_COLUMNS.values(), "tag_list", "created"):
            values = []
            for data, _offset, _deleted in leaves:
                values += data["columns"][column]
            cache[column] = values
    return cache


def _count_facets(searcher, matched: set) -> dict[str, dict]:
    """Counts per facet value over the permitted matches, read from the index's columns.

    Counted with ``Counter(map(...))`` over the column lists, in C: a common word
    matches most of 100,000 threads, and a Python loop over them took ~150 ms.
    """
    columns = _columns(searcher)
    counts: dict[str, dict] = {name: {} for name in (*FACET_COLUMNS, "tag", "date")}
    for name, column in FACET_COLUMNS.items():
        for value, n in Counter(map(columns[column].__getitem__, matched)).items():
            if value and value not in (NO_VALUE, NO_VALUE.encode()):
                value = value.decode("utf-8") if isinstance(value, bytes) else value
                counts[name][value] = counts[name].get(value, 0) + n
    for raw_tags, n in Counter(map(columns["tag_list"].__getitem__, matched)).items():
        if raw_tags:
            for tag in raw_tags.decode("utf-8").split(","):
                counts["tag"][tag] = counts["tag"].get(tag, 0) + n
    created = [when for when in map(columns["created"].__getitem__, matched) if when]
    now = utcnow()
    for key, (_label, days) in DATE_RANGES.items():
        since = _SCHEMA["created"].to_column_value(now - timedelta(days=days))  # the column's raw ticks
        n = sum(1 for when in created if when >= since)
        if n:
            counts["date"][key] = n
    return counts
