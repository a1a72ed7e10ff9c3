"""The Tantivy engine (``COP_SEARCH_ENGINE=tantivy``): the official Python bindings of a Rust engine.

For large deployments: BM25 top-N with block-max skipping, phrase queries on positions, facet counts
by aggregation over fast fields, and a memory-mapped index shared by every worker. The index lives in
``SEARCH_INDEX_DIR`` like Whoosh's and is fed by the same outbox (``cop.search.index.catch_up``) from
the same documents; only the writing and reading differ:

* What users type is parsed by the shared Whoosh parser (``cop.search.query``; over the content fields
  only) and the parsed tree translated into Tantivy query objects; its words are analysed as the
  documents were (lowercase, English stemmer). No user text reaches Tantivy's own query parser.
* The permission filter (``cop.search.filters.PermissionFilter``) becomes a query object: a term set on
  the community ids, And-ed with the content query. It is never query text.
* One writer per process at a time, under the index directory's file lock (``index.writer_lock``, held
  by ``catch_up`` and ``rebuild``) and a process lock; it is released after each batch so that another
  process (a worker, ``flask cop search catch-up``) can take its turn. Numbers are added with
  ``Document.add_unsigned``: ints given to ``Document()`` as keyword arguments kill the writer thread.
* "Did you mean" looks up the misspelt word's single edits (deletions, transpositions, replacements,
  insertions: about 70 per letter) in the dictionary of an unstemmed field: bounded by the word's
  length, never a walk over every indexed word.
"""

import calendar
import gc
import html
import logging
import os
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import tantivy
from tantivy import Document, Occur, Query

from cop.search import index
from cop.search.engine import EngineResults
from cop.search.facets import FACET_SHOWN
from cop.search.filters import PermissionFilter, _lru_get, _lru_put
from cop.search.index import NO_VALUE, IndexUnavailable, index_dir
from cop.search.query import CONTENT_TYPES, DATE_RANGES, MAX_TERMS, make_parser, parse_query
from cop.search.similar import distinctive
from cop.search.suggest import suggest_correction

log = logging.getLogger(__name__)

STEMMED = "cop_stemmed"  # title, body, tagtext: as Whoosh's StemmingAnalyzer, minus its stop words
PLAIN = "cop_plain"  # the spelling words: lowercase, unstemmed
KEYWORD_FIELDS = ("key", "type", "community_id", "author_id", "kind", "status")
TEXT_FIELDS = ("title", "body", "tagtext")
FACET_FIELDS = {
    "type": "type",
    "community": "community_id",
    "author": "author_id",
    "kind": "kind",
    "status": "status",
    "tag": "tags",
}
TITLE_BOOST = 2.0  # Whoosh's field_boost on the title
WRITER_HEAP = 50_000_000
BUILD_HEAP = 200_000_000
FACET_BUCKETS = 100  # values returned for a facet of few values (type, kind, status: all of them)
# Segments each report their best values, merged into the top of the facet: how many each reports. Counting
# every value of a common word's 10,000+ authors and tags cost ~3x the aggregation (and a Python dict each).
# With 2,000 per segment, on the large set (12 segments), the listed communities' and tags' counts are exact;
# authors (20,000 on the large set), 500 per segment: 9.4 -> 5.0 ms for a common word, and an author's count
# may be a few short (tantivy's doc_count_error_upper_bound: 18 of 36,000 matches); smaller sets are exact.
FACET_SEGMENT_VALUES = {"community": 2_000, "tag": 2_000, "author": 500}
SPELLING_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
SPELLING_MIN_LENGTH = 3  # no suggestion for shorter words (every short word is an edit from another)


def _analyzer(stem: bool):
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.remove_long(40))
    )
    return (builder.filter(tantivy.Filter.stemmer("english")) if stem else builder).build()


_STEMMER = _analyzer(True)


