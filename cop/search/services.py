"""Searching: parse safely, filter by permissions on the server, load hits back from the database.

The permission filter is built from ``permissions.visible_communities`` (and
``listed_communities`` for community documents) on every request and given
to Whoosh as the set of documents the user may see; the user's text is only
ever parsed over the content fields (title, body, tags), so it can neither
name another field nor widen the filter. Counts, facets, snippets and the
"did you mean" suggestion all come from searches run with that filter.
"""
import heapq
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from markupsafe import Markup
from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload
from whoosh import query as wq
from whoosh import sorting
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.qparser import (AndGroup, BoostPlugin, EveryPlugin, FieldsPlugin, MultifieldParser, RangePlugin,
                            WildcardPlugin)

from cop import caching, permissions
from cop.accounts.models import User
from cop.communities.models import Community
from cop.discussions.models import KIND_LABELS, STATUSES, Post, Thread
from cop.errors import DomainError
from cop.extensions import db, utcnow
from cop.library.models import KIND_LABELS as RESOURCE_KIND_LABELS
from cop.library.models import Resource, ResourceVersion
from cop.search.index import NO_VALUE, IndexUnavailable, get_searcher, index_dir, make_schema, plain_text
from cop.search.models import SearchLog

log = logging.getLogger(__name__)

CONTENT_FIELDS = ("title", "body", "tagtext")
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
PER_PAGE = 20
TYPE_LABELS = {"thread": "Thread", "resource": "Resource", "community": "Community", "person": "Person"}
CONTENT_TYPES = ("thread", "resource")
DATE_RANGES = {"week": ("Past week", 7), "month": ("Past month", 30), "year": ("Past year", 365)}
FACET_NAMES = ("type", "community", "tag", "author", "date", "kind", "status")
SORTS = ("relevance", "date")
FACET_COMMUNITIES = 15  # communities listed in the community facet (the busiest)
GAP_WINDOW = timedelta(days=90)
_SCHEMA = make_schema()
_WORD = re.compile(r"\w+", re.UNICODE)


class QueryError(DomainError):
    """The query cannot be run as typed (too long, too many words, nothing to look for)."""


class SearchUnavailable(Exception):
    """The index is missing or broken; pages keep working and search says so."""


@dataclass
class Hit:
    type: str
    id: int
    obj: object
    title: Markup
    snippet: Markup
    post: Post | None = None     # for a thread: the post that matched best

    @property
    def type_label(self) -> str:
        return TYPE_LABELS[self.type]


@dataclass
class Facet:
    name: str
    label: str
    options: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, count)


@dataclass
class SearchResults:
    query: str
    total: int
    page: int
    pages: int
    hits: list[Hit]
    facets: list[Facet]
    suggestion: str | None = None
    # True when only the best PHRASE_CANDIDATES documents were checked (a phrase of common words):
    # the total and the facets count the matches among those.
    capped: bool = False


def normalize_query(text: str) -> str:
    return " ".join((text or "").split()).lower()[:MAX_QUERY_CHARS]


def make_parser(fields=CONTENT_FIELDS, group=AndGroup) -> MultifieldParser:
    """A parser over the content fields only: no ``field:`` syntax, wildcards, ranges, boosts or ``*:*``."""
    parser = MultifieldParser(list(fields), _SCHEMA, group=group)
    for plugin in (FieldsPlugin, WildcardPlugin, RangePlugin, BoostPlugin, EveryPlugin):
        parser.remove_plugin_class(plugin)
    return parser


def _positive_terms(q) -> list:
    """The terms a query looks for (ignoring NOT branches): a query of only negations finds nothing useful."""
    if isinstance(q, wq.Not):
        return []
    if isinstance(q, wq.AndNot):
        return _positive_terms(q.a)
    if q.is_leaf():
        return list(q.iter_all_terms(phrases=True))
    return [term for child in q.children() for term in _positive_terms(child)]


