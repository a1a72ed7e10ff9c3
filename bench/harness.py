"""The page benchmark: every main page and search, under real serving, against the floor.

``python -m bench.harness`` (what ``make bench`` runs) serves the app with
gunicorn (``cop.gunicorn_conf``, 2 workers) on loopback, signs in as a member
and as a sponsor, warms every page up, then puts each under load (``wrk`` at
concurrency 8, else a Python client): requests per second, median and 95th
percentile latency, and SQL statements per request (``X-Query-Count``, from
``COP_COUNT_QUERIES=1``). The floor (``bench.floor``) is measured in the same
run. Results go into a section of ``bench/RESULTS.md`` (replaced on each run
with the same label) and a JSON file beside it.

``--quick`` is the CI mode (``tests/unit/test_bench_quick.py``): a werkzeug
server thread, a few requests per page, no timings judged — only that every
page answers 200 and stays under its query bound.
"""

import argparse
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import client, floor  # noqa: E402
from bench.floor import FLOOR_PATH  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS_MD = os.path.join(HERE, "RESULTS.md")
RESULTS_DIR = os.path.join(HERE, "results")


@dataclass
class Target:
    name: str
    path: str
    login: str  # "member", "sponsor" or "" (anonymous)
    query_bound: int  # most SQL statements the page may run, whatever the data size
    goal: str = ""  # the target, evaluated in ``judge``
    optional: bool = False  # a page another change adds: a 404 is reported, not fatal


@dataclass
class Measurement:
    name: str
    path: str
    status: int = 0
    queries: int | None = None
    rps: float = 0.0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    errors: int = 0
    requests: int = 0
    tool: str = ""
    note: str = ""
    samples_ms: list[float] = field(default_factory=list)


# --- what to measure ------------------------------------------------------------------------


def discover(app) -> dict:
    """Pick the pages' subjects from the data: the largest community, long threads, a sponsor, search words."""
    from sqlalchemy import func, select

    from cop.accounts.models import User
    from cop.communities.models import Community, Membership, community_sponsors
    from cop.discussions.models import Thread, thread_tags
    from cop.extensions import db
    from cop.library.models import Resource
    from cop.search import index
    from cop.tags.models import Tag

    with app.app_context():
        session = db.session
        community = session.scalar(
            select(Community)
            .where(Community.visibility == "open")
            .order_by(Community.member_count.desc(), Community.id)
            .limit(1)
        )
        coordinators = select(Membership.user_id).where(Membership.role == "coordinator")
        sponsors = select(community_sponsors.c.user_id)
        member_memberships = func.count(Membership.id)
        member = session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.status == "active",
                User.is_admin.is_(False),
                User.is_disabled.is_(False),
                User.id.not_in(coordinators),
                User.id.not_in(sponsors),
                User.id.in_(
                    select(Membership.user_id).where(
                        Membership.community_id == community.id, Membership.status == "active"
                    )
                ),
            )
            .group_by(User.id)
            .order_by(member_memberships.desc(), User.id)
            .limit(1)
        )
        sponsor_id, _n = session.execute(
            select(community_sponsors.c.user_id, func.count())
            .group_by(community_sponsors.c.user_id)
            .order_by(func.count().desc(), community_sponsors.c.user_id)
            .limit(1)
        ).one()
        sponsor = session.get(User, sponsor_id)
        sponsored = session.scalar(
            select(Community)
            .join(community_sponsors, community_sponsors.c.community_id == Community.id)
            .where(community_sponsors.c.user_id == sponsor_id)
            .order_by(Community.member_count.desc())
            .limit(1)
        )
        readable = select(Community.id).where(Community.visibility == "open")
        thread50 = session.scalar(
            select(Thread.id)
            .where(Thread.reply_count == 50, Thread.is_deleted.is_(False), Thread.community_id.in_(readable))
            .order_by(Thread.id)
            .limit(1)
        )
        thread500 = session.scalar(
            select(Thread.id)
            .where(Thread.is_deleted.is_(False), Thread.community_id.in_(readable))
            .order_by(Thread.reply_count.desc(), Thread.id)
            .limit(1)
        )
        resource = session.scalar(
            select(Resource.id)
            .where(Resource.community_id == community.id, Resource.is_deleted.is_(False))
            .order_by(Resource.latest_version.desc(), Resource.id)
            .limit(1)
        )
        tag = session.scalar(
            select(Tag.name)
            .join(thread_tags, thread_tags.c.tag_id == Tag.id)
            .group_by(Tag.id, Tag.name)
            .order_by(func.count().desc(), Tag.name)
            .limit(1)
        )
        words = search_words(index.index_dir(app))
        counts = {
            name: session.scalar(select(func.count()).select_from(table))
            for name, table in (
                ("users", User),
                ("communities", Community),
                ("threads", Thread),
                ("posts", __import__("cop.discussions.models", fromlist=["Post"]).Post),
                ("resources", Resource),
            )
        }
        return {
            "community": community.slug,
            "member": member.email,
            "sponsor": sponsor.email,
            "sponsored": sponsored.slug,
            "thread50": thread50,
            "thread500": thread500,
            "resource": resource,
            "tag": tag,
            "words": words,
            "counts": counts,
            "backend": db.engine.dialect.name,
        }


