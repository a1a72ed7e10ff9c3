"""Load and faults: 16 clients post and read for 60 s against gunicorn with 4 workers, then every
acknowledged post must be in the database and in the search index, with zero 5xx responses.

    COP_DATABASE_URL=... COP_INSTANCE_PATH=... COP_SEARCH_INDEX_DIR=... \\
        .venv/bin/python -m bench.loadtest [--clients 16] [--seconds 60] [--workers 4] [--redis URL]

Each client signs in as a different member (seeded password) and loops: read a thread (60%), read
its community's thread list (15%), reply (17%) or open a new thread (8%), each write carrying a
unique token word. A post is *acknowledged* when the app answers the POST with its redirect to the
new post or thread. Afterwards the outbox is applied (``catch_up``, as the next commit or the cron
job would) and each acknowledged post is looked up in the database and its token in the index.
The result is written to a section of ``bench/RESULTS.md``.
"""

import argparse
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import client, harness  # noqa: E402

_THREAD_LOCATION = re.compile(r"/t/(\d+)(?:\?page=\d+)?(?:#post-(\d+))?$")
_CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def pick_members(app, n: int) -> list[dict]:
    """``n`` distinct active members of open communities, each with a few of that community's threads."""
    from sqlalchemy import func, select

    from cop.accounts.models import User
    from cop.communities.models import Community, Membership
    from cop.discussions.models import Thread
    from cop.extensions import db

    with app.app_context():
        rows = db.session.execute(
            select(User.email, Community.id, Community.slug)
            .join(Membership, Membership.user_id == User.id)
            .join(Community, Community.id == Membership.community_id)
            .where(
                Membership.status == "active",
                Community.visibility == "open",
                User.is_disabled.is_(False),
                User.is_admin.is_(False),
            )
            .order_by(Community.member_count.desc(), User.id)
            .limit(n * 40)
        ).all()
        chosen, seen = [], set()
        for email, community_id, slug in rows:
            if email not in seen:
                seen.add(email)
                chosen.append({"email": email, "community_id": community_id, "slug": slug})
            if len(chosen) == n:
                break
        for member in chosen:
            member["threads"] = list(
                db.session.scalars(
                    select(Thread.id)
                    .where(
                        Thread.community_id == member["community_id"],
                        Thread.is_deleted.is_(False),
                        Thread.is_locked.is_(False),
                        Thread.status != "closed",
                    )
                    .order_by(func.random())
                    .limit(20)
                )
            )
        return chosen


class Client(threading.Thread):
    def __init__(self, number, base_url, member, password, deadline, seed):
        super().__init__(name=f"client-{number}")
        self.number, self.member, self.deadline = number, member, deadline
        self.session = client.Session(base_url)
        self.password = password
        self.rng = random.Random(seed)
        self.statuses: Counter = Counter()
        self.latencies: dict[str, list[float]] = {"read": [], "write": []}
        self.acknowledged: list[dict] = []  # {"thread_id", "post_id" (None: a new thread's opening post), "token"}
        self.failures: list[str] = []
        self.sequence = 0

    def _timed(self, kind, method, path, form=None):
        started = time.perf_counter()
        try:
            status, headers, body = self.session.request(method, path, form)
        except Exception as exc:  # a dropped connection counts as a failure, never stops the run
            self.statuses["error"] += 1
            self.failures.append(f"{method} {path}: {type(exc).__name__}: {exc}")
            self.session.close()
            return None, {}, b""
        self.latencies[kind].append((time.perf_counter() - started) * 1000)
        self.statuses[status] += 1
        if status >= 500:
            self.failures.append(f"{method} {path}: HTTP {status}")
        return status, headers, body

    def _token(self):
        self.sequence += 1
        return f"lt{self.number:02d}x{self.sequence:05d}q"

    def run(self):
        self.session.login(self.member["email"], self.password)
        _status, _headers, body = self.session.get(f"/c/{self.member['slug']}/threads")
        csrf = _CSRF_META.search(body.decode("utf-8", "replace")).group(1)
        threads = self.member["threads"]
        while time.monotonic() < self.deadline:
            roll = self.rng.random()
            thread_id = self.rng.choice(threads) if threads else None
            if roll < 0.60 and thread_id:
                self._timed("read", "GET", f"/t/{thread_id}")
            elif roll < 0.75 or not thread_id:
                self._timed("read", "GET", f"/c/{self.member['slug']}/threads")
            elif roll < 0.92:
                token = self._token()
                status, headers, _body = self._timed(
                    "write",
                    "POST",
                    f"/t/{thread_id}/reply",
                    {"csrf_token": csrf, "body": f"Load test reply {token}: the checklist worked for us."},
                )
                match = _THREAD_LOCATION.search(headers.get("location", "")) if status == 302 else None
                if match and match.group(2):
                    self.acknowledged.append(
                        {"thread_id": int(match.group(1)), "post_id": int(match.group(2)), "token": token}
                    )
                elif status not in (None,) and status < 500 and status != 302:
                    self.failures.append(f"reply to {thread_id}: HTTP {status}")
            else:
                token = self._token()
                status, headers, _body = self._timed(
                    "write",
                    "POST",
                    f"/c/{self.member['slug']}/threads/new",
                    {
                        "csrf_token": csrf,
                        "title": f"Load test question {token}",
                        "kind": "question",
                        "priority": "3",
                        "tags": "",
                        "body": f"How do we handle {token} in production?",
                    },
                )
                match = _THREAD_LOCATION.search(headers.get("location", "")) if status == 302 else None
                if match:
                    self.acknowledged.append({"thread_id": int(match.group(1)), "post_id": None, "token": token})
                    threads.append(int(match.group(1)))
                elif status is not None and status < 500:
                    self.failures.append(f"new thread: HTTP {status}")
        self.session.close()


