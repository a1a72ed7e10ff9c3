"""Time the benchmark's pages in-process, one client, no server: where a page's own time goes.

    COP_DATABASE_URL=... .venv/bin/python -m bench.inprocess [--n 30] [--only thread] [--profile]

The same pages and subjects as ``bench.harness`` (plus the floor, and the floor for a signed-in
member), each fetched ``--n`` times through Flask's test client after a warm-up; prints the median
and the fastest time. ``--profile`` prints the top functions of one page (``--only`` picks it) by
cumulative or own time (``--sort tottime``). Figures here are a page's service time; under the
harness's load (8 connections, 2 workers, ``wrk`` on the same cores) a median is several times that.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _signed_in(app, email: str, password: str):
    from bench.client import _CSRF

    http = app.test_client()
    token = _CSRF.search(http.get("/login").get_data(as_text=True))
    response = http.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1) or token.group(2)}
    )
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: HTTP {response.status_code}")
    return http


def main(argv=None) -> int:
    from bench import harness
    from bench.floor import FLOOR_PATH
    from cop.seed.data import SEED_PASSWORD

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="timed requests per page")
    parser.add_argument("--only", default="", help="pages whose name contains this text")
    parser.add_argument("--profile", action="store_true", help="cProfile the (first) selected page")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key for --profile")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)
    from bench.wsgi import app
    from cop.search.index import IndexUnavailable

    try:
        subjects = harness.discover(app)
    except IndexUnavailable:  # still being built: every page but search can be timed
        harness.search_words = lambda _path: {"common": "team", "rare": "team", "second": "work"}
        subjects = harness.discover(app)
    clients = {
        "": app.test_client(),
        "member": _signed_in(app, subjects["member"], SEED_PASSWORD),
        "sponsor": _signed_in(app, subjects["sponsor"], SEED_PASSWORD),
    }
    pages = [
        harness.Target("floor", FLOOR_PATH, "", 0),
        harness.Target("floor, signed in", FLOOR_PATH, "member", 0),
        *harness.targets(subjects),
    ]
    pages = [p for p in pages if args.only in p.name]
    for page in pages:
        http = clients[page.login]
        for _ in range(3):
            status = http.get(page.path).status_code
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                http.get(page.path)
            profiler.disable()
            print(f"{page.name}: {args.n} requests")
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
            return 0
        timings = []
        for _ in range(args.n):
            started = time.perf_counter()
            http.get(page.path)
            timings.append((time.perf_counter() - started) * 1000)
        print(
            f"{page.name:<34} HTTP {status}  median {statistics.median(timings):7.2f} ms  "
            f"fastest {min(timings):7.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