def make_schema():
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    for name in KEYWORD_FIELDS[1:]:
        builder.add_text_field(name, fast=True, tokenizer_name="raw")
    builder.add_text_field("tags", fast=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name=STEMMED)
    builder.add_text_field("body", tokenizer_name=STEMMED)
    builder.add_text_field("tagtext", tokenizer_name=STEMMED)
    builder.add_text_field("spelling", tokenizer_name=PLAIN, index_option="freq")
    builder.add_unsigned_field("created", indexed=True, fast=True)
    builder.add_unsigned_field("updated", indexed=True, fast=True)
    return builder.build()


SCHEMA = make_schema()


def _open(path: str, create: bool = False):
    """The index at ``path`` with cop's analysers registered. :raise IndexUnavailable: missing or unreadable."""
    try:
        if not create and not tantivy.Index.exists(path):
            raise IndexUnavailable("no Tantivy index in the directory")
        ix = tantivy.Index(SCHEMA, path=path, reuse=True)
        ix.register_tokenizer(STEMMED, _analyzer(True))
        ix.register_tokenizer(PLAIN, _analyzer(False))
        return ix
    except IndexUnavailable:
        raise
    except Exception as exc:
        raise IndexUnavailable(f"{type(exc).__name__}: {exc}") from None


def _micros(when) -> int:
    """Microseconds since the epoch of a naive UTC datetime (0 for none): updates a second apart sort apart."""
    return calendar.timegm(when.utctimetuple()) * 1_000_000 + when.microsecond if isinstance(when, datetime) else 0


def _document(doc: dict) -> Document:
    """A Tantivy document from one of ``cop.search.index``'s document dicts."""
    document = Document()
    for name in KEYWORD_FIELDS:
        document.add_text(name, str(doc.get(name) or NO_VALUE))
    for tag in filter(None, (t.strip().lower() for t in doc.get("tags", "").split(","))):
        document.add_text("tags", tag)
    for name in TEXT_FIELDS:
        if doc.get(name):
            document.add_text(name, doc[name])
    spelling = " ".join(filter(None, [doc.get("title"), doc.get("body")]))
    if spelling:
        document.add_text("spelling", spelling)
    document.add_unsigned("created", _micros(doc.get("created")))
    document.add_unsigned("updated", _micros(doc.get("updated")))
    return document


# --- query objects ------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return list(_STEMMER.analyze(text))


def _boosted(fieldname: str, q):
    return Query.boost_query(q, TITLE_BOOST) if fieldname == "title" else q


def _words_query(fieldname: str, words: list[str]):
    tokens: list[str | tuple[int, str]] = [token for word in words for token in _tokens(word)]
    if not tokens:
        return None
    if len(tokens) == 1:
        return _boosted(fieldname, Query.term_query(SCHEMA, fieldname, str(tokens[0])))
    return _boosted(fieldname, Query.phrase_query(SCHEMA, fieldname, tokens))


def _all(queries):
    queries = [q for q in queries if q is not None]
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Must, q) for q in queries])


def _any(queries):
    queries = [q for q in queries if q is not None]
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, q) for q in queries])


def translate(q):
    """The Tantivy query of a parsed Whoosh query tree (over the unstemmed parser: see ``content_query``);
    None when nothing is left to look for."""
    from whoosh import query as wq

    if isinstance(q, wq.Term):
        return _words_query(q.fieldname, [q.text])
    if isinstance(q, wq.Phrase):
        return _words_query(q.fieldname, list(q.words))
    if isinstance(q, wq.Not):
        inner = translate(q.query)
        return None if inner is None else Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, inner)])
    if isinstance(q, wq.AndNot):
        positive, negative = translate(q.a), translate(q.b)
        if positive is None or negative is None:
            return positive
        return Query.boolean_query([(Occur.Must, positive), (Occur.MustNot, negative)])
    if isinstance(q, wq.AndMaybe):
        required, optional = translate(q.a), translate(q.b)
        if required is None or optional is None:
            return required
        return Query.boolean_query([(Occur.Must, required), (Occur.Should, optional)])
    if isinstance(q, wq.And):
        clauses = []
        for child in q.subqueries:
            negated = isinstance(child, wq.Not)
            translated = translate(child.query if negated else child)
            if translated is not None:
                clauses.append((Occur.MustNot if negated else Occur.Must, translated))
        if not any(occur == Occur.Must for occur, _q in clauses):
            return None
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)
    if isinstance(q, wq.Or):
        return _any(translate(child) for child in q.subqueries)
    return None  # nothing else survives the parser's plugins (no wildcards, ranges, fields)