def parse_query(text: str):
    """Parse user text into a Whoosh query over the content fields.

    :raise QueryError: over ``MAX_QUERY_CHARS`` characters or ``MAX_TERMS``
        words, or nothing left to look for.
    """
    text = " ".join((text or "").split())
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"Searches are limited to {MAX_QUERY_CHARS} characters. Shorten it and try again.")
    if len(_WORD.findall(text)) > MAX_TERMS:
        raise QueryError(f"Searches are limited to {MAX_TERMS} words. Keep the ones that matter most.")
    try:
        q = make_parser().parse(text).normalize()
    except Exception:  # the parser is forgiving, but a query must never become a 500
        log.info("unparseable search %r", text, exc_info=True)
        raise QueryError("That search could not be understood. Try plain words.") from None
    if q is wq.NullQuery or not _positive_terms(q):
        raise QueryError("There is nothing to look for in that search: add a word that is not an operator.")
    return q


# --- the permission filter ---------------------------------------------------------------------

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
    docs = set()
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


def _searcher():
    try:
        return get_searcher(index_dir())
    except IndexUnavailable as exc:
        log.warning("search unavailable: %s", exc)
        raise SearchUnavailable() from None


# --- search -------------------------------------------------------------------------------------

# Facet name -> the index column it counts.
FACET_COLUMNS = {"type": "type", "community": "community_id", "author": "author_id", "kind": "kind",
                 "status": "status"}


def search(user, text: str, *, page: int = 1, sort: str = "relevance", per_page: int = PER_PAGE,
           **selected) -> SearchResults:
    """One page of what ``user`` may see that matches ``text``, with facets and a suggestion.

    ``selected`` narrows by facet: type, community_id, tag, author (user id),
    kind, status, date ("week", "month", "year").
    :raise QueryError: the text cannot be searched (see ``parse_query``).
    :raise SearchUnavailable: the index is missing or broken.
    """
    q = parse_query(text)
    searcher = _searcher()
    try:
        readable = _readable_ids(user)
        filter_query = permission_filter(user, readable=readable, **selected)
        allowed = _allowed_docs(searcher, filter_query)
        if allowed is None:
            return SearchResults(text, 0, 1, 1, [], [], None)
        # The same search (words, filter, sort, page) on the same searcher is answered from its
        # cache: a common word costs ~0.5 s to count and score at 100,000 threads, and the
        # cache lives until the searcher is refreshed (REFRESH_SECONDS, or this process's write).
        cached = _searcher_cache(searcher).setdefault("results", OrderedDict())
        key = (repr(q), _query_key(filter_query), sort, page, per_page)
        if key in cached:
            cached.move_to_end(key)
            total, page, pages, results, facets, capped = cached[key]
        else:
            # Not terms=True below: recording the matched terms of every scored document cost a
            # third of the search; highlights use the query's terms instead.
            sortedby = sorting.FieldFacet("updated", reverse=True) if sort == "date" else None
            capped = False
            if _has_phrase(q):
                # Positions are checked only for the best PHRASE_CANDIDATES documents holding the
                # phrase's words (ranked, skipping non-competitive blocks), not for every document
                # holding them: that was 2.4 s for two common words on a million posts.
                loose = q.accept(_phrase_words)
                best = _top(searcher, loose, allowed, PHRASE_CANDIDATES, None)
                candidates = [docnum for _score, docnum in best.top_n]
                capped = len(candidates) >= PHRASE_CANDIDATES
                matched = (set(searcher.docs_for_query(wq.And([DocSet(searcher, candidates), q])))
                           if candidates else set())
                query_for_page = loose  # a phrase scores as its words
            else:
                # Every permitted match, unscored (fast), for the total and the facet counts...
                matched = allowed.intersection(_docs_matching(searcher, q))  # a new set: the cached one is shared
                query_for_page = q
            total = len(matched)
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            # ...and only the requested page scored and sorted.
            results = (_top(searcher, query_for_page, matched if query_for_page is not q else allowed,
                            page * per_page, sortedby) if matched else None)
            # The facets (counts and names) are kept with the results: counting and naming a common
            # word's tens of thousands of matches cost more than the rest of the page.
            facets = _facets(_count_facets(searcher, matched))
            cached[key] = (total, page, pages, results, facets, capped)
            while len(cached) > 32:
                cached.popitem(last=False)
        hits = []
        if results is not None:
            results.fragmenter = ContextFragmenter(maxchars=240, surround=60)
            results.formatter = HtmlFormatter(tagname="mark", classname="hl", between=" … ")
            # A slice, not list(results): list() asks len(), which counts every match again.
            hits = _load_hits(user, results[(page - 1) * per_page:page * per_page], q, readable)
        # Only when nothing was found: a search with hits needs no correction.
        suggestion = _suggest(searcher, allowed, text, total) if total == 0 else None
        return SearchResults(text, total, page, pages, hits, facets, suggestion, capped)
    except (QueryError, SearchUnavailable):
        raise
    except Exception:
        log.warning("search failed for %r", text, exc_info=True)
        raise SearchUnavailable() from None


