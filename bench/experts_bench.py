"""The tag page with its experts ("People who know #tag") for the most used tags, in-process, one client.

    COP_DATABASE_URL=... COP_INSTANCE_PATH=... .venv/bin/python -m bench.experts_bench [--n 20] [--skip 0] [--repeat 3]

Signed in as the benchmark's ordinary member (``bench.harness.discover``: active in the largest open
community, neither coordinator nor sponsor), asks ``/tags/<name>`` for each of the ``--n`` tags on the
most threads, each once (distinct pages, none asked before: the first pass), then ``--repeat`` more
passes; also the experts ranking alone (``experts_on``) for the same tags. Prints the median and the
slowest in milliseconds. Target: the tag page < 50 ms. Runs on any revision that has the tag page's
experts (the code before the evidence table too), so before/after pairs use the same script.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _line(name: str, times: list[float]) -> str:
    return f"{name:40} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms   (n={len(times)})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="the most used tags timed")
    parser.add_argument(
        "--skip", type=int, default=0, help="leave out this many most used tags first (e.g. --skip 200: less used tags)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="passes over the tags after the first")
    args = parser.parse_args(argv)
    from flask_login import login_user
    from sqlalchemy import func, select

    from bench import harness
    from bench.inprocess import _signed_in
    from bench.wsgi import app
    from cop.accounts.models import User
    from cop.discussions.models import thread_tags
    from cop.extensions import db
    from cop.seed.data import SEED_PASSWORD
    from cop.tags import experts
    from cop.tags.models import Tag

    harness.search_words = lambda _path: {"common": "team", "rare": "team", "second": "work"}  # no index needed
    subjects = harness.discover(app)
    http = _signed_in(app, subjects["member"], SEED_PASSWORD)
    with app.app_context():
        names = list(
            db.session.scalars(
                select(Tag.name)
                .join(thread_tags, thread_tags.c.tag_id == Tag.id)
                .group_by(Tag.id, Tag.name)
                .order_by(func.count().desc(), Tag.name)
                .offset(args.skip)
                .limit(args.n)
            )
        )
    passes: list[list[float]] = []
    for _ in range(1 + args.repeat):
        times = []
        for name in names:
            started = time.perf_counter()
            response = http.get(f"/tags/{name}")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and 'id="experts-h"' in response.get_data(as_text=True), name
        passes.append(times)
    ranking = []
    with app.test_request_context():
        member = db.session.scalar(select(User).where(User.email == subjects["member"]))
        login_user(member)
        tags = [db.session.scalar(select(Tag).where(Tag.name == name)) for name in names]
        for tag in tags:
            started = time.perf_counter()
            experts.experts_on(member, tag)
            ranking.append((time.perf_counter() - started) * 1000)
    print(f"member {subjects['member']}, {len(names)} tags after the {args.skip} most used: {', '.join(names)}")
    print(_line("tag page, first request per tag", passes[0]))
    if args.repeat:
        print(_line(f"tag page, {args.repeat} more passes", [t for times in passes[1:] for t in times]))
    print(_line("experts ranking alone", ranking))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