_PLAIN_SCHEMA = None


def content_query(text: str):
    """The Tantivy query of what a user typed (already accepted by ``parse_query``), or None.

    Parsed again by the same parser over an unstemmed copy of the schema, so that each word reaches
    Tantivy as typed and is stemmed by Tantivy's analyser, as the documents were.
    """
    global _PLAIN_SCHEMA
    from whoosh.analysis import LowercaseFilter, RegexTokenizer
    from whoosh.fields import TEXT, Schema

    if _PLAIN_SCHEMA is None:
        plain = RegexTokenizer() | LowercaseFilter()
        _PLAIN_SCHEMA = Schema(title=TEXT(analyzer=plain), body=TEXT(analyzer=plain), tagtext=TEXT(analyzer=plain))
    parsed = make_parser(schema=_PLAIN_SCHEMA).parse(" ".join(text.split())).normalize()
    return translate(parsed)


_FILTERS: OrderedDict = OrderedDict()


def _narrowing(flt: PermissionFilter) -> list:
    """The selected facets' queries: every document must match each."""
    narrowing = [
        Query.term_query(SCHEMA, fieldname, value.lower() if fieldname == "tags" else value)
        for fieldname, value in flt.narrowing
    ]
    if flt.since is not None:
        narrowing.append(
            Query.range_query(SCHEMA, "created", tantivy.FieldType.Unsigned, lower_bound=_micros(flt.since))
        )
    return narrowing


def filter_query(flt: PermissionFilter):
    """``flt`` as a Tantivy query object: the readable communities as a term set on ``community_id``."""
    built = _lru_get(_FILTERS, flt.key)
    if built is not None:
        return built

    def term(fieldname, value):
        return Query.term_query(SCHEMA, fieldname, value)

    def communities(ids):
        return Query.term_set_query(SCHEMA, "community_id", [str(i) for i in sorted(ids)])

    parts = [term("type", "person")]
    if flt.readable:
        content = _any(term("type", t) for t in CONTENT_TYPES)
        parts.append(content if flt.everything else _all([content, communities(flt.readable)]))
    if flt.listed:
        kind = term("type", "community")
        parts.append(kind if flt.everything else _all([kind, communities(flt.listed)]))
    built = _all([_any(parts), *_narrowing(flt)])
    _lru_put(_FILTERS, flt.key, built, 64)
    return built


def exclusion_clauses(flt: PermissionFilter) -> list | None:
    """``flt`` as what it excludes, when that is the shorter list (most readers may read most communities):
    clauses that exclude the documents of the communities the user may not read or know of (term sets on
    ``community_id``) and require the narrowing, to add to the content query's clauses (not a query of
    their own: an ``all_query`` to exclude from made every search walk every document). None when the
    list of what the user may see is shorter (``filter_query``), or for an administrator.

    On the large set a member reads 748 of 1,000 communities: excluding 252 instead of including 748 took
    a common word's count and top 20 from 7 to 2.4 ms.

    Documents of a community the filter does not know (created after it was built) are not excluded: the
    search checks the counts (``_only_known``) before it shows anything. (Without communities to exclude,
    the clauses may be none at all: the content query alone.)
    """
    if flt.everything or not flt.known or len(flt.unreadable) >= len(flt.readable):
        return None

    def communities(ids):
        return Query.term_set_query(SCHEMA, "community_id", [str(i) for i in sorted(ids)])

    hidden = flt.unreadable & flt.unlisted  # neither content nor community document
    content_only = flt.unreadable - flt.unlisted  # known of, not readable: the community's document only
    listing_only = flt.unlisted - flt.unreadable  # (none: whoever reads a community may know of it)
    clauses = []
    if hidden:
        clauses.append((Occur.MustNot, communities(hidden)))
    if content_only:
        kinds = _any(Query.term_query(SCHEMA, "type", t) for t in CONTENT_TYPES)
        clauses.append((Occur.MustNot, _all([kinds, communities(content_only)])))
    if listing_only:
        listing = Query.term_query(SCHEMA, "type", "community")
        clauses.append((Occur.MustNot, _all([listing, communities(listing_only)])))
    clauses.extend((Occur.Must, q) for q in _narrowing(flt))
    return clauses


