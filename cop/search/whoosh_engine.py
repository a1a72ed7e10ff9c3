"""The Whoosh engine (the default): pure Python, an embedded index in the instance folder.

The index itself (schema, documents, the one writer, searchers per thread) is ``cop.search.index``;
the permission filter's document sets and the facet counts come from the index's columns
(``cop.search.whoosh_columns``). This module answers the engine interface (``cop.search.engine``).
"""

import logging
from collections import OrderedDict
from contextlib import contextmanager

from whoosh import index as whoosh_index, query as wq, sorting
from whoosh.highlight import ContextFragmenter, HtmlFormatter

from cop.search import index
from cop.search.engine import EngineResults
from cop.search.filters import PermissionFilter
from cop.search.query import _SCHEMA, MAX_TERMS, parse_query
from cop.search.similar import distinctive
from cop.search.suggest import SUGGEST_FIELDS, suggest_correction
from cop.search.whoosh_columns import (
    _allowed_docs,
    _count_facets,
    _docs_matching,
    _query_key,
    _searcher_cache,
    whoosh_filter,
)

log = logging.getLogger(__name__)

SIMILAR_FIELDS = ("title", "body", "tagtext")


class WhooshHit:
    """A Whoosh hit as the engine interface's ``EngineHit``."""

    def __init__(self, hit):
        self._hit = hit
        self.doc_type = hit["type"]
        self.doc_id = int(hit["key"].split(":", 1)[1])
        self.title = hit.get("title", "")

    def highlight(self, fieldname: str, text: str) -> str:
        # Term classes (term0, term1, ...) numbered afresh for each snippet: the formatter otherwise
        # numbers across the page, and a snippet reused from the cache would differ from one made now.
        self._hit.results.formatter.clean()
        return self._hit.highlights(fieldname, text=text, top=2) if text else ""


