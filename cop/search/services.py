"""Searching: parse safely, filter by permissions on the server, load hits back from the database.

The one entry point of the search pages, feeds and API (``search``), and the façade of the modules
that do the work:

* ``cop.search.query`` parses what users type over the content fields only;
* ``cop.search.filters`` builds the permission filter (an object each engine turns into its query);
* ``cop.search.engine`` says what an engine does and picks one (``COP_SEARCH_ENGINE``: Whoosh, the
  default, in ``cop.search.whoosh_engine``; Tantivy in ``cop.search.tantivy_engine``);
* ``cop.search.hits`` loads a page of hits back from the database (one loader per document type);
* ``cop.search.facets`` counts and names the facets;
* ``cop.search.suggest`` offers "did you mean" when nothing is found;
* ``cop.search.similar`` finds similar and related threads;
* ``cop.search.gaps`` keeps the search log and the knowledge gaps read from it.
"""

import logging
from dataclasses import dataclass
from typing import Any

from cop.permissions import Viewer
from cop.search.engine import get_engine
from cop.search.facets import FACET_COMMUNITIES, FACET_NAMES, Facet, _facets
from cop.search.filters import _readable_ids, permission_filter
from cop.search.gaps import GAP_WINDOW, KnowledgeGap, close_gap, knowledge_gaps, record_search
from cop.search.hits import Hit, _load_hits
from cop.search.index import IndexUnavailable
from cop.search.query import (
    _SCHEMA,
    CONTENT_FIELDS,
    DATE_RANGES,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    TYPE_LABELS,
    QueryError,
    SearchUnavailable,
    make_parser,
    normalize_query,
    parse_query,
)
from cop.search.similar import related_threads, similar_threads
from cop.search.whoosh_engine import spelling_candidates

__all__ = [
    "CONTENT_FIELDS",
    "DATE_RANGES",
    "FACET_COMMUNITIES",
    "FACET_NAMES",
    "GAP_WINDOW",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "PER_PAGE",
    "PHRASE_CANDIDATES",
    "SORTS",
    "TYPE_LABELS",
    "_SCHEMA",
    "Facet",
    "Hit",
    "KnowledgeGap",
    "QueryError",
    "SearchResults",
    "SearchUnavailable",
    "close_gap",
    "knowledge_gaps",
    "make_parser",
    "normalize_query",
    "parse_query",
    "permission_filter",
    "record_search",
    "related_threads",
    "search",
    "similar_threads",
    "spelling_candidates",
]

log = logging.getLogger(__name__)

PER_PAGE = 20
SORTS = ("relevance", "date")
PHRASE_CANDIDATES = 1000  # documents whose positions a phrase search checks, at most (Whoosh)


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


def search(
    user: Viewer, text: str, *, page: int = 1, sort: str = "relevance", per_page: int = PER_PAGE, **selected: Any
) -> SearchResults:
    """One page of what ``user`` may see that matches ``text``, with facets and a suggestion.

    ``selected`` narrows by facet: type, community_id, tag, author (user id),
    kind, status, date ("week", "month", "year").
    :raise QueryError: the text cannot be searched (see ``parse_query``).
    :raise SearchUnavailable: the index is missing or broken.
    """
    q = parse_query(text)
    try:
        readable = _readable_ids(user)
        flt = permission_filter(user, readable=readable, **selected)
        if flt is None:
            return SearchResults(text, 0, 1, 1, [], [], None)
        engine = get_engine()
        found = engine.search(text, q, flt, sort=sort, page=page, per_page=per_page)
        hits = _load_hits(user, found.hits, q, readable) if found.hits else []
        # Only when nothing was found: a search with hits needs no correction.
        suggestion = engine.suggest(text, flt, found.total) if found.total == 0 else None
        return SearchResults(
            text, found.total, found.page, found.pages, hits, _facets(found.facet_counts), suggestion, found.capped
        )
    except IndexUnavailable as exc:
        log.warning("search unavailable: %s", exc)
        raise SearchUnavailable() from None
    except (QueryError, SearchUnavailable):
        raise
    except Exception:
        log.warning("search failed for %r", text, exc_info=True)
        raise SearchUnavailable() from None