def verify(app, acknowledged: list[dict]) -> dict:
    """Apply the outbox, then look every acknowledged post up in the database and in the index."""
    from sqlalchemy import func, select
    from whoosh import query as wq

    from cop.discussions.models import Post, Thread
    from cop.extensions import db
    from cop.search import index
    from cop.search.services import _SCHEMA

    with app.app_context():
        backlog_before = index.status()["backlog"]
        started = time.perf_counter()
        while True:
            applied = index.catch_up(limit=20000)
            if applied is not None and index.status()["backlog"] == 0:
                break
            time.sleep(0.5)
        catch_up_seconds = time.perf_counter() - started
        reply_ids = [a["post_id"] for a in acknowledged if a["post_id"]]
        found = set()
        for start in range(0, len(reply_ids), 500):
            found |= set(db.session.scalars(select(Post.id).where(Post.id.in_(reply_ids[start : start + 500]))))
        new_threads = [a["thread_id"] for a in acknowledged if not a["post_id"]]
        opened = {}
        for start in range(0, len(new_threads), 500):
            opened.update(
                dict(
                    db.session.execute(
                        select(Thread.id, Post.body_md)
                        .join(Post, Post.id == Thread.opening_post_id)
                        .where(Thread.id.in_(new_threads[start : start + 500]))
                    ).all()
                )
            )
        bodies = dict(db.session.execute(select(Post.id, Post.body_md).where(Post.id.in_(reply_ids[:2000]))).all())
        missing_db = [
            a
            for a in acknowledged
            if (a["post_id"] and a["post_id"] not in found)
            or (not a["post_id"] and a["token"] not in opened.get(a["thread_id"], ""))
        ]
        wrong_text = [a for a in acknowledged if a["post_id"] in bodies and a["token"] not in bodies[a["post_id"]]]
        searcher = index.get_searcher(index.index_dir())
        missing_index = []
        for ack in acknowledged:
            stem = [t.text for t in _SCHEMA["body"].analyzer(ack["token"])][0]
            keys = {hit["key"] for hit in searcher.search(wq.Term("body", stem), limit=None)}
            if f"thread:{ack['thread_id']}" not in keys:
                missing_index.append(ack)
        total_posts = db.session.scalar(select(func.count()).select_from(Post))
    return {
        "backlog_before_catch_up": backlog_before,
        "catch_up_seconds": round(catch_up_seconds, 1),
        "missing_in_database": len(missing_db),
        "wrong_text": len(wrong_text),
        "missing_in_index": len(missing_index),
        "posts_in_database": total_posts,
        "examples": [*missing_db[:3], *missing_index[:3]],
    }