# Community buckets counted when every community's matches are checked (``_only_known``): more than there are
# communities, so that one the filter did not know shows up (or in ``sum_other_doc_count``).
EVERY_COMMUNITY = 65_000


@dataclass
class _Seen:
    """The matches per value of ``community_id`` (``NO_VALUE`` for people) and those beyond the buckets."""

    communities: dict[str, int]
    others: int


def _only_known(flt: PermissionFilter, counts: dict[str, dict], seen: _Seen) -> bool:
    """Whether every match of a search by ``exclusion_clauses`` is of a community ``flt`` knows (or a person)."""
    people = counts["type"].get("person", 0)
    for key, n in seen.communities.items():
        if key == NO_VALUE:
            if n != people:  # a thread, resource or community document without a community
                return False
        elif not key.isdigit() or int(key) not in flt.known:
            return False
    return seen.others == 0


# --- hits and snippets --------------------------------------------------------------------------------


class TantivyHit:
    """A Tantivy hit as the engine interface's ``EngineHit``; snippets from the search's generators."""

    def __init__(self, stored: dict, snippets):
        self.doc_type, _sep, raw_id = stored["key"][0].partition(":")
        self.doc_id = int(raw_id)
        self.title = (stored.get("title") or [""])[0]
        self._snippets = snippets

    def highlight(self, fieldname: str, text: str) -> str:
        generator = self._snippets(fieldname)
        if generator is None or not text:
            return ""
        document = Document()
        document.add_text(fieldname, text)
        snippet = generator.snippet_from_doc(document)
        return _marked(snippet.fragment(), [(r.start, r.end) for r in snippet.highlighted()])


def _marked(fragment: str, ranges: list[tuple[int, int]]) -> str:
    """``fragment`` escaped, its highlighted byte ranges in ``<mark class="hl termN">`` (N per distinct word)."""
    if not ranges:
        return ""
    data = fragment.encode("utf-8")
    numbers: dict[str, int] = {}
    out, at = [], 0
    for start, end in sorted(ranges):
        word = data[start:end].decode("utf-8", "replace")
        number = numbers.setdefault(word.lower(), len(numbers))
        out.append(html.escape(data[at:start].decode("utf-8", "replace"), quote=False))
        out.append(f'<mark class="hl term{number}">{html.escape(word, quote=False)}</mark>')
        at = end
    out.append(html.escape(data[at:].decode("utf-8", "replace"), quote=False))
    return "".join(out)


# --- the engine -------------------------------------------------------------------------------------------


