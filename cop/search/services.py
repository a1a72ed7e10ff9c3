"""Searching: parse safely, filter by permissions on the server, load hits back from the database.

The one entry point of the search pages, feeds and API (``search``), and the façade of the modules
that do the work:

* ``cop.search.query`` parses what users type over the content fields only;
* ``cop.search.filters`` builds the permission filter and the document sets it selects;
* ``cop.search.hits`` loads a page of hits back from the database (one loader per document type);
* ``cop.search.facets`` counts and names the facets;
* ``cop.search.suggest`` offers "did you mean" when nothing is found;
* ``cop.search.similar`` finds similar and related threads;
* ``cop.search.gaps`` keeps the search log and the knowledge gaps read from it.
"""
import logging
from collections import OrderedDict
from dataclasses import dataclass

from whoosh import query as wq
from whoosh import sorting
from whoosh.highlight import ContextFragmenter, HtmlFormatter

from cop.search.facets import FACET_COLUMNS, FACET_COMMUNITIES, FACET_NAMES, Facet, _count_facets, _facets
from cop.search.filters import _allowed_docs, _docs_matching, _query_key, _readable_ids, _searcher_cache, \
    permission_filter
from cop.search.gaps import GAP_WINDOW, KnowledgeGap, close_gap, knowledge_gaps, record_search
from cop.search.hits import Hit, _load_hits
from cop.search.index import IndexUnavailable, get_searcher, index_dir
from cop.search.query import (_SCHEMA, CONTENT_FIELDS, DATE_RANGES, MAX_QUERY_CHARS, MAX_TERMS, TYPE_LABELS,
                              QueryError, SearchUnavailable, make_parser, normalize_query, parse_query)
from cop.search.similar import related_threads, similar_threads
from cop.search.suggest import _suggest, spelling_candidates

__all__ = ["CONTENT_FIELDS", "DATE_RANGES", "FACET_COLUMNS", "FACET_COMMUNITIES", "FACET_NAMES", "GAP_WINDOW",
           "MAX_QUERY_CHARS", "MAX_TERMS", "PER_PAGE", "PHRASE_CANDIDATES", "SORTS", "TYPE_LABELS", "_SCHEMA",
           "Facet", "Hit", "KnowledgeGap", "QueryError", "SearchResults", "SearchUnavailable", "close_gap",
           "knowledge_gaps", "make_parser", "normalize_query", "parse_query", "permission_filter",
           "record_search", "related_threads", "search", "similar_threads", "spelling_candidates"]

log = logging.getLogger(__name__)

PER_PAGE = 20
SORTS = ("relevance", "date")


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



def _searcher():
    try:
        return get_searcher(index_dir())
    except IndexUnavailable as exc:
        log.warning("search unavailable: %s", exc)
        raise SearchUnavailable() from None



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


