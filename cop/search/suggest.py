"""\"Did you mean\": a corrected query, offered only when a search finds nothing.

The rules are the engines' common ground: at most four words are tried, three candidates per word
and eight corrected searches in all, and a correction is offered only if it finds more of what the
user may see (a word that exists only where the user may not look is never shown). Each engine finds
the candidates with bounded work (Whoosh: a Levenshtein automaton walk, ``spelling_candidates`` in
``cop.search.whoosh_engine``; Tantivy: the word's edits looked up in the term dictionary).
"""

import re
from collections.abc import Callable

from cop.search.query import _WORD

SUGGEST_FIELDS = ("title", "body")
OPERATORS = ("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE")


def suggest_correction(
    text: str, candidates: Callable[[str], list[str]], finds_more: Callable[[str], bool]
) -> str | None:
    """``text`` with one word replaced by a candidate (``candidates(lowercased word)``) such that
    ``finds_more(corrected text)``; None when no candidate does. Failures count as finding nothing."""
    words = [w for w in _WORD.findall(text) if w.upper() not in OPERATORS]
    checks = 0
    for word in words[:4]:
        try:
            found = candidates(word.lower())
        except Exception:
            found = []
        for candidate in found[:3]:
            corrected = re.sub(rf"\b{re.escape(word)}\b", candidate, text, count=1)
            checks += 1
            try:
                if finds_more(corrected):
                    return corrected
            except Exception:
                pass
            if checks >= 8:
                return None
    return None