TOP_WIDENING = 4  # unfiltered top-N asks this many times the page's documents, then keeps the permitted


def _top(searcher, q, allowed: set, limit: int, sortedby):
    """The best ``limit`` documents matching ``q`` among ``allowed``, as Whoosh ``Results``.

    Whoosh skips blocks of postings that cannot enter the top N (block-max) only when no filter
    is given: a filter makes it step through and score every match. So the top
    ``TOP_WIDENING * limit`` are asked without one and the permitted kept; only when too few of
    them are permitted (someone who may read little of a common word's matches) is the filtered,
    exhaustive search run.
    """
    if sortedby is None:
        wide = max(limit * TOP_WIDENING, 100)
        unfiltered = searcher.search(q, limit=wide)
        permitted = [(score, docnum) for score, docnum in unfiltered.top_n if docnum in allowed]
        if len(permitted) >= limit or len(unfiltered.top_n) < wide:
            from whoosh.searching import Results

            return Results(searcher, q, permitted[:limit])
    return searcher.search(q, filter=allowed, limit=limit, sortedby=sortedby)


PHRASE_CANDIDATES = 1000  # documents whose positions a phrase search checks, at most


class DocSet(wq.Query):
    """The documents ``docnums`` (of ``searcher``), as a query: ``And([DocSet(...), q])`` runs ``q``'s
    matchers only where the set has documents, skipping to each (a filter would let ``q`` match
    everywhere first)."""

    def __init__(self, searcher, docnums):
        self._by_reader = {}
        wanted = sorted(docnums)
        for reader, offset in searcher.reader().leaf_readers():
            end = offset + reader.doc_count_all()
            self._by_reader[id(reader)] = [d - offset for d in wanted if offset <= d < end]
        self._key = tuple(wanted)

    def __repr__(self):
        return f"DocSet({len(self._key)})"

    def __eq__(self, other):
        return isinstance(other, DocSet) and other._key == self._key

    def __hash__(self):
        return hash(self._key)

    def is_leaf(self):
        return True

    def estimate_size(self, ixreader):
        return len(self._key)

    def normalize(self):
        return self

    def matcher(self, searcher, context=None):
        from whoosh.matching import ListMatcher, NullMatcher

        ids = self._by_reader.get(id(searcher.reader()))
        return ListMatcher(ids, all_weights=0.0) if ids else NullMatcher()

    def docs(self, searcher):
        return iter(self._by_reader.get(id(searcher.reader()), ()))


def _has_phrase(q) -> bool:
    return isinstance(q, wq.Phrase) or any(_has_phrase(child) for child in q.children())


def _phrase_words(q):
    if isinstance(q, wq.Phrase):
        return wq.And([wq.Term(q.fieldname, word) for word in q.words], boost=q.boost)
    return q


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


def _value_at(column_reader, docnum):
    try:
        return column_reader[docnum]
    except IndexError:
        return None


