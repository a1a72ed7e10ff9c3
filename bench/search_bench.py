"""Time the search service: common word, rare word, two words, phrase, and with a facet selected.

Not a test: a script to run against a real database and index, e.g.

    .venv/bin/python bench/search_bench.py --database-url sqlite:///instance/cop.db \
        --index-dir instance/search_index --runs 20

It searches as the first administrator (everything visible) unless ``--user EMAIL`` names
someone else, prints the median and 90th percentile of ``--runs`` calls per query (after one
warm-up call), both new to the searcher and repeated, and the number of hits. Add ``--reindex``
to rebuild the index first.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select  # noqa: E402

from config import Config  # noqa: E402
from cop import create_app  # noqa: E402
from cop.accounts.models import User  # noqa: E402
from cop.extensions import db  # noqa: E402


def _words(searcher):
    """The most and least frequent words of the body field, to search for."""
    terms = [
        (searcher.doc_frequency("body", t), t.decode() if isinstance(t, bytes) else t) for t in searcher.lexicon("body")
    ]
    terms = [(n, t) for n, t in terms if t.isalpha() and len(t) > 3]
    terms.sort()
    return terms[-1][1], terms[len(terms) // 50][1], terms[-5][1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--user", help="search as this e-mail address (default: the first administrator)")
    parser.add_argument("--reindex", action="store_true", help="rebuild the index before timing")
    args = parser.parse_args()

    config = type(
        "BenchConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": args.database_url,
            "SEARCH_INDEX_DIR": os.path.abspath(args.index_dir),
            "SEARCH_INDEX_ON_COMMIT": False,
        },
    )
    app = create_app(config)
    with app.test_request_context():
        from cop.search import index, services
        from cop.search.whoosh_columns import _searcher_cache

        if args.reindex:
            started = time.perf_counter()
            documents = index.rebuild()
            print(f"reindex: {documents} documents in {time.perf_counter() - started:.1f} s")
        user = db.session.scalar(
            select(User).where(User.email == args.user)
            if args.user
            else select(User).where(User.is_admin.is_(True)).order_by(User.id)
        )
        if user is None:
            print("no such user (or no administrator)", file=sys.stderr)
            return 1
        searcher = index.get_searcher(index.index_dir())
        common, rare, second = _words(searcher)
        print(f"documents: {searcher.doc_count()}; searching as {user.email}")
        cases = [
            ("common word", common, {}),
            ("rare word", rare, {}),
            ("two words", f"{common} {second}", {}),
            ("phrase", f'"{common} {second}"', {}),
            ("common + facet", common, {"type": "thread"}),
        ]
        # "new": the searcher's cache of recent searches emptied before each call (a search not
        # run since the index last changed); "repeat": the same search again on the same searcher.
        print(f"{'case':<16} {'query':<24} {'hits':>7} {'new median':>10} {'new p90':>8} {'repeat median':>13}")
        for label, text, selected in cases:
            services.search(user, text, **selected)  # warm-up
            timings = {"new": [], "repeat": []}
            for _ in range(args.runs):
                for kind in timings:
                    if kind == "new":
                        _searcher_cache(index.get_searcher(index.index_dir())).pop("results", None)
                    started = time.perf_counter()
                    results = services.search(user, text, **selected)
                    timings[kind].append((time.perf_counter() - started) * 1000)
            new = sorted(timings["new"])
            p90 = new[min(len(new) - 1, int(len(new) * 0.9))]
            print(
                f"{label:<16} {text[:24]:<24} {results.total:>7} {statistics.median(new):>10.1f} {p90:>8.1f} "
                f"{statistics.median(timings['repeat']):>13.1f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
