"""\"Did you mean\": a corrected query, offered only when a search finds nothing, from a bounded walk."""
import re

from cop.search.query import _SCHEMA, _WORD, parse_query


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