def _count_facets(searcher, matched: set) -> dict[str, dict]:
    """Counts per facet value over the permitted matches, read from the index's columns.

    Counted with ``Counter(map(...))`` over the column lists, in C: a common word
    matches most of 100,000 threads, and a Python loop over them took ~150 ms.
    """
    columns = _columns(searcher)
    counts = {name: {} for name in (*FACET_COLUMNS, "tag", "date")}
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


def _terms_of(q) -> set[str]:
    return {text if isinstance(text, str) else text.decode("utf-8", "replace")
            for fieldname, text in _positive_terms(q) if fieldname in CONTENT_FIELDS}


_TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # the body analyzer's tokenizer


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    from whoosh.lang.porter import stem

    return stem(word)


def _best_post(posts: list[Post], terms: set[str]) -> Post | None:
    """The visible post of a thread that contains the most of the query's terms (first one on a tie).

    Each post's distinct words are stemmed (cached) rather than run through the analyzer token by
    token: a page of thread hits holds a few hundred posts.
    """
    best, best_score = None, 0
    for post in posts:
        words = {_stem(word) for word in set(_TOKEN.findall(plain_text(post.body_html).lower()))}
        score = len(terms & words)
        if score > best_score:
            best, best_score = post, score
    return best


def _highlight(hit, fieldname, text, fallback="") -> Markup:
    try:
        # Term classes (term0, term1, ...) numbered afresh for each snippet: the formatter otherwise
        # numbers across the page, and a snippet reused from the cache would differ from one made now.
        hit.results.formatter.clean()
        marked = hit.highlights(fieldname, text=text, top=2) if text else ""
    except Exception:  # a snippet is decoration: never fail the page for it
        marked = ""
    if marked:
        return Markup(marked)  # HtmlFormatter escapes the text around each <mark>
    return Markup.escape(fallback[:240] + ("…" if len(fallback) > 240 else ""))


