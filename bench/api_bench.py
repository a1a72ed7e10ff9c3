"""The API benchmark: a thread read (and search, when the data set has its index) against the floor.

Cold, as people and scripts meet it: the same number of *distinct* threads (and search words), each
asked once, under gunicorn with the production configuration (``bench.wsgi``: the app plus the
floor route), in the same run as the floor (``/__bench/floor``, 50 posts rendered from memory).

    cp /work/bench-data/large-base/cop.db DIR/ && COP_DATABASE_URL=sqlite:///DIR/cop.db flask --app wsgi db upgrade
    .venv/bin/python bench/api_bench.py --dir DIR [--threads 100] [--label large-sqlite]

Measured: ``GET /api/v1/threads/{id}`` (the thread and its opening post), ``GET /api/v1/threads/{id}/posts``
(the first 50 replies, bodies included) and, with ``DIR/search_index``, ``GET /api/v1/search?q=<word>``
for distinct rare words. It adds one API token to the data set (a member's, read scope) and revokes it at the
end. Writes ``bench/results/api-<label>.json`` and prints a Markdown table for ``bench/RESULTS.md``.
"""

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str, headers: dict) -> tuple[int, float, int]:
    """(status, milliseconds, body bytes) of one GET on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    return response.status, elapsed, len(body)


def _subjects(env: dict, threads: int, words: int) -> dict:
    """A member with a token, distinct readable threads with 50+ replies, and rare words (in-process)."""
    os.environ.update(env)
    from sqlalchemy import func, select

    from cop import create_app, permissions
    from cop.accounts.models import User
    from cop.api import tokens
    from cop.communities.models import Membership
    from cop.discussions.models import Thread
    from cop.extensions import db

    app = create_app()
    with app.app_context():
        member_id = db.session.scalar(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(Membership.status == "active", User.is_disabled.is_(False))
            .group_by(Membership.user_id)
            .order_by(func.count().desc(), Membership.user_id)
            .limit(1)
        )
        member = db.session.get(User, member_id)
        readable = sorted(permissions.readable_community_ids(member))
        candidates = list(
            db.session.scalars(
                select(Thread.id)
                .where(Thread.community_id.in_(readable), Thread.is_deleted.is_(False), Thread.reply_count >= 50)
                .order_by(Thread.id)
                .limit(threads * 20)
            )
        )
        chosen = random.Random(19).sample(candidates, min(threads, len(candidates)))
        token, secret = tokens.create_token(member, name="api benchmark", scopes=["read"], expires_in_days=7)
        rare = []
        if words:
            from cop.seed.text import TextGenerator

            generator = TextGenerator(random.Random(23))
            rare = list(dict.fromkeys(w for w in generator.title().lower().split() if len(w) > 5))[:words]
        return {"member": member.email, "token_id": token.id, "secret": secret, "threads": chosen, "words": rare}


def _revoke(env: dict, token_id: int) -> None:
    from cop import create_app
    from cop.api.models import ApiToken
    from cop.extensions import db, utcnow

    app = create_app()
    with app.app_context():
        db.session.get(ApiToken, token_id).revoked_at = utcnow()
        db.session.commit()


def _summary(name: str, samples: list[tuple[int, float, int]], floor_ms: float | None) -> dict:
    times = sorted(ms for _status, ms, _size in samples)
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {
        "name": name,
        "requests": len(samples),
        "statuses": sorted({s for s, _ms, _n in samples}),
        "median_ms": round(median, 2),
        "p95_ms": round(p95, 2),
        "x_floor": round(median / floor_ms, 2) if floor_ms else None,
        "median_bytes": int(statistics.median(n for _s, _ms, n in samples)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="folder with cop.db (and search_index, if built)")
    parser.add_argument("--threads", type=int, default=100, help="distinct threads, each read once")
    parser.add_argument("--words", type=int, default=30, help="distinct search words (only with an index)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--label", default="large-sqlite")
    args = parser.parse_args(argv)
    folder = Path(args.dir).resolve()
    index = folder / "search_index"
    env = {
        "COP_DATABASE_URL": f"sqlite:///{folder / 'cop.db'}",
        "COP_INSTANCE_PATH": str(folder),
        "COP_SEARCH_INDEX_DIR": str(index),
        "COP_SEARCH_INDEX_ON_COMMIT": "0",
        "COP_API_RATE_LIMIT": "1000000 per minute",
    }
    subjects = _subjects(env, args.threads, args.words if index.is_dir() else 0)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "python:cop.gunicorn_conf",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "bench.wsgi:app",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    headers = {"Authorization": f"Bearer {subjects['secret']}"}
    try:
        for _ in range(300):
            try:
                if _get(port, "/healthz", {})[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.2)
        for _ in range(4 * args.workers):  # every worker imported and connected; nothing measured is warm
            _get(port, "/__bench/floor", {})
            _get(port, "/api/v1/me", headers)
        floor = [_get(port, "/__bench/floor", {}) for _ in subjects["threads"]]
        thread = [_get(port, f"/api/v1/threads/{i}", headers) for i in subjects["threads"]]
        posts = [_get(port, f"/api/v1/threads/{i}/posts?limit=50", headers) for i in subjects["threads"]]
        search = [_get(port, f"/api/v1/search?q={w}", headers) for w in subjects["words"]]
    finally:
        server.terminate()
        server.wait(30)
        _revoke(env, subjects["token_id"])
    floor_ms = statistics.median(ms for _s, ms, _n in floor)
    rows = [
        _summary("floor (bare Flask, 50 posts from memory)", floor, floor_ms),
        _summary("API thread (GET /api/v1/threads/{id})", thread, floor_ms),
        _summary("API replies, 50 (GET /api/v1/threads/{id}/posts?limit=50)", posts, floor_ms),
    ]
    if search:
        rows.append(_summary("API search, rare word (GET /api/v1/search?q=...)", search, floor_ms))
    report = {
        "label": args.label,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": os.getloadavg(),
        "workers": args.workers,
        "rows": rows,
        "search": "measured" if search else "not measured: the data set has no search index",
    }
    out = ROOT / "bench" / "results" / f"api-{args.label}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(
        f"| request ({args.label}, cold, {len(subjects['threads'])} distinct threads) | n | statuses | "
        "median ms | p95 ms | x floor | median bytes |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['name']} | {row['requests']} | {row['statuses']} | {row['median_ms']} | {row['p95_ms']} | "
            f"{row['x_floor']} | {row['median_bytes']} |"
        )
    print(f"load average {report['load_average'][0]:.2f}; search: {report['search']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