class WhooshEngine:
    name = "whoosh"

    # --- writing ---

    @contextmanager
    def writing(self, path: str):
        ix = index._open_or_create(path)

        def apply(session, rows) -> None:
            writer = ix.writer()
            try:
                index._apply(
                    session,
                    rows,
                    upsert=lambda doc: writer.update_document(**doc),
                    delete=lambda key: writer.delete_by_term("key", key),
                )
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

        try:
            yield apply
        finally:
            ix.close()

    @contextmanager
    def building(self, path: str, limitmb: int = 256, procs: int = 1):
        ix = whoosh_index.create_in(path, index.make_schema())
        try:
            # procs > 1: one sub-process per core indexes its share into its own segment, so the
            # final single-process merge of every sorted run (most of a large build) never happens.
            writer = (
                ix.writer(limitmb=limitmb, procs=procs, multisegment=True) if procs > 1 else ix.writer(limitmb=limitmb)
            )
            try:
                yield lambda doc: writer.add_document(**doc)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        finally:
            ix.close()

    def document_count(self, path: str) -> int:
        ix = index.open_index(path)
        try:
            return ix.doc_count()
        finally:
            ix.close()

    def note_local_write(self) -> None:
        index.note_local_write()

    def forget(self, path: str) -> None:
        entry = getattr(index._local, "searchers", {}).pop(path, None)
        if entry:
            index._close_quietly(entry[1])

    # --- reading ---

    def _searcher(self):
        return index.get_searcher(index.index_dir())

    def search(self, text: str, q, flt: PermissionFilter, *, sort: str, page: int, per_page: int) -> EngineResults:
        searcher = self._searcher()
        filter_query = whoosh_filter(flt)
        allowed = _allowed_docs(searcher, filter_query)
        if allowed is None:
            return EngineResults(0, 1, 1)
        # The same search (words, filter, sort, page) on the same searcher is answered from its
        # cache: a common word costs ~0.5 s to count and score at 100,000 threads, and the
        # cache lives until the searcher is refreshed (REFRESH_SECONDS, or this process's write).
        cached = _searcher_cache(searcher).setdefault("results", OrderedDict())
        key = (repr(q), _query_key(filter_query), sort, page, per_page)
        if key in cached:
            cached.move_to_end(key)
            total, page, pages, results, counts, capped = cached[key]
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
                best = _top(searcher, loose, allowed, phrase_candidates(), None)
                candidates = [docnum for _score, docnum in best.top_n]
                capped = len(candidates) >= phrase_candidates()
                matched = (
                    set(searcher.docs_for_query(wq.And([DocSet(searcher, candidates), q]))) if candidates else set()
                )
                query_for_page = loose  # a phrase scores as its words
            else:
                # Every permitted match, unscored (fast), for the total and the facet counts...
                matched = allowed.intersection(_docs_matching(searcher, q))  # a new set: the cached one is shared
                query_for_page = q
            total = len(matched)
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            # ...and only the requested page scored and sorted.
            results = (
                _top(
                    searcher, query_for_page, matched if query_for_page is not q else allowed, page * per_page, sortedby
                )
                if matched
                else None
            )
            # The facet counts are kept with the results: counting a common word's tens of thousands
            # of matches cost more than the rest of the page.
            counts = _count_facets(searcher, matched)
            cached[key] = (total, page, pages, results, counts, capped)
            while len(cached) > 32:
                cached.popitem(last=False)
        hits = []
        if results is not None:
            results.fragmenter = ContextFragmenter(maxchars=240, surround=60)
            results.formatter = HtmlFormatter(tagname="mark", classname="hl", between=" … ")
            # A slice, not list(results): list() asks len(), which counts every match again.
            hits = [WhooshHit(hit) for hit in results[(page - 1) * per_page : page * per_page]]
        return EngineResults(total, page, pages, hits, counts, capped)

    def suggest(self, text: str, flt: PermissionFilter, total: int) -> str | None:
        searcher = self._searcher()
        allowed = _allowed_docs(searcher, whoosh_filter(flt))
        if allowed is None:
            return None

        def candidates(word: str) -> list[str]:
            found: list[str] = []
            for fieldname in SUGGEST_FIELDS:
                found += [c for c in spelling_candidates(searcher, fieldname, word) if c != word and c not in found]
            return found

        def finds_more(corrected: str) -> bool:
            # Only whether it finds more than ``total``: len() would count every match.
            return searcher.search(parse_query(corrected), filter=allowed, limit=total + 1).scored_length() > total

        return suggest_correction(text, candidates, finds_more)

    def similar(self, text: str, flt: PermissionFilter, limit: int) -> list[int]:
        searcher = self._searcher()
        allowed = _allowed_docs(searcher, whoosh_filter(flt))
        return _similar_ids(searcher, text, allowed, limit) if allowed else []

    def related_finder(self, path: str):
        index.note_local_write()  # the searcher must see the commit just made
        searcher = index.get_searcher(path)

        def find(thread_id: int, title: str, tags: list[str], limit: int) -> list[int]:
            threads = _allowed_docs(searcher, wq.Term("type", "thread"))
            ids = _similar_ids(searcher, " ".join([title, *tags]), threads, limit + 1) if threads else []
            return [i for i in ids if i != thread_id][:limit]

        return find


def _similar_ids(searcher, text: str, allowed: set, limit: int) -> list[int]:
    """The ids of the best ``limit`` documents among ``allowed`` holding any of the rarest words of ``text``."""
    words = list(dict.fromkeys(token.text for token in _SCHEMA["title"].analyzer(text)))[:MAX_TERMS]
    if not words:
        return []
    frequency = {w: sum(searcher.doc_frequency(f, w) for f in SIMILAR_FIELDS) for w in words}
    q = wq.Or([wq.Term(fieldname, w) for w in distinctive(frequency) for fieldname in SIMILAR_FIELDS])
    return [int(hit["key"].split(":", 1)[1]) for hit in searcher.search(q, filter=allowed, limit=limit)]


def phrase_candidates() -> int:
    from cop.search import services  # tests lower it there

    return services.PHRASE_CANDIDATES


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