def run(*, clients=16, seconds=60.0, workers=4, redis=None, label=None, write=True, echo=print) -> dict:
    from cop.seed.data import SEED_PASSWORD
    from wsgi import app

    members = pick_members(app, clients)
    if len(members) < clients:
        raise SystemExit(f"only {len(members)} members of open communities; seed more data")
    env = {"COP_LOGIN_RATE_LIMIT_IP": "100000 per minute", "COP_LOGIN_RATE_LIMIT_ACCOUNT": "1000 per minute"}
    if redis:
        env["COP_RATELIMIT_STORAGE_URI"] = redis
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    log_dir = os.path.join(harness.HERE, "out")  # git-ignored
    log_path = os.path.join(log_dir, f"{label or 'loadtest'}-gunicorn.log")
    os.makedirs(log_dir, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        server = harness.Gunicorn(workers, env=env, app="wsgi:app", log=log)
        try:
            deadline = time.monotonic() + seconds
            threads = [Client(i, server.base_url, members[i], SEED_PASSWORD, deadline, seed=i) for i in range(clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
    statuses = sum((t.statuses for t in threads), Counter())
    acknowledged = [a for t in threads for a in t.acknowledged]
    reads = sorted(v for t in threads for v in t.latencies["read"])
    writes = sorted(v for t in threads for v in t.latencies["write"])
    echo(
        f"{sum(statuses.values())} requests in {elapsed:.1f} s; statuses {dict(statuses)}; "
        f"{len(acknowledged)} posts acknowledged; verifying..."
    )
    checks = verify(app, acknowledged)
    five_xx = sum(n for status, n in statuses.items() if isinstance(status, int) and status >= 500)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "backend": make_backend_name(),
        "clients": clients,
        "seconds": seconds,
        "workers": workers,
        "rate_limit_storage": redis or "memory://",
        "requests": sum(statuses.values()),
        "rps": sum(statuses.values()) / elapsed,
        "statuses": {str(k): v for k, v in statuses.items()},
        "five_xx": five_xx,
        "connection_errors": statuses.get("error", 0),
        "acknowledged": len(acknowledged),
        "read_median_ms": statistics.median(reads) if reads else 0,
        "read_p95_ms": client.percentile(reads, 95),
        "write_median_ms": statistics.median(writes) if writes else 0,
        "write_p95_ms": client.percentile(writes, 95),
        "load_before": load_before,
        "load_after": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
        "machine": harness.machine(),
        "failures": [f for t in threads for f in t.failures][:10],
        **checks,
    }
    report["passed"] = (
        five_xx == 0
        and report["connection_errors"] == 0
        and checks["missing_in_database"] == 0
        and checks["missing_in_index"] == 0
        and checks["wrong_text"] == 0
    )
    echo(
        f"5xx: {five_xx}; missing in database: {checks['missing_in_database']}; missing in index: "
        f"{checks['missing_in_index']}; {'PASSED' if report['passed'] else 'FAILED'}"
    )
    if write:
        label = label or f"loadtest-{report['backend']}"
        harness.write_section(label, render(label, report))
    return report


def make_backend_name() -> str:
    from sqlalchemy.engine import make_url

    from wsgi import app

    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def render(label: str, r: dict) -> str:
    return "\n".join(
        [
            f"### {label}",
            "",
            f"- Date: {r['date']}; backend: {r['backend']}; gunicorn workers: {r['workers']}; clients: {r['clients']} "
            f"for {r['seconds']:g} s; rate limits in {r['rate_limit_storage']}",
            f"- Load average before: {r['load_before']}, after: {r['load_after']}",
            f"- Requests: {r['requests']:,} ({r['rps']:.0f}/s); statuses: {r['statuses']}",
            f"- Reads: median {r['read_median_ms']:.0f} ms, p95 {r['read_p95_ms']:.0f} ms; "
            f"writes: median {r['write_median_ms']:.0f} ms, p95 {r['write_p95_ms']:.0f} ms",
            f"- Acknowledged posts: {r['acknowledged']}; missing in the database: {r['missing_in_database']}; "
            f"with the wrong text: {r['wrong_text']}; missing in the search index: {r['missing_in_index']}",
            f"- Outbox backlog when the clients stopped: {r['backlog_before_catch_up']} (applied in "
            f"{r['catch_up_seconds']} s); 5xx responses: {r['five_xx']}; connection errors: {r['connection_errors']}",
            f"- Result: **{'passed' if r['passed'] else 'FAILED'}**"
            + (f"; first failures: {r['failures']}" if r["failures"] else ""),
            "",
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--redis", help="rate-limit storage, e.g. redis://127.0.0.1:6379/0 (production shape)")
    parser.add_argument("--label", help="the section of RESULTS.md to (re)write")
    args = parser.parse_args(argv)
    report = run(clients=args.clients, seconds=args.seconds, workers=args.workers, redis=args.redis, label=args.label)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
