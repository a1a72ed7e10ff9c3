"""What the rest of cop needs from a search engine, and which one is used (``COP_SEARCH_ENGINE``).

Two implementations: Whoosh (``cop.search.whoosh_engine``, the default: pure Python, nothing to
install beyond the wheel) and Tantivy (``cop.search.tantivy_engine``: the official bindings of a Rust
engine, for large deployments). Both keep an embedded index in ``SEARCH_INDEX_DIR`` and are fed by
the same transactional outbox (``cop.search.outbox``, applied by ``cop.search.index.catch_up``).

Everything above an engine is shared: parsing what users type (``cop.search.query``: the Whoosh
parser over the content fields, so both engines understand the same syntax), the permission filter
(``cop.search.filters.PermissionFilter``: each engine turns it into a query object, never into query
text), loading hits back from the database, naming facets, the "did you mean" rules and related threads.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app

from cop.search.filters import PermissionFilter

ENGINES = ("whoosh", "tantivy")


class EngineHit(Protocol):
    """One document found, in the engine's order."""

    doc_type: str  # "thread", "resource", "community" or "person"
    doc_id: int
    title: str  # as indexed (the snippet's fallback)

    def highlight(self, fieldname: str, text: str) -> str:
        """``text`` (escaped) with the query's terms marked ``<mark class="hl termN">``; "" when none is in it."""


@dataclass
class EngineResults:
    total: int
    page: int  # the page returned (the last one when asked past the end)
    pages: int
    hits: list = field(default_factory=list)  # [EngineHit], at most one page
    # {facet name: {value: count}} over every permitted match ("type", "community", "author", "kind",
    # "status", "tag", "date"): cop.search.facets names them.
    facet_counts: dict = field(default_factory=dict)
    capped: bool = False  # only the best candidates were checked (see services.SearchResults.capped)


# Applies a batch of outbox rows: (session, [(doc_type, doc_id)]) -> None; committed on return.
Apply = Callable[..., None]
# Adds one document (a dict of cop.search.index's document builders) to an index being built.
Add = Callable[[dict], None]


class SearchEngine(Protocol):
    name: str

    # --- the index, fed by the outbox (cop.search.index drives these under its writer lock) ---

    def writing(self, path: str) -> AbstractContextManager[Apply]:
        """Open (creating if missing) the index at ``path`` for this process's one writer; yields ``apply``."""

    def building(self, path: str) -> AbstractContextManager[Add]:
        """A new index at ``path`` (an empty directory); yields ``add``; committed when the block ends."""

    def document_count(self, path: str) -> int:
        """Documents in the index at ``path``; raises when it is missing or unreadable."""

    def note_local_write(self) -> None:
        """This process changed the index: its next search must see it."""

    # --- reading ---

    def search(self, text: str, q, flt: PermissionFilter, *, sort: str, page: int, per_page: int) -> EngineResults:
        """One page of the documents matching ``text``, parsed as ``q`` (``cop.search.query.parse_query``)
        among those ``flt`` permits, best first (``sort="date"``: last updated first), with the total and
        the facet counts over every permitted match. :raise IndexUnavailable: missing or broken index."""

    def suggest(self, text: str, flt: PermissionFilter, total: int) -> str | None:
        """``text`` with a misspelt word corrected, only if the correction finds more than ``total``
        documents ``flt`` permits; None otherwise. Bounded work: never a walk over every indexed word."""

    def similar(self, text: str, flt: PermissionFilter, limit: int) -> list[int]:
        """The ids of up to ``limit`` threads ``flt`` permits sharing the rarest words of ``text``, best first."""

    def forget(self, path: str) -> None:
        """Drop this process's readers of ``path`` (before its files are replaced under them)."""

    def related_finder(self, path: str) -> Callable[[int, str, list[str], int], list[int]]:
        """A function (thread_id, title, tags, limit) -> ids of the threads most like it, from every
        community, on the index as just written (``cop.search.related`` stores them)."""


_ENGINES: dict[str, SearchEngine] = {}


def engine_name(app=None) -> str:
    name = ((app or current_app).config.get("SEARCH_ENGINE") or "whoosh").lower()
    if name not in ENGINES:
        raise ValueError(f"COP_SEARCH_ENGINE must be one of {', '.join(ENGINES)}, not {name!r}")
    return name


def get_engine(app=None) -> SearchEngine:
    """The engine the app is configured with (one instance per process and engine)."""
    name = engine_name(app)
    engine = _ENGINES.get(name)
    if engine is None:
        if name == "tantivy":
            from cop.search.tantivy_engine import TantivyEngine

            engine = TantivyEngine()
        else:
            from cop.search.whoosh_engine import WhooshEngine

            engine = WhooshEngine()
        _ENGINES[name] = engine
    return engine