def search_words(path: str) -> dict:
    """Search words from the index: the most frequent word, a rare one (in a handful of documents)
    and a second common one.

    Words of the seed's vocabulary are preferred (typed as a person would, not as stems); any other
    data falls back to the index's own terms.
    """
    from whoosh.analysis import STOP_WORDS

    from cop.search import index
    from cop.search.services import _SCHEMA
    from cop.seed.text import TextGenerator

    analyzer = _SCHEMA["body"].analyzer
    vocabulary = {}
    for word in TextGenerator(__import__("random").Random(0)).content:
        stems = [token.text for token in analyzer(word)]
        if len(stems) == 1 and len(word) > 3:
            vocabulary.setdefault(stems[0], word)
    ix = index.open_index(path)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            seeded, other = [], []
            for term, info in reader.iter_field("body"):
                stem = term.decode() if isinstance(term, bytes) else term
                if stem in vocabulary:
                    seeded.append((info.doc_frequency(), vocabulary[stem]))
                elif stem.isalpha() and len(stem) > 3 and stem not in STOP_WORDS:
                    other.append((info.doc_frequency(), stem))
    finally:
        ix.close()
    terms = sorted(seeded if len(seeded) > 20 else seeded + other)
    rare_candidates = [w for n, w in terms if 3 <= n <= 12] or [terms[0][1]]
    return {"common": terms[-1][1], "rare": rare_candidates[len(rare_candidates) // 2], "second": terms[-2][1]}


def targets(subjects: dict) -> list[Target]:
    slug, words = subjects["community"], subjects["words"]
    q = urllib.parse.quote_plus
    return [
        Target("home", "/", "member", 25),
        Target("directory", "/communities", "member", 25, "median < 50 ms"),
        Target("community home", f"/c/{slug}", "member", 30, "median < 50 ms"),
        Target("thread list", f"/c/{slug}/threads", "member", 25, "median < 50 ms"),
        Target("unread threads", "/unread", "member", 25, "median < 50 ms"),
        Target("new threads", "/new", "member", 25, "median < 50 ms"),
        Target("thread, 50 posts", f"/t/{subjects['thread50']}", "member", 30, "median <= 2x floor"),
        Target("thread, 500 posts", f"/t/{subjects['thread500']}", "member", 30),
        Target("thread, 500 posts, last page", f"/t/{subjects['thread500']}?page=10", "member", 30),
        Target("library", f"/c/{slug}/library", "member", 25, "median < 50 ms"),
        Target("resource", f"/r/{subjects['resource']}", "member", 30),
        Target("tag page", f"/tags/{q(subjects['tag'])}", "member", 30, "median < 50 ms"),
        Target("search: common word", f"/search?q={q(words['common'])}", "member", 25, "median < 100 ms"),
        Target("search: rare word", f"/search?q={q(words['rare'])}", "member", 25, "median < 30 ms"),
        Target("search: two words", f"/search?q={q(words['common'] + ' ' + words['second'])}", "member", 25),
        Target(
            "search: phrase",
            f"/search?q={q(chr(34) + words['common'] + ' ' + words['second'] + chr(34))}",
            "member",
            25,
        ),
        Target("sponsor portfolio (90 d)", "/oversight?period=90", "sponsor", 40, "median < 300 ms", True),
        Target(
            "community report (90 d)",
            f"/c/{subjects['sponsored']}/report?period=90",
            "sponsor",
            40,
            "median < 300 ms",
            True,
        ),
    ]


# --- serving -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base_url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _h, _b = client.Session(base_url, timeout=5).get("/healthz")
            if status in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {base_url} did not come up")


class Gunicorn:
    """The app under gunicorn with the production configuration, as a child process."""

    def __init__(self, workers: int = 2, env: dict | None = None, app: str = "bench.wsgi:app", log=None):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        command = [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "-c",
            "python:cop.gunicorn_conf",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            app,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=log or subprocess.DEVNULL,
            stderr=log or subprocess.DEVNULL,
        )
        try:
            wait_until_up(self.base_url)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()


class ThreadedServer:
    """A werkzeug server thread (quick mode: no second process, no gunicorn)."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()


# --- measuring -------------------------------------------------------------------------------


def sign_in(base_url: str, subjects: dict, password: str) -> dict[str, client.Session]:
    sessions = {"": client.Session(base_url)}
    for role in ("member", "sponsor"):
        session = client.Session(base_url)
        session.login(subjects[role], password)
        sessions[role] = session
    return sessions


def probe(session: client.Session, target: Target) -> Measurement:
    status, headers, _body = session.get(target.path)
    queries = headers.get("x-query-count")
    return Measurement(target.name, target.path, status, int(queries) if queries is not None else None)


def measure(
    base_url: str,
    sessions: dict,
    all_targets: list[Target],
    *,
    quick: bool,
    seconds: float,
    concurrency: int,
    runs: int,
    tool: str,
    echo=print,
) -> list[Measurement]:
    results = []
    floor = Target("floor (bare Flask, 50 posts from memory)", FLOOR_PATH, "", 0)
    for target in [floor, *all_targets]:
        session = sessions[target.login]
        measurement = probe(session, target)
        if measurement.status != 200:
            measurement.note = (
                f"HTTP {measurement.status}: not available in this build"
                if target.optional and measurement.status == 404
                else f"HTTP {measurement.status}"
            )
            echo(f"{target.name:<34} {measurement.note}")
            results.append(measurement)
            continue
        if quick:
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                session.get(target.path)
                timings.append((time.perf_counter() - started) * 1000)
            measurement.median_ms = statistics.median(timings)
            measurement.samples_ms = timings
        else:
            for _ in range(5):  # warm-up: caches, searchers, connection pools in every worker
                session.get(target.path)
            client.load(base_url, target.path, session.cookie_header, concurrency, min(2.0, seconds), tool)
            samples = [
                client.load(base_url, target.path, session.cookie_header, concurrency, seconds, tool)
                for _ in range(runs)
            ]
            if not any(s.requests for s in samples):
                # wrk reports nothing when every request outlasts the run (seconds each, behind the
                # warm-up's queue): time them with the Python client instead, for twice as long.
                samples = [client.python_load(base_url, target.path, session.cookie_header, concurrency, 2 * seconds)]
            best = sorted(samples, key=lambda s: s.median_ms)[len(samples) // 2]  # the median run
            measurement.rps, measurement.median_ms, measurement.p95_ms = best.rps, best.median_ms, best.p95_ms
            measurement.errors = sum(s.errors for s in samples)
            measurement.requests = sum(s.requests for s in samples)
            measurement.tool = best.tool
            measurement.samples_ms = [round(s.median_ms, 2) for s in samples]
        echo(
            f"{target.name:<34} {measurement.median_ms:8.1f} ms median  {measurement.p95_ms:8.1f} ms p95  "
            f"{measurement.rps:7.1f} req/s  {measurement.queries} queries"
        )
        results.append(measurement)
    return results


def judge(target: Target | None, m: Measurement, floor_ms: float) -> str:
    """'met' / 'MISSED' against the issue's target, or '' when there is none."""
    if target is None or not target.goal or m.status != 200 or not m.median_ms:
        return ""
    goal = target.goal
    if goal.startswith("median <= 2x floor"):
        ok = m.median_ms <= 2 * floor_ms
    else:
        limit = float(goal.split("<")[1].split("ms")[0])
        ok = m.median_ms < limit
    return "met" if ok else "MISSED"


# --- reporting --------------------------------------------------------------------------------


def machine() -> dict:
    info = {
        "python": platform.python_version(),
        "os": platform.platform(),
        "cores": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
        with open("/proc/meminfo", encoding="utf-8") as handle:
            info["memory_gb"] = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    return info


def render_section(label: str, report: dict, compare: dict | None = None) -> str:
    floor = next(m for m in report["measurements"] if m["path"] == FLOOR_PATH)
    floor_ms = floor["median_ms"] or 1.0
    by_name = {t["name"]: t for t in report["targets"]}
    other = {m["name"]: m for m in (compare or {}).get("measurements", [])}
    m0 = report["machine"]
    lines = [
        f"### {label}",
        "",
        f"- Date: {report['date']}; backend: {report['backend']}; mode: {report['mode']}; "
        f"gunicorn workers: {report['workers']}; concurrency: {report['concurrency']}; "
        f"{report['seconds']:g} s x {report['runs']} run(s) per page; tool: {report['tool']}",
        f"- Machine: {m0.get('cpu', '?')}, {m0.get('cores')} cores, {m0.get('memory_gb', '?')} GB; "
        f"Python {m0['python']}, SQLite {m0['sqlite']}",
        "- Data: " + ", ".join(f"{v:,} {k}" for k, v in report["counts"].items()),
        f"- Load average (1/5/15 min) before: {report['load_before']}, after: {report['load_after']}",
        "",
        "| page | req/s | median ms | p95 ms | x floor | SQL queries | target | result |"
        + (" vs SQLite |" if compare else ""),
        "|---|---:|---:|---:|---:|---:|---|---|" + ("---:|" if compare else ""),
    ]
    for m in report["measurements"]:
        target = by_name.get(m["name"])
        if m["status"] != 200:
            lines.append(
                f"| {m['name']} | – | – | – | – | – | {target['goal'] if target else ''} | {m['note']} |"
                + (" |" if compare else "")
            )
            continue
        ratio = m["median_ms"] / floor_ms
        result = judge(Target(**target) if target else None, Measurement(**m), floor_ms)
        row = (
            f"| {m['name']} | {m['rps']:.0f} | {m['median_ms']:.1f} | {m['p95_ms']:.1f} | {ratio:.1f} | "
            f"{m['queries'] if m['queries'] is not None else '–'} | {target['goal'] if target else ''} | "
            f"{result} |"
        )
        if compare:
            base = other.get(m["name"])
            row += f" {m['median_ms'] / base['median_ms']:.2f}x |" if base and base.get("median_ms") else " – |"
        lines.append(row)
    errors = sum(m["errors"] for m in report["measurements"])
    lines += ["", f"Failed (non-2xx/3xx) responses under load: {errors}.", ""]
    return "\n".join(lines)


def write_section(label: str, text: str, path: str = RESULTS_MD) -> None:
    start, end = f"<!-- bench:{label} -->", f"<!-- /bench:{label} -->"
    block = f"{start}\n{text}\n{end}"
    current = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmark results\n"
    if start in current and end in current:
        before, rest = current.split(start, 1)
        _old, after = rest.split(end, 1)
        current = before + block + after
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(current)


# --- the command --------------------------------------------------------------------------------


def run(
    app=None,
    *,
    quick=False,
    workers=2,
    concurrency=8,
    seconds=10.0,
    runs=1,
    tool="auto",
    password=None,
    label=None,
    compare=None,
    write=True,
    echo=print,
) -> dict:
    """Measure every page; the report as a dict. ``app`` is required in quick mode (served in-process)."""
    from cop.seed.data import SEED_PASSWORD

    password = password or SEED_PASSWORD
    if app is None:
        from bench.wsgi import app
    elif "bench_floor" not in app.view_functions:
        floor.register(app)
    subjects = discover(app)
    echo(f"Data: {subjects['counts']}; community {subjects['community']}; search words {subjects['words']}")
    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    server = ThreadedServer(app) if quick else Gunicorn(workers, env={"COP_COUNT_QUERIES": "1"})
    try:
        sessions = sign_in(server.base_url, subjects, password)
        all_targets = targets(subjects)
        measurements = measure(
            server.base_url,
            sessions,
            all_targets,
            quick=quick,
            seconds=seconds,
            concurrency=concurrency,
            runs=runs,
            tool=tool,
            echo=echo,
        )
    finally:
        server.stop()
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "backend": subjects["backend"],
        "mode": "quick" if quick else "full",
        "workers": 1 if quick else workers,
        "concurrency": concurrency,
        "seconds": seconds,
        "runs": runs,
        "tool": "sequential"
        if quick
        else ("wrk" if tool == "wrk" or (tool == "auto" and client.wrk_available()) else "python"),
        "machine": machine(),
        "counts": subjects["counts"],
        "subjects": subjects,
        "load_before": load_before,
        "load_after": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
        "targets": [asdict(t) for t in all_targets],
        "measurements": [asdict(m) for m in measurements],
    }
    if write and not quick:
        label = label or f"{subjects['backend']}-{sum(subjects['counts'].values())}"
        os.makedirs(RESULTS_DIR, exist_ok=True)
        with open(os.path.join(RESULTS_DIR, f"{label}.json"), "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, default=str)
        other = None
        if compare:
            with open(compare, encoding="utf-8") as handle:
                other = json.load(handle)
        write_section(label, render_section(label, report, other))
        echo(f"Wrote the '{label}' section of {RESULTS_MD}")
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark every main page under gunicorn against the floor.",
        epilog="The database, instance and index come from COP_DATABASE_URL, "
        "COP_INSTANCE_PATH and COP_SEARCH_INDEX_DIR, as for the app.",
    )
    parser.add_argument("--quick", action="store_true", help="CI mode: werkzeug thread, 3 requests per page")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration per page and run")
    parser.add_argument("--runs", type=int, default=1, help="runs per page (the median run is reported)")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--label", help="the section of RESULTS.md to (re)write, e.g. sqlite-large")
    parser.add_argument("--compare", help="a results JSON to compare medians with (e.g. the SQLite run)")
    args = parser.parse_args(argv)
    report = run(
        quick=args.quick,
        workers=args.workers,
        concurrency=args.concurrency,
        seconds=args.seconds,
        runs=args.runs,
        tool=args.tool,
        label=args.label,
        compare=args.compare,
    )
    failed = [m for m in report["measurements"] if m["status"] != 200 and "not available" not in m["note"]]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
