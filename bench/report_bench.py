"""Cold sponsor reports and portfolios, in-process, one client: time, CPU and statements per page.

    COP_DATABASE_URL=... COP_INSTANCE_PATH=... .venv/bin/python -m bench.report_bench [--n 20] [--sponsors 10]

Asks for ``--n`` distinct report pages (random community, custom period of 7-180 days ending in the
last 200 days) as the administrator, then ``--sponsors`` distinct sponsors' portfolio pages (7, 30 or
90 days), each once after one warm-up, through Flask's test client. Prints, per page type, the median
wall time, process CPU time (SQLite runs in-process: the steadier figure on a loaded machine), time in
the database driver and the number of statements. Signing in writes sessions: run it on a copy of
the data set. For a before/after, run it alternately against two checkouts in the same minutes.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="distinct report pages")
    parser.add_argument("--sponsors", type=int, default=10, help="distinct portfolio pages")
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args(argv)
    from sqlalchemy import event, select

    from bench.client import _CSRF
    from bench.wsgi import app
    from cop.accounts.models import User
    from cop.communities.models import Community, community_sponsors
    from cop.extensions import db, limiter, utcnow
    from cop.seed.data import SEED_PASSWORD

    limiter.enabled = False  # one sign-in per sponsor
    sql = {"statements": 0, "seconds": 0.0}
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def _started(conn, _cursor, _statement, _parameters, _context, _many):
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _ended(conn, _cursor, _statement, _parameters, _context, _many):
            sql["statements"] += 1
            sql["seconds"] += time.perf_counter() - conn.info["bench_started"]

        admin = db.session.scalar(select(User.email).where(User.is_admin.is_(True)).order_by(User.id).limit(1))
        slugs = list(db.session.scalars(select(Community.slug).order_by(Community.id)))
        sponsors = list(
            db.session.scalars(
                select(User.email).where(User.id.in_(select(community_sponsors.c.user_id))).order_by(User.id)
            )
        )
        today = utcnow().date()
    rng = random.Random(args.seed)
    reports = []
    for _ in range(args.n + 1):
        days, end = rng.randint(7, 180), today - timedelta(days=rng.randint(0, 200))
        reports.append(f"/c/{rng.choice(slugs)}/report?period=custom&start={end - timedelta(days=days - 1)}&end={end}")
    portfolios = [(email, rng.choice((7, 30, 90))) for email in rng.sample(sponsors, args.sponsors + 1)]

    def signed_in(email):
        http = app.test_client()
        token = _CSRF.search(http.get("/login").get_data(as_text=True))
        response = http.post(
            "/login", data={"email": email, "password": SEED_PASSWORD, "csrf_token": token.group(1) or token.group(2)}
        )
        if response.status_code != 302:
            raise SystemExit(f"could not sign in as {email}: HTTP {response.status_code}")
        return http

    def timed(http, path) -> tuple[float, float, float, int]:
        sql.update(statements=0, seconds=0.0)
        wall, cpu = time.perf_counter(), time.process_time()
        status = http.get(path).status_code
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
        return (
            (time.perf_counter() - wall) * 1000,
            (time.process_time() - cpu) * 1000,
            sql["seconds"] * 1000,
            sql["statements"],
        )

    def show(name, rows):
        wall, cpu, in_sql, statements = zip(*rows)
        print(
            f"{name:10} median {statistics.median(wall):7.1f} ms  cpu {statistics.median(cpu):6.1f} ms  "
            f"sql {statistics.median(in_sql):6.1f} ms  statements {min(statements)}-{max(statements)}  "
            f"(n={len(rows)})"
        )

    http = signed_in(admin)
    timed(http, reports[0])
    show("report", [timed(http, path) for path in reports[1:]])
    clients = [(signed_in(email), days) for email, days in portfolios]
    timed(clients[0][0], f"/oversight?period={clients[0][1]}")
    show("portfolio", [timed(client, f"/oversight?period={days}") for client, days in clients[1:]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