def _load_hits(user, results: list, q, readable: frozenset) -> list[Hit]:
    """The page's hits as database objects in the index's order (a few queries, not one per hit).

    ``readable``: the communities the user may read, read in this request (every hit is checked again).
    """
    keys = [(hit["type"], int(hit["key"].split(":", 1)[1])) for hit in results]
    by_type: dict[str, list[int]] = {}
    for doc_type, doc_id in keys:
        by_type.setdefault(doc_type, []).append(doc_id)
    objects: dict[tuple[str, int], object] = {}
    posts_by_thread: dict[int, list[Post]] = {}
    texts: dict[int, str] = {}
    # Snippets (highlighted title and text, the best post) are the same for everyone: kept per content
    # version (``cop.caching``), they spare loading and re-analysing every post of each thread hit.
    terms = _terms_of(q)
    version = caching.content_version()
    snippets = caching.cache("search-snippets", size=4000)
    term_key = tuple(sorted(terms))
    known = {key: snippets.peek((key, term_key), version) for key in keys}
    if "thread" in by_type:
        # A hit shows its thread's kind, status and community (not its tags or author).
        for thread in db.session.scalars(select(Thread).where(Thread.id.in_(by_type["thread"]),
                                                              Thread.is_deleted.is_(False))
                                         .options(lazyload(Thread.tags), lazyload(Thread.author))):
            if thread.community_id in readable:
                objects[("thread", thread.id)] = thread
        unknown = [i for t, i in objects if t == "thread" and known.get((t, i)) is None]
        best_ids = [known[key][2] for key in objects if key[0] == "thread" and known.get(key) and known[key][2]]
        shown = (Post.is_deleted.is_(False), Post.is_hidden.is_(False))
        if unknown:  # every post, to pick the best one and cut its snippet
            for post in db.session.scalars(select(Post).where(Post.thread_id.in_(unknown), *shown)
                                           .order_by(Post.thread_id, Post.path)):
                posts_by_thread.setdefault(post.thread_id, []).append(post)
        if best_ids:  # the known best posts, only to link them (by id and author) if still shown
            for post in db.session.scalars(select(Post).where(Post.id.in_(best_ids), *shown)):
                posts_by_thread.setdefault(post.thread_id, []).append(post)
    if "resource" in by_type:
        for resource in db.session.scalars(select(Resource).where(Resource.id.in_(by_type["resource"]),
                                                                  Resource.is_deleted.is_(False))
                                           .options(lazyload(Resource.tags), lazyload(Resource.author))):
            if resource.community_id in readable:
                objects[("resource", resource.id)] = resource
        rows = db.session.execute(
            select(ResourceVersion.resource_id, ResourceVersion.body_html,
                   func.substr(ResourceVersion.text_content, 1, 50_000))
            .join(Resource, Resource.id == ResourceVersion.resource_id)
            .where(ResourceVersion.resource_id.in_([i for t, i in objects if t == "resource"]),
                   ResourceVersion.number == Resource.latest_version))
        for resource_id, body, text in rows:
            texts[resource_id] = plain_text(body) if body else text or ""
    if "community" in by_type:
        listed = {c.id: c for c in db.session.scalars(
            permissions.listed_communities(user).where(Community.id.in_(by_type["community"])))}
        objects.update({("community", i): c for i, c in listed.items()})
    if "person" in by_type:
        for person in db.session.scalars(select(User).where(User.id.in_(by_type["person"]),
                                                            User.is_disabled.is_(False))):
            objects[("person", person.id)] = person
    hits = []
    for hit, key in zip(results, keys):
        obj = objects.get(key)
        if obj is None:
            continue  # deleted since it was indexed, or no longer visible
        doc_type = key[0]
        if known.get(key) is not None:
            title, snippet, post_id = known[key]
            post = next((p for p in posts_by_thread.get(obj.id, []) if p.id == post_id), None) if post_id else None
            hits.append(Hit(doc_type, obj.id, obj, title, snippet, post))
            continue
        title = _highlight(hit, "title", hit.get("title", ""), hit.get("title", ""))
        post = None
        if doc_type == "thread":
            posts = posts_by_thread.get(obj.id, [])
            post = _best_post(posts, terms) or (posts[0] if posts else None)
            body = plain_text(post.body_html) if post else ""
        elif doc_type == "resource":
            body = "\n\n".join(filter(None, [plain_text(obj.description_html), texts.get(obj.id, "")]))
        elif doc_type == "community":
            body = obj.domain
        else:
            body = "\n".join(filter(None, [obj.title, obj.department, obj.location, plain_text(obj.bio_html)]))
        snippet = _highlight(hit, "body", body, body)
        snippets.put((key, term_key), version, (title, snippet, post.id if post is not None else None))
        hits.append(Hit(doc_type, obj.id, obj, title, snippet, post))
    return hits