class TantivyEngine:
    name = "tantivy"

    def __init__(self):
        self._readers: dict[str, tuple] = {}  # path -> (inode, Index, checked_at, local writes)
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # one writer per process (the file lock keeps it one per host)
        self._writes = 0

    # --- writing ---

    @contextmanager
    def writing(self, path: str):
        with self._writing:
            if any(name.endswith(".toc") for name in os.listdir(path)):
                raise IndexUnavailable("a Whoosh index (COP_SEARCH_ENGINE changed?): run `flask cop search reindex`")
            ix = _open(path, create=True)

            def apply(session, rows) -> None:
                writer = ix.writer(heap_size=WRITER_HEAP, num_threads=1)

                def upsert(doc: dict) -> None:
                    writer.delete_documents_by_term("key", doc["key"])  # applies to documents added before it
                    writer.add_document(_document(doc))

                try:
                    index._apply(session, rows, upsert, delete=lambda key: writer.delete_documents_by_term("key", key))
                    writer.commit()
                except BaseException:
                    writer.rollback()
                    raise
                finally:
                    writer.wait_merging_threads()  # the writer's end: its directory lock is released
                self.note_local_write()

            yield apply

    @contextmanager
    def building(self, path: str):
        ix = _open(path, create=True)
        writer = ix.writer(heap_size=BUILD_HEAP)
        try:
            yield lambda doc: writer.add_document(_document(doc))
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            writer.wait_merging_threads()

    def document_count(self, path: str) -> int:
        ix = _open(path)
        ix.reload()
        return ix.searcher().num_docs

    def note_local_write(self) -> None:
        self._writes += 1

    def forget(self, path: str) -> None:
        """Drop this process's reader of ``path`` (its files are memory-mapped)."""
        with self._lock:
            self._readers.pop(path, None)
        gc.collect()

    # --- reading ---

    def _searcher(self, path: str | None = None):
        """A searcher on the latest commit this process should see (as ``index.get_searcher`` for Whoosh:
        its own writes at once, other processes' within ``index.REFRESH_SECONDS``); reopened after a rebuild."""
        path = path or index_dir()
        try:
            inode = os.stat(path).st_ino
        except OSError:
            raise IndexUnavailable("no index directory") from None
        now = time.monotonic()
        with self._lock:
            entry = self._readers.get(path)
            if entry is None or entry[0] != inode:
                entry = (inode, _open(path), 0.0, -1)
            inode, ix, checked_at, writes = entry
            if writes != self._writes or now - checked_at >= index.REFRESH_SECONDS:
                try:
                    ix.reload()
                except Exception as exc:
                    self._readers.pop(path, None)
                    raise IndexUnavailable(f"{type(exc).__name__}: {exc}") from None
                entry = (inode, ix, now, self._writes)
            self._readers[path] = entry
        return ix.searcher()

    def search(self, text: str, q, flt: PermissionFilter, *, sort: str, page: int, per_page: int) -> EngineResults:
        searcher = self._searcher()
        content = content_query(text)
        if content is None:
            return EngineResults(0, 1, 1)
        excluding = exclusion_clauses(flt)
        permitted = (
            Query.boolean_query([(Occur.Must, content), *excluding])
            if excluding is not None
            else _all([content, filter_query(flt)])
        )
        counts, seen = self._facet_counts(searcher, permitted, every_community=excluding is not None)
        if excluding is not None and not _only_known(flt, counts, seen):
            # A community created (or documents indexed) after the filter's communities were read: count
            # again with the list of what the user may see.
            log.info("search: documents of communities the filter did not know; filtering by the readable ones")
            permitted = _all([content, filter_query(flt)])
            counts, seen = self._facet_counts(searcher, permitted, every_community=False)
        total = sum(counts["type"].values())
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        if not total:
            return EngineResults(0, page, pages, [], counts)
        options = {"order_by_field": "updated", "order": tantivy.Order.Desc} if sort == "date" else {}
        found = searcher.search(permitted, limit=per_page, offset=(page - 1) * per_page, count=False, **options)
        generators: dict[str, object] = {}

        def snippets(fieldname):
            if fieldname not in generators:
                generator = tantivy.SnippetGenerator.create(searcher, content, SCHEMA, fieldname)
                generator.set_max_num_chars(240 if fieldname != "title" else 1000)
                generators[fieldname] = generator
            return generators[fieldname]

        hits = [TantivyHit(searcher.doc(address).to_dict(), snippets) for _score, address in found.hits]
        return EngineResults(total, page, pages, hits, counts)

    def _facet_counts(self, searcher, permitted, *, every_community: bool) -> tuple[dict[str, dict], "_Seen"]:
        """Counts per facet value over every permitted match, by one aggregation over the fast fields: every value
        of the few-valued facets, the top values (``facets.FACET_SHOWN``, doubled for ties) of the others.

        ``every_community``: count every community's matches (to check them: ``_only_known``), not the top only.
        """
        now = time.time()
        aggregations: dict[str, dict] = {
            name: {
                "terms": {
                    "field": fieldname,
                    "size": 2 * FACET_SHOWN[name] if name in FACET_SHOWN else FACET_BUCKETS,
                    "segment_size": FACET_SEGMENT_VALUES.get(name, FACET_BUCKETS),
                }
            }
            for name, fieldname in FACET_FIELDS.items()
        }
        if every_community:
            aggregations["community"]["terms"]["size"] = EVERY_COMMUNITY
            aggregations["community"]["terms"]["segment_size"] = EVERY_COMMUNITY
        # One range aggregation (Tantivy's ranges may not overlap): the matches between each date range's start
        # and the next shorter one's, summed below; three aggregations walked the matches three times.
        starts = sorted(((int(now) - days * 86400) * 1_000_000, key) for key, (_label, days) in DATE_RANGES.items())
        ranges: list[dict] = []
        for i, (start, key) in enumerate(starts):
            ranges.append({"key": key, "from": float(start)})
            if i + 1 < len(starts):
                ranges[-1]["to"] = float(starts[i + 1][0])
        aggregations["date"] = {"range": {"field": "created", "ranges": ranges}}
        result = searcher.aggregate(permitted, aggregations)
        counts: dict[str, dict] = {name: {} for name in (*FACET_FIELDS, "date")}
        seen = _Seen({}, int(result.get("community", {}).get("sum_other_doc_count", 0)))
        for name in FACET_FIELDS:
            for bucket in result.get(name, {}).get("buckets", []):
                if name == "community":
                    seen.communities[str(bucket["key"])] = bucket["doc_count"]
                if bucket["key"] not in (NO_VALUE, "") and bucket["doc_count"]:
                    counts[name][str(bucket["key"])] = bucket["doc_count"]
        since = {bucket.get("key"): bucket["doc_count"] for bucket in result.get("date", {}).get("buckets", [])}
        total = 0
        for _start, key in reversed(starts):  # the shortest range first: each longer one includes it
            total += since.get(key, 0)
            if total:
                counts["date"][key] = total
        return counts, seen

    def suggest(self, text: str, flt: PermissionFilter, total: int) -> str | None:
        searcher = self._searcher()
        permission = filter_query(flt)

        def candidates(word: str) -> list[str]:
            if len(word) < SPELLING_MIN_LENGTH:
                return []
            found = {}
            for edit in _edits(word):
                frequency = searcher.doc_freq("spelling", edit)
                if frequency:
                    found[edit] = frequency
            return sorted(found, key=lambda w: (-found[w], w))[:3]

        def finds_more(corrected: str) -> bool:
            parse_query(corrected)  # the same checks as a typed search
            content = content_query(corrected)
            if content is None:
                return False
            return searcher.search(_all([content, permission]), limit=1, count=True).count > total

        return suggest_correction(text, candidates, finds_more)

    def similar(self, text: str, flt: PermissionFilter, limit: int) -> list[int]:
        return _similar_ids(self._searcher(), text, filter_query(flt), limit)

    def related_finder(self, path: str):
        self.note_local_write()  # the searcher must see the commit just made
        searcher = self._searcher(path)
        threads = Query.term_query(SCHEMA, "type", "thread")

        def find(thread_id: int, title: str, tags: list[str], limit: int) -> list[int]:
            ids = _similar_ids(searcher, " ".join([title, *tags]), threads, limit + 1)
            return [i for i in ids if i != thread_id][:limit]

        return find


def _similar_ids(searcher, text: str, permitted, limit: int) -> list[int]:
    words = list(dict.fromkeys(_tokens(text)))[:MAX_TERMS]
    if not words:
        return []
    frequency = {w: sum(searcher.doc_freq(f, w) for f in TEXT_FIELDS) for w in words}
    wanted = _any(_boosted(f, Query.term_query(SCHEMA, f, w)) for w in distinctive(frequency) for f in TEXT_FIELDS)
    found = searcher.search(_all([wanted, permitted]), limit=limit, count=False)
    return [int(searcher.doc(address).to_dict()["key"][0].partition(":")[2]) for _score, address in found.hits]


def _edits(word: str) -> set[str]:
    """Every word one deletion, transposition, replacement or insertion away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in SPELLING_ALPHABET]
    inserts = [a + c + b for a, b in splits for c in SPELLING_ALPHABET]
    return set(deletes + transposes + replaces + inserts) - {word}
