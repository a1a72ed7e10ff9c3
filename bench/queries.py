"""The benchmark's query set, drawn from the seed's vocabulary and kept in ``bench/queries.json``.

``python -m bench.queries`` (re)writes the file; the same seed gives the same
queries, so runs on any machine ask the same questions. The seeded text is
Zipf-distributed over a fixed vocabulary (``cop.seed.text.TextGenerator``):
a word's rank says how often it occurs, so the classes are chosen by rank:

- ``common``: distinct words among the 60 most frequent content words (matches in a large share of threads);
- ``rare``: words ranked 15,000-28,000 (a few hundred occurrences in the large set, a handful in small);
- ``two``: two distinct words of the 300 most frequent, both required (AND, the default);
- ``phrase``: two frequent words in quotes;
- ``misspelling``: a mid-frequency word of 6+ letters with one letter dropped, doubled, swapped or changed,
  which is not itself a word of the vocabulary (the "did you mean" path).
"""

import json
import os
import random

from cop.seed.text import TextGenerator

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES_JSON = os.path.join(HERE, "queries.json")
PER_CLASS = 60


def _misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap", "change"))
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice([c for c in "aeioulnrst" if c != word[i]]) + word[i + 1 :]


def build(seed: int = 15, per_class: int = PER_CLASS) -> dict:
    rng = random.Random(seed)
    content = [w for w in TextGenerator(random.Random(0)).content if w.isalpha()]
    known = set(TextGenerator(random.Random(0)).vocabulary)
    common = rng.sample([w for w in content[:80] if len(w) > 3], min(per_class, 60))
    rare = rng.sample(content[15_000:28_000], per_class)
    pairs, phrases = set(), set()
    while len(pairs) < per_class:
        a, b = rng.sample(content[:300], 2)
        pairs.add(f"{a} {b}")
    while len(phrases) < per_class:
        a, b = rng.sample(content[:80], 2)
        phrases.add(f'"{a} {b}"')
    misspellings = {}
    candidates = [w for w in content[100:3000] if len(w) >= 6]
    while len(misspellings) < per_class:
        word = rng.choice(candidates)
        wrong = _misspell(word, rng)
        if wrong not in known and wrong != word:
            misspellings[wrong] = word
    return {
        "seed": seed,
        "common": common,
        "rare": rare,
        "two": sorted(pairs),
        "phrase": sorted(phrases),
        "misspelling": [{"q": wrong, "meant": right} for wrong, right in sorted(misspellings.items())],
    }


def load() -> dict:
    with open(QUERIES_JSON, encoding="utf-8") as handle:
        return json.load(handle)


if __name__ == "__main__":
    with open(QUERIES_JSON, "w", encoding="utf-8") as handle:
        json.dump(build(), handle, indent=1)
        handle.write("\n")
    print(f"wrote {QUERIES_JSON}")