def _facets(all_counts: dict[str, dict]) -> list[Facet]:
    """Facet options with counts, named from the database (only values present in permitted hits)."""
    def counts(name):
        return {k: v for k, v in all_counts.get(name, {}).items() if k not in (None, "")}

    type_counts = counts("type")
    community_counts = counts("community")
    author_counts = counts("author")
    # Names for the communities shown only (a common word is in hundreds of them).
    top_communities = sorted(((k, n) for k, n in community_counts.items() if str(k).isdigit()),
                             key=lambda kv: (-kv[1], int(kv[0])))[:FACET_COMMUNITIES]
    community_names = {i: (slug, name) for i, slug, name in db.session.execute(
        select(Community.id, Community.slug, Community.name).where(
            Community.id.in_([int(i) for i, _n in top_communities])))} if top_communities else {}
    top_authors = heapq.nsmallest(10, author_counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    author_names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([int(i) for i, _ in top_authors if str(i).isdigit()]))).all()) if top_authors else {}

    def options(values, label):
        return [(str(k), label(k), n) for k, n in sorted(values, key=lambda kv: (-kv[1], str(kv[0])))]

    labels = {**KIND_LABELS, **{f"{k}": v for k, v in RESOURCE_KIND_LABELS.items()}}
    date_counts = counts("date")
    facets = [
        Facet("type", "Type", options(type_counts.items(), lambda k: TYPE_LABELS.get(k, k))),
        Facet("community", "Community", [(*community_names[int(k)], n) for k, n in top_communities
                                         if int(k) in community_names]),
        Facet("tag", "Tag", [(str(k), str(k), n) for k, n in heapq.nsmallest(
            15, counts("tag").items(), key=lambda kv: (-kv[1], str(kv[0])))]),
        Facet("author", "Author", [(str(k), author_names[int(k)], n) for k, n in top_authors
                                   if str(k).isdigit() and int(k) in author_names]),
        Facet("date", "Date", [(k, label, date_counts[k]) for k, (label, _d) in DATE_RANGES.items()
                               if date_counts.get(k)]),
        Facet("kind", "Kind", options(counts("kind").items(), lambda k: labels.get(k, k))),
        Facet("status", "Thread status", options(
            [(k, v) for k, v in counts("status").items() if k in STATUSES], lambda k: k.title())),
    ]
    return [f for f in facets if f.options]


SPELLING_PREFIX = 1  # a suggestion shares the misspelt word's first letter (most typos keep it)
SPELLING_MAX_DISTANCE = 2


def spelling_candidates(searcher, fieldname: str, word: str, limit: int = 2, stats: dict | None = None) -> list[str]:
    """Up to ``limit`` indexed words within ``SPELLING_MAX_DISTANCE`` edits of ``word``, closest and commonest first.

    A Levenshtein automaton for ``word`` is walked over the field's sorted word list (the
    unstemmed spelling words kept beside a stemmed field): at each step the automaton names the
    next word it could accept and the term cursor jumps there, so the words visited grow with
    the candidates, not with the vocabulary. Whoosh's own corrector on a multi-segment reader
    computes the edit distance to every word of the field instead (37.8 of 38.5 s of six
    searches on the large data set). ``stats["visited"]`` counts the cursor positions read.
    """
    from whoosh.automata.lev import levenshtein_automaton

    spellfield = _SCHEMA[fieldname].spelling_fieldname(fieldname)
    reader = searcher.reader()
    found: dict[str, int] = {}
    visited = 0
    for distance in range(1, SPELLING_MAX_DISTANCE + 1):
        if len(word) <= distance + SPELLING_PREFIX:
            break  # every short word is within reach: no suggestion worth making
        dfa = levenshtein_automaton(word, distance, SPELLING_PREFIX).to_dfa()
        for leaf, _offset in reader.leaf_readers():  # not Whoosh's MultiCursor: it cannot seek
            try:
                cursor = leaf.cursor(spellfield)
            except Exception:  # a segment without the field
                continue
            term = cursor.text() if cursor.is_valid() else None
            match = dfa.next_valid_string(term) if term is not None else None
            while match:  # whoosh.codec.base.Automata.find_matches, counting the words read
                cursor.find(match)
                visited += 1
                term = cursor.text() if cursor.is_valid() else None
                if term is None:
                    break
                if match == term:
                    if term != word:
                        found.setdefault(term, distance)
                    term += "\0"
                match = dfa.next_valid_string(term)
        if len(found) >= limit:
            break
    if stats is not None:
        stats["visited"] = stats.get("visited", 0) + visited
    ranked = sorted(found, key=lambda w: (found[w], -reader.doc_frequency(spellfield, w), w))
    return ranked[:limit]


