"""Parsing what users type into a Whoosh query over the content fields, safely.

The user's text is only ever parsed over the content fields (title, body, tags), so it can neither
name another field nor widen the permission filter (``cop.search.filters``).
"""

import logging
import re

from whoosh import query as wq
from whoosh.qparser import (
    AndGroup,
    BoostPlugin,
    EveryPlugin,
    FieldsPlugin,
    MultifieldParser,
    RangePlugin,
    WildcardPlugin,
)

from cop.errors import DomainError
from cop.search.index import make_schema

log = logging.getLogger(__name__)

CONTENT_FIELDS = ("title", "body", "tagtext")
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
TYPE_LABELS = {"thread": "Thread", "resource": "Resource", "community": "Community", "person": "Person"}
CONTENT_TYPES = ("thread", "resource")
DATE_RANGES = {"week": ("Past week", 7), "month": ("Past month", 30), "year": ("Past year", 365)}
_SCHEMA = make_schema()
_WORD = re.compile(r"\w+", re.UNICODE)


class QueryError(DomainError):
    """The query cannot be run as typed (too long, too many words, nothing to look for)."""


class SearchUnavailable(Exception):
    """The index is missing or broken; pages keep working and search says so."""


def normalize_query(text: str) -> str:
    return " ".join((text or "").split()).lower()[:MAX_QUERY_CHARS]


def make_parser(fields=CONTENT_FIELDS, group=AndGroup, schema=None) -> MultifieldParser:
    """A parser over the content fields only: no ``field:`` syntax, wildcards, ranges, boosts or ``*:*``.

    ``schema``: the fields' analysers (default: the index's, stemming; Tantivy's engine parses with
    unstemmed ones and stems with its own analyser).
    """
    parser = MultifieldParser(list(fields), schema or _SCHEMA, group=group)
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


def _terms_of(q) -> set[str]:
    return {
        text if isinstance(text, str) else text.decode("utf-8", "replace")
        for fieldname, text in _positive_terms(q)
        if fieldname in CONTENT_FIELDS
    }
