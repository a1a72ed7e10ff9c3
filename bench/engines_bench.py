"""Both search engines side by side: index build time and single-client search time per query class.

    COP_DATABASE_URL=sqlite:////work/bench-data/i15s/cop.db COP_INSTANCE_PATH=/work/bench-data/i15s \\
    .venv/bin/python -m bench.engines_bench --engine tantivy --index-dir /work/bench-data/i15s/tantivy_index \\
        [--reindex]

Each query of ``bench/queries.json`` (distinct common words, rare words, two-word AND, quoted phrases,
misspellings) is searched once, in process (no HTTP), as an ordinary member (the first non-administrator),
after one warm-up search: the engine alone (search, facet counts, suggestion when nothing is found), then
the whole search service (plus the permission lookups, loading the hits from the database, snippets,
facet names). Medians per class in milliseconds, with the share of misspellings whose "did you mean"
names the intended word.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("whoosh", "tantivy"), required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--reindex", action="store_true", help="build the index first (timed)")
    args = parser.parse_args(argv)
    os.environ["COP_SEARCH_ENGINE"] = args.engine
    os.environ["COP_SEARCH_INDEX_DIR"] = os.path.abspath(args.index_dir)
    os.environ["COP_SEARCH_INDEX_ON_COMMIT"] = "0"

    from cop import create_app
    from cop.accounts.models import User
    from cop.extensions import db

    app = create_app()
    queries = json.loads((HERE / "queries.json").read_text())
    with app.test_request_context():
        from cop.search import index, services
        from cop.search.engine import get_engine
        from cop.search.filters import permission_filter
        from cop.search.query import parse_query
        from cop.search.whoosh_columns import _searcher_cache

        if args.reindex:
            started = time.perf_counter()
            documents = index.rebuild()
            print(f"{args.engine}: reindex of {documents} documents in {time.perf_counter() - started:.1f} s")
        user = db.session.scalar(
            select(User).where(User.is_admin.is_(False), User.is_disabled.is_(False)).order_by(User.id)
        )
        if user is None:
            print("no ordinary member in the database", file=sys.stderr)
            return 1
        started = time.perf_counter()
        services.search(user, "zzzwarmup")
        print(f"{args.engine}: first search {1000 * (time.perf_counter() - started):.0f} ms; as {user.email}")
        engine = get_engine()
        for kind in ("common", "rare", "two", "phrase", "misspelling"):
            alone, timings, corrected = [], [], 0
            for item in queries[kind]:
                text = item["q"] if isinstance(item, dict) else item
                # The engine alone (search, facet counts, and the suggestion when nothing is found)...
                started = time.perf_counter()
                flt = permission_filter(user)
                found = engine.search(text, parse_query(text), flt, sort="relevance", page=1, per_page=20)
                if found.total == 0:
                    engine.suggest(text, flt, 0)
                alone.append(1000 * (time.perf_counter() - started))
                if args.engine == "whoosh":  # ...then the whole service, not from Whoosh's cache of results
                    _searcher_cache(index.get_searcher(index.index_dir())).pop("results", None)
                started = time.perf_counter()
                results = services.search(user, text)
                timings.append(1000 * (time.perf_counter() - started))
                if isinstance(item, dict) and results.suggestion == item["meant"]:
                    corrected += 1
                db.session.rollback()
            extra = f"; did-you-mean right {corrected}/{len(timings)}" if kind == "misspelling" else ""
            print(
                f"{args.engine}: {kind:<12} engine median {statistics.median(alone):7.1f} ms, whole search "
                f"median {statistics.median(timings):7.1f} ms (max {max(timings):7.1f}, n={len(timings)}){extra}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