def _suggest(searcher, allowed: set | None, text, total) -> str | None:
    """A corrected query that finds more of what the user may see (``allowed``: their documents), or None.

    Candidates come from the index's spelling words, but one is offered only
    if the corrected query, run with the user's own filter, finds permitted
    documents: a word that exists only where the user may not look is never shown.
    """
    words = [w for w in _WORD.findall(text) if w.upper() not in ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")]
    if not words or allowed is None:
        return None
    checks = 0
    for word in words[:4]:
        candidates = []
        for fieldname in ("title", "body"):
            try:
                candidates += [c for c in spelling_candidates(searcher, fieldname, word.lower())
                               if c != word.lower() and c not in candidates]
            except Exception:
                continue
        for candidate in candidates[:3]:
            corrected = re.sub(rf"\b{re.escape(word)}\b", candidate, text, count=1)
            checks += 1
            try:
                # Only whether it finds more than ``total``: len() would count every match.
                found = searcher.search(parse_query(corrected), filter=allowed, limit=total + 1).scored_length()
            except Exception:
                found = 0
            if found > total:
                return corrected
            if checks >= 8:
                return None
    return None


# --- similar and related threads ------------------------------------------------------------------

# Suggestions ("related threads") per key and permission filter, for SIMILAR_TTL seconds in this process.
# Not tied to the searcher: under steady writes the searcher refreshes every few seconds, and
# re-scoring every thread sharing a title word on each thread view cost ~1 s on 100,000 threads.
# Staleness only affects which suggestions appear; visibility is re-checked in SQL on every load.
SIMILAR_TTL = 300.0
SIMILAR_CACHE_SIZE = 5000
_SIMILAR: OrderedDict = OrderedDict()


def _similar_cached(key):
    if key is None:
        return None
    entry = _lru_get(_SIMILAR, key)
    if entry is None or time.monotonic() - entry[0] > SIMILAR_TTL:
        return None
    return entry[1]


SIMILAR_POSTINGS = 5000  # documents scored at most (roughly) to suggest similar threads


def _distinctive(searcher, words: list[str]) -> list[str]:
    """The rarest of ``words`` (at least one) whose documents add up to about ``SIMILAR_POSTINGS``.

    Scoring every thread that shares a common word with a title took 0.7-3 s at 100,000 threads
    (a union over tens of thousands of postings, in Python), and under a load of readers every
    worker was busy doing it; the rare words are also the ones that say what a thread is about.
    """
    frequency = {w: sum(searcher.doc_frequency(f, w) for f in ("title", "body", "tagtext")) for w in words}
    chosen, postings = [], 0
    for word in sorted(words, key=lambda w: (frequency[w], w)):
        if chosen and postings + frequency[word] > SIMILAR_POSTINGS:
            break
        chosen.append(word)
        postings += frequency[word]
    return chosen


def similar_threads(user, text: str, *, exclude_id: int | None = None, limit: int = 5,
                    cache_key=None) -> list:
    """Threads ``user`` may read whose title or text share words with ``text`` (any of them), best first.

    With ``cache_key``, the ids found are kept for ``SIMILAR_TTL`` seconds per key and set of
    readable communities (``_SIMILAR``). Either way each thread is checked against the
    user's readable communities when loaded, so a cached id never shows what the user may not read.
    Returns rows of ``id``, ``title``, ``status``, ``community_id`` and ``community_name``; [] when the
    index is unavailable: a suggestion is never worth an error.
    """
    words = list(dict.fromkeys(token.text for token in _SCHEMA["title"].analyzer(text or "")))[:MAX_TERMS]
    if not words:
        return []
    # The communities the user may read (none when not signed in): the cache key (people who read the
    # same communities share suggestions) and the check on every load. The Whoosh filter is built on a miss.
    readable = _readable_ids(user)
    if not readable:
        return []
    try:
        searcher = get_searcher(index_dir())
        key = (index_dir(), cache_key, readable) if cache_key is not None else None
        ids = _similar_cached(key)
        if ids is None:
            allowed = _allowed_docs(searcher, permission_filter(user, readable=readable, type="thread"))
            if allowed is None:
                return []
            q = wq.Or([wq.Term(fieldname, w) for w in _distinctive(searcher, words)
                       for fieldname in ("title", "body", "tagtext")])
            hits = searcher.search(q, filter=allowed, limit=limit + 1)
            ids = [int(hit["key"].split(":", 1)[1]) for hit in hits]
            if key is not None:
                _lru_put(_SIMILAR, key, (time.monotonic(), ids), SIMILAR_CACHE_SIZE)
    except Exception:
        log.warning("similar threads unavailable", exc_info=True)
        return []
    ids = [i for i in ids if i != exclude_id][:limit]
    if not ids:
        return []
    # Shown as title, status and community name: plain rows, checked against the readable communities.
    found = {row.id: row for row in db.session.execute(
        select(Thread.id, Thread.title, Thread.status, Thread.community_id, Community.name.label("community_name"))
        .join(Community, Community.id == Thread.community_id)
        .where(Thread.id.in_(ids), Thread.is_deleted.is_(False))) if row.community_id in readable}
    return [found[i] for i in ids if i in found]


def related_threads(user, thread, limit: int = 5) -> list:
    """Threads like ``thread`` (its title and tags), excluding itself, that ``user`` may read.

    Read from the list the indexer stored when the thread changed (``cop.search.related``),
    keeping the threads ``user`` may read now; a thread with no stored list yet (the index was
    rebuilt and ``flask cop search related`` has not run) is computed as before.
    """
    from cop.search.models import RelatedThread

    stored = db.session.get(RelatedThread, thread.id)
    if stored is None:
        return similar_threads(user, " ".join([thread.title, *(t.name for t in thread.tags)]),
                               exclude_id=thread.id, limit=limit, cache_key=("related", thread.id))
    readable = _readable_ids(user)
    ids = [i for i in stored.ids if i != thread.id]
    if not ids or not readable:
        return []
    return _thread_rows(ids, readable)[:limit]


def _thread_rows(ids: list[int], readable: frozenset) -> list:
    """Rows (id, title, status, community_id, community_name) of the live threads ``ids`` in ``readable``
    communities, in the order of ``ids``."""
    found = {row.id: row for row in db.session.execute(
        select(Thread.id, Thread.title, Thread.status, Thread.community_id, Community.name.label("community_name"))
        .join(Community, Community.id == Thread.community_id)
        .where(Thread.id.in_(ids), Thread.is_deleted.is_(False), Thread.community_id.in_(readable)))}
    return [found[i] for i in ids if i in found]


# --- the search log and knowledge gaps --------------------------------------------------------------

def record_search(user, text: str, community, result_count: int) -> None:
    """Log one search (who, what, where, how many results); commits."""
    db.session.add(SearchLog(user_id=getattr(user, "id", None), query=" ".join(text.split())[:MAX_QUERY_CHARS],
                             normalized_query=normalize_query(text),
                             community_id=community.id if community else None, result_count=result_count))
    db.session.commit()


@dataclass
class KnowledgeGap:
    query: str
    times: int
    last_asked: object


def knowledge_gaps(community, limit: int = 10) -> list[KnowledgeGap]:
    """Recent searches scoped to ``community`` that found nothing and nobody has answered yet."""
    last = func.max(SearchLog.created_at)
    rows = db.session.execute(
        select(SearchLog.normalized_query, func.count(), last)
        .where(SearchLog.community_id == community.id, SearchLog.result_count == 0,
               SearchLog.closed_at.is_(None), SearchLog.created_at >= utcnow() - GAP_WINDOW)
        .group_by(SearchLog.normalized_query).order_by(last.desc()).limit(limit))
    return [KnowledgeGap(query, times, when) for query, times, when in rows]


def close_gap(community, text: str) -> int:
    """Mark a knowledge gap of ``community`` answered (every log row for that query); commits; rows closed."""
    normalized = normalize_query(text)
    if not normalized:
        return 0
    result = db.session.execute(
        update(SearchLog).where(SearchLog.community_id == community.id, SearchLog.normalized_query == normalized,
                                SearchLog.closed_at.is_(None)).values(closed_at=utcnow()))
    db.session.commit()
    return result.rowcount or 0

