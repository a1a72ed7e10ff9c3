"""The cold benchmark: every page type as users meet it, distinct URLs each asked once.

``python -m bench.cold`` (what ``make bench`` runs) serves the app with
gunicorn (2 workers of 8 threads: the production configuration) and, for each page type,
requests a set of *distinct* URLs drawn from the data — random threads across
the whole set, random communities, tags and directory pages, random
communities and periods for the sponsor report, one sponsor each for the
portfolio, and the query classes of ``bench/queries.json`` for search — each
exactly once, at concurrency 8, signed in as an ordinary member (reports: an
administrator; portfolio: each sponsor). Just before each page type the floor
(``bench.floor``: 50 posts rendered from memory) is requested as many times at
the same concurrency, so every ratio compares two phases of the same run.

Reported per page type: median, p95, p99 and x floor (cold table); the same
with one URL repeated (warm table); single-client service time (distinct URLs,
one connection); the first request of a page type after a worker starts;
resident memory per worker (now and peak) after the cold run and while
clients post; the time from a post's acknowledged commit until search finds
it; seed and reindex time when known.

    .venv/bin/python -m bench.cold [--per-type 200] [--pages thread,search-rare] [--no-warm]
                                   [--no-write-load] [--no-first] [--label large-sqlite]

``--per-type`` sets the number of distinct URLs per page type (small runs: 20).
The environment selects the data as for the app (``COP_DATABASE_URL``,
``COP_INSTANCE_PATH``, ``COP_SEARCH_INDEX_DIR``).
"""

import argparse
import http.client
import json
import os
import queue
import random
import re
import statistics
import sys
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import client, harness, queries  # noqa: E402
from bench.floor import FLOOR_PATH  # noqa: E402

PAGE_TYPES = (
    "thread",
    "community home",
    "thread list",
    "library",
    "directory",
    "tag page",
    "search: common word",
    "search: rare word",
    "search: two words",
    "search: phrase",
    "search: misspelling",
    "sponsor report",
    "portfolio",
)
SHORT = {name: name.replace("search: ", "search-").replace(" ", "-") for name in PAGE_TYPES}
# The targets, cold at c=8 on the large set, as a multiple of the floor of the same run.
TARGET_X_FLOOR = {
    "thread": 2.5,
    "community home": 2.5,
    "thread list": 2.5,
    "library": 2.5,
    "directory": 2.5,
    "tag page": 2.5,
    "search: rare word": 3,
    "search: common word": 5,
    "search: two words": 6,
    "search: phrase": 8,
    "search: misspelling": 8,
    "sponsor report": 6,
    "portfolio": 6,
}
ENV = {"COP_LOGIN_RATE_LIMIT_IP": "100000 per minute", "COP_LOGIN_RATE_LIMIT_ACCOUNT": "100000 per minute"}
_LOCATION = re.compile(r"/t/(\d+)(?:\?page=\d+)?(?:#post-(\d+))?$")
_CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


@dataclass
class Request:
    login: str  # a key of the sessions: "member", "admin", "anon" or a sponsor's e-mail
    path: str


@dataclass
class Phase:
    name: str
    requests: int = 0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    floor_median_ms: float = 0.0
    seconds: float = 0.0


# --- the URLs -----------------------------------------------------------------------------------


def draw(app, per_type: int, seed: int, pages: tuple[str, ...]) -> dict:
    """Distinct URLs per page type, drawn from the data with ``seed``; the member, admin and sponsors."""
    from sqlalchemy import func, select

    from cop.accounts.models import User
    from cop.communities.models import Community, Membership, community_sponsors
    from cop.discussions.models import Post, Thread
    from cop.extensions import db
    from cop.tags.models import Tag

    rng = random.Random(seed)
    q = urllib.parse.quote_plus
    with app.app_context():
        s = db.session
        open_ids = list(s.scalars(select(Community.id).where(Community.visibility == "open").order_by(Community.id)))
        slugs = dict(s.execute(select(Community.id, Community.slug)).all())
        # The member: an ordinary member (not admin, coordinator or sponsor) of the most communities.
        coordinators = select(Membership.user_id).where(Membership.role == "coordinator")
        sponsors_q = select(community_sponsors.c.user_id)
        member = s.scalar(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.status == "active",
                User.is_admin.is_(False),
                User.is_disabled.is_(False),
                User.id.not_in(coordinators),
                User.id.not_in(sponsors_q),
            )
            .group_by(User.id, User.email)
            .order_by(func.count().desc(), User.id)
            .limit(1)
        )
        admin = s.scalar(
            select(User.email).where(User.is_admin.is_(True), User.is_disabled.is_(False)).order_by(User.id).limit(1)
        )
        max_thread = s.scalar(select(func.max(Thread.id))) or 0
        # Random threads across the whole id range (readable ones), without ORDER BY random() over 100k rows.
        wanted = max(per_type * 3, 50)
        candidates = sorted(rng.sample(range(1, max_thread + 1), min(max_thread, wanted * 4)))
        readable = set(
            s.scalars(
                select(Thread.id).where(
                    Thread.id.in_(candidates), Thread.is_deleted.is_(False), Thread.community_id.in_(open_ids)
                )
            )
        )
        thread_ids = [t for t in candidates if t in readable]
        rng.shuffle(thread_ids)
        tags = list(s.scalars(select(Tag.name).order_by(Tag.id)))
        sponsor_rows = s.execute(
            select(User.email, func.count())
            .join(community_sponsors, community_sponsors.c.user_id == User.id)
            .where(User.is_disabled.is_(False))
            .group_by(User.id, User.email)
            .order_by(User.id)
        ).all()
        all_communities = list(slugs.values())
        directory_pages = max(1, (len(open_ids) + 19) // 20)
        counts = {
            name: s.scalar(select(func.count()).select_from(model))
            for name, model in (("users", User), ("communities", Community), ("threads", Thread), ("posts", Post))
        }
        backend = db.engine.dialect.name
    words = queries.load()

    def sample(seq, n):
        seq = list(seq)
        return rng.sample(seq, min(n, len(seq)))

    def slug_paths(suffix, n):
        chosen = [slugs[c] for c in sample(open_ids, n)]
        while len(chosen) < n and open_ids:  # fewer communities than URLs asked for: pages 2, 3, ...
            chosen.append(slugs[rng.choice(open_ids)] + f"?page={len(chosen) // len(open_ids) + 1}")
        out = []
        for item in chosen:
            base, _, page = item.partition("?")
            out.append(f"/c/{base}{suffix}" + (f"?{page}" if page else ""))
        return list(dict.fromkeys(out))

    today = date.today()

    def periods(n):
        out = []
        for _ in range(n):
            length = rng.choice((7, 14, 30, 60, 90, 90, 180))
            end = today - timedelta(days=rng.randrange(0, 200))
            out.append((end - timedelta(days=length - 1), end))
        return out

    urls: dict[str, list[Request]] = {}
    if "thread" in pages:
        # ``?page=1``: a thread the member opened in an earlier run would redirect to its first unread post.
        urls["thread"] = [Request("member", f"/t/{t}?page=1") for t in thread_ids[:per_type]]
    if "community home" in pages:
        urls["community home"] = [Request("member", p) for p in slug_paths("", per_type)]
    if "thread list" in pages:
        urls["thread list"] = [Request("member", p) for p in slug_paths("/threads", per_type)]
    if "library" in pages:
        urls["library"] = [Request("member", p) for p in slug_paths("/library", per_type)]
    if "directory" in pages:
        dir_urls = [f"/communities?page={n}" for n in range(1, directory_pages + 1)]
        dir_urls += [f"/communities?q={q(w)}" for w in words["common"] + words["rare"]]
        urls["directory"] = [Request("member", p) for p in sample(dir_urls, per_type)]
    if "tag page" in pages:
        urls["tag page"] = [Request("member", f"/tags/{urllib.parse.quote(t)}") for t in sample(tags, per_type)]
    for name, key in (
        ("search: common word", "common"),
        ("search: rare word", "rare"),
        ("search: two words", "two"),
        ("search: phrase", "phrase"),
        ("search: misspelling", "misspelling"),
    ):
        if name in pages:
            items = [w["q"] if isinstance(w, dict) else w for w in words[key]]
            urls[name] = [Request("member", f"/search?q={q(w)}") for w in sample(items, per_type)]
    if "sponsor report" in pages and admin:
        urls["sponsor report"] = [
            Request("admin", f"/c/{c}/report?period=custom&start={a:%Y-%m-%d}&end={b:%Y-%m-%d}")
            for c, (a, b) in zip(sample(all_communities, per_type) * 4, periods(per_type))
        ][:per_type]
    if "portfolio" in pages:
        chosen = sample([email for email, _n in sponsor_rows], per_type)
        urls["portfolio"] = [Request(email, f"/oversight?period={rng.choice((7, 30, 90))}") for email in chosen]
    return {
        "urls": urls,
        "member": member,
        "admin": admin,
        "counts": counts,
        "backend": backend,
        "thread_pool": thread_ids[per_type : per_type * 3],
    }


# --- the client ---------------------------------------------------------------------------------


def sign_in(base_url: str, logins: set[str], member: str, admin: str | None, password: str) -> dict[str, str]:
    """A cookie header per login key (anonymous: empty); sponsors sign in with their e-mail as the key."""
    cookies = {"anon": ""}
    for key in sorted(logins):
        if key == "anon":
            continue
        email = {"member": member, "admin": admin}.get(key, key)
        session = client.Session(base_url)
        session.login(email, password)
        cookies[key] = session.cookie_header
        session.close()
    return cookies


def run_requests(base_url: str, items: list[Request], cookies: dict[str, str], concurrency: int) -> Phase:
    """Each request once, ``concurrency`` keep-alive connections taking the next from a shared queue."""
    parsed = urllib.parse.urlsplit(base_url)
    todo: queue.Queue = queue.Queue()
    for item in items:
        todo.put(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                break
            cookie = cookies.get(item.login, "")
            started = time.perf_counter()
            try:
                conn.request("GET", item.path, headers={"Cookie": cookie} if cookie else {})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
                status = 0
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summarize("", latencies, errors[0], statuses, time.perf_counter() - started)


def summarize(name, latencies, errors=0, statuses=None, seconds=0.0) -> Phase:
    values = sorted(latencies)
    return Phase(
        name,
        len(values),
        round(statistics.median(values), 2) if values else 0.0,
        round(client.percentile(values, 95), 2),
        round(client.percentile(values, 99), 2),
        round(values[-1], 2) if values else 0.0,
        errors,
        {str(k): v for k, v in (statuses or {}).items()},
        seconds=round(seconds, 2),
    )


def floor_then(base_url, name, items, cookies, concurrency) -> Phase:
    """The floor, as many requests at the same concurrency, then the page type's requests."""
    floor = run_requests(
        base_url, [Request("anon", FLOOR_PATH)] * max(len(items), 4 * concurrency), cookies, concurrency
    )
    phase = run_requests(base_url, items, cookies, concurrency)
    phase.name, phase.floor_median_ms = name, floor.median_ms
    return phase


def single_client(base_url, items, cookies) -> Phase:
    return run_requests(base_url, items, cookies, 1)


# --- processes and memory -----------------------------------------------------------------------


def worker_pids(master: int) -> list[int]:
    try:
        with open(f"/proc/{master}/task/{master}/children", encoding="ascii") as handle:
            return [int(p) for p in handle.read().split()]
    except OSError:
        return []


def memory_mb(pid: int) -> dict:
    """Resident now and peak resident (VmHWM) of a process, in MB."""
    found = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return {"rss_mb": found.get("VmRSS"), "peak_mb": found.get("VmHWM")}


def workers_memory(server) -> list[dict]:
    return [{"pid": pid, **memory_mb(pid)} for pid in worker_pids(server.process.pid)]


# --- first request after a worker start -------------------------------------------------------


def first_requests(items_by_type: dict[str, list[Request]], drawn: dict, password: str, echo) -> dict:
    """A fresh gunicorn (1 worker) per page type: sign in, then time that type's first request."""
    out = {}
    for name, items in items_by_type.items():
        if not items:
            continue
        server = harness.Gunicorn(1, env=ENV, app="bench.wsgi:app")
        try:
            cookies = sign_in(server.base_url, {items[-1].login}, drawn["member"], drawn["admin"], password)
            phase = run_requests(server.base_url, [items[-1]], cookies, 1)
            out[name] = phase.median_ms
            echo(f"  first {name:<24} {phase.median_ms:8.1f} ms")
        finally:
            server.stop()
    return out


# --- writes: memory under load and time to findable -------------------------------------------


def write_load(server, drawn, password, seconds: float, writers: int, probes: int, echo) -> dict:
    """``writers`` members reply to random threads back to back for ``seconds`` while a probe posts a unique
    word and polls search until it is found; worker memory is sampled every 0.5 s."""
    from bench.loadtest import pick_members
    from bench.wsgi import app

    members = pick_members(app, writers + 1)
    stop = time.monotonic() + seconds
    peak: dict[int, float] = {}
    acknowledged = [0]
    failures: list[str] = []
    lock = threading.Lock()

    def writer(member, number):
        session = client.Session(server.base_url)
        session.login(member["email"], password)
        _s, _h, body = session.get(f"/c/{member['slug']}/threads")
        csrf = _CSRF_META.search(body.decode("utf-8", "replace")).group(1)
        rng = random.Random(number)
        sequence = 0
        while time.monotonic() < stop and member["threads"]:
            sequence += 1
            status, headers, _b = session.request(
                "POST",
                f"/t/{rng.choice(member['threads'])}/reply",
                {"csrf_token": csrf, "body": f"Write load reply wl{number:02d}x{sequence:05d}q: it worked here."},
            )
            with lock:
                if status == 302:
                    acknowledged[0] += 1
                elif len(failures) < 5:
                    failures.append(f"HTTP {status}")
        session.close()

    def sample_memory():
        while time.monotonic() < stop:
            for row in workers_memory(server):
                if row["rss_mb"]:
                    peak[row["pid"]] = max(peak.get(row["pid"], 0), row["rss_mb"])
            time.sleep(0.5)

    threads = [threading.Thread(target=writer, args=(m, i)) for i, m in enumerate(members[1 : writers + 1])]
    threads.append(threading.Thread(target=sample_memory))
    started = time.perf_counter()
    for t in threads:
        t.start()
    findable = probe_findable(server.base_url, members[0], password, probes, stop, echo)
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {
        "writers": writers,
        "seconds": round(elapsed, 1),
        "acknowledged": acknowledged[0],
        "posts_per_second": round(acknowledged[0] / elapsed, 1),
        "failures": failures,
        "peak_rss_mb_per_worker": sorted(peak.values()),
        "findable": findable,
    }


def probe_findable(base_url, member, password, probes, stop, echo, timeout=30.0) -> dict:
    """Post a reply with a unique word, then poll /search for it (every 50 ms) until it is found."""
    session = client.Session(base_url)
    session.login(member["email"], password)
    _s, _h, body = session.get(f"/c/{member['slug']}/threads")
    csrf = _CSRF_META.search(body.decode("utf-8", "replace")).group(1)
    waits, lost = [], []
    rng = random.Random(99)
    for number in range(probes):
        if time.monotonic() > stop and number:
            break
        token = f"findme{rng.randrange(10**9):09d}z{number}"
        status, headers, _b = session.request(
            "POST",
            f"/t/{rng.choice(member['threads'])}/reply",
            {"csrf_token": csrf, "body": f"Probe {token} for the findability test."},
        )
        if status != 302:
            lost.append(f"post HTTP {status}")
            continue
        acknowledged = time.perf_counter()
        polls = 0
        while True:
            polls += 1
            _st, _hd, page = session.get(f"/search?q={token}")
            if token.encode() in page:
                waits.append((time.perf_counter() - acknowledged) * 1000)
                break
            if time.perf_counter() - acknowledged > timeout:
                lost.append(token)
                break
            time.sleep(0.05)
    session.close()
    values = sorted(waits)
    result = {
        "probes": len(values) + len(lost),
        "found": len(values),
        "not_found_within_30s": len(lost),
        "median_ms": round(statistics.median(values), 1) if values else None,
        "p99_ms": round(client.percentile(values, 99), 1) if values else None,
        "max_ms": round(values[-1], 1) if values else None,
    }
    echo(f"  findable after commit: {result}")
    return result


# --- the run --------------------------------------------------------------------------------------


def run(
    *,
    per_type=200,
    pages=PAGE_TYPES,
    concurrency=8,
    workers=2,
    seed=15,
    warm=True,
    warm_requests=100,
    single=10,
    first=True,
    write_seconds=30.0,
    writers=8,
    probes=10,
    label=None,
    write=True,
    echo=print,
) -> dict:
    from bench.wsgi import app
    from cop.seed.data import SEED_PASSWORD

    load_before = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    drawn = draw(app, per_type + single, seed, tuple(pages))
    cold_urls = {name: items[:per_type] for name, items in drawn["urls"].items()}
    single_urls = {name: items[per_type:] for name, items in drawn["urls"].items()}
    logins = {r.login for items in drawn["urls"].values() for r in items} | {"member", "anon"}
    echo(
        f"Data: {drawn['counts']} ({drawn['backend']}); member {drawn['member']}; "
        f"{sum(len(v) for v in cold_urls.values())} distinct URLs"
    )
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "backend": drawn["backend"],
        "counts": drawn["counts"],
        "machine": harness.machine(),
        "workers": workers,
        "concurrency": concurrency,
        "per_type": per_type,
        "seed": seed,
        "load_before": load_before,
        "cold": [],
        "warm": [],
        "single": [],
        "first": {},
        "memory_after_cold": [],
        "write_load": None,
        "seed_and_index": read_seed_times(),
    }
    log_dir = os.path.join(harness.HERE, "out")  # git-ignored: the server's log, to look up any 5xx
    os.makedirs(log_dir, exist_ok=True)
    log = open(os.path.join(log_dir, f"{label or 'cold'}-gunicorn.log"), "w", encoding="utf-8")
    server = harness.Gunicorn(workers, env={**ENV, "COP_COUNT_QUERIES": "1"}, app="bench.wsgi:app", log=log)
    try:
        cookies = sign_in(server.base_url, logins, drawn["member"], drawn["admin"], SEED_PASSWORD)
        run_requests(server.base_url, [Request("anon", FLOOR_PATH)] * 50, cookies, concurrency)  # start both
        echo("Cold: distinct URLs, each once, c=%d" % concurrency)
        for name in pages:
            items = cold_urls.get(name)
            if not items:
                continue
            phase = floor_then(server.base_url, name, items, cookies, concurrency)
            report["cold"].append(asdict(phase))
            echo(row(phase))
        report["memory_after_cold"] = workers_memory(server)
        echo(f"  memory per worker after the cold run: {report['memory_after_cold']}")
        if single:
            echo("Single client: distinct URLs not asked before, one connection")
            for name in pages:
                items = single_urls.get(name)
                if items:
                    phase = single_client(server.base_url, items, cookies)
                    phase.name = name
                    report["single"].append(asdict(phase))
                    echo(f"  {name:<24} {phase.median_ms:8.1f} ms median of {phase.requests}")
        if warm:
            echo("Warm: one URL of each type repeated, c=%d" % concurrency)
            for name in pages:
                items = cold_urls.get(name)
                if not items:
                    continue
                run_requests(server.base_url, [items[0]] * 5, cookies, 1)
                phase = floor_then(server.base_url, name, [items[0]] * warm_requests, cookies, concurrency)
                report["warm"].append(asdict(phase))
                echo(row(phase))
        if write_seconds:
            echo(f"Write load: {writers} clients reply for {write_seconds:g} s; a probe polls search")
            report["write_load"] = write_load(server, drawn, SEED_PASSWORD, write_seconds, writers, probes, echo)
            echo(f"  {report['write_load']}")
    finally:
        server.stop()
        log.close()
    if first:
        echo("First request of each type after a worker starts")
        report["first"] = first_requests(
            {
                n: cold_urls.get(n, [])[-1:]
                for n in ("thread", "community home", "search: common word", "search: rare word", "sponsor report")
                if n in pages
            },
            drawn,
            SEED_PASSWORD,
            echo,
        )
    report["load_after"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    if write:
        label = label or f"cold-{drawn['backend']}-{drawn['counts']['posts']}"
        os.makedirs(harness.RESULTS_DIR, exist_ok=True)
        with open(os.path.join(harness.RESULTS_DIR, f"{label}.json"), "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, default=str)
        harness.write_section(label, render(label, report))
        echo(f"Wrote the '{label}' section of {harness.RESULTS_MD}")
    return report


def row(phase: Phase) -> str:
    ratio = phase.median_ms / phase.floor_median_ms if phase.floor_median_ms else 0
    return (
        f"  {phase.name:<24} n={phase.requests:<4} median {phase.median_ms:8.1f}  p95 {phase.p95_ms:8.1f}  "
        f"p99 {phase.p99_ms:8.1f} ms  floor {phase.floor_median_ms:6.1f} ms  {ratio:5.1f}x  "
        f"errors {phase.errors} {phase.statuses if phase.errors else ''}"
    )


def read_seed_times() -> dict:
    """``seed.json`` in the instance folder (written by ``make bench`` when it seeds), if any."""
    path = os.path.join(os.environ.get("COP_INSTANCE_PATH") or "", "seed.json")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def run_floor(report: dict) -> float:
    """The run's pooled floor: the median of the floors measured before each cold row. One row's floor swung
    from 17 to 51 ms within a run on an idle machine; this one is steadier (a second ratio beside each row's)."""
    floors = [p["floor_median_ms"] for p in report["cold"] if p["floor_median_ms"]]
    return statistics.median(floors) if floors else 0.0


def render(label: str, report: dict) -> str:
    m = report["machine"]
    lines = [
        f"### {label}",
        "",
        f"- Date: {report['date']}; backend: {report['backend']}; "
        f"gunicorn {report['workers']} workers (gthread, production configuration); "
        f"concurrency {report['concurrency']}; {report['per_type']} distinct URLs per page type, each once "
        f"(seed {report['seed']})",
        f"- Machine: {m.get('cpu', '?')}, {m.get('cores')} cores, {m.get('memory_gb', '?')} GB; "
        f"load average before {report['load_before']}, after {report.get('load_after', '?')}",
        "- Data: " + ", ".join(f"{v:,} {k}" for k, v in report["counts"].items()),
        "",
        "Cold (distinct URLs, each asked once; floor = 50 posts from memory, measured just before each row; "
        f"x run floor: against the median of the rows' floors, {run_floor(report):.1f} ms):",
        "",
        "| page | n | median ms | p95 ms | p99 ms | floor ms | x floor | x run floor | target | p99/median | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    pooled = run_floor(report)
    for p in report["cold"]:
        ratio = p["median_ms"] / p["floor_median_ms"] if p["floor_median_ms"] else 0
        pooled_ratio = p["median_ms"] / pooled if pooled else 0
        target = TARGET_X_FLOOR.get(p["name"])
        verdict = "" if target is None else f"≤ {target:g}x " + ("met" if ratio <= target else "MISSED")
        lines.append(
            f"| {p['name']} | {p['requests']} | {p['median_ms']:.1f} | {p['p95_ms']:.1f} | "
            f"{p['p99_ms']:.1f} | {p['floor_median_ms']:.1f} | {ratio:.1f} | {pooled_ratio:.1f} | {verdict} | "
            f"{p['p99_ms'] / p['median_ms'] if p['median_ms'] else 0:.1f} | {p['errors']} |"
        )
    if report["warm"]:
        lines += [
            "",
            "Warm (one URL per type repeated; what per-worker caches give):",
            "",
            "| page | n | median ms | p95 ms | floor ms | x floor |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for p in report["warm"]:
            ratio = p["median_ms"] / p["floor_median_ms"] if p["floor_median_ms"] else 0
            lines.append(
                f"| {p['name']} | {p['requests']} | {p['median_ms']:.1f} | {p['p95_ms']:.1f} | "
                f"{p['floor_median_ms']:.1f} | {ratio:.1f} |"
            )
    if report["single"]:
        lines += [
            "",
            "Single client (service time, distinct URLs not asked before): "
            + "; ".join(f"{p['name']} {p['median_ms']:.1f} ms" for p in report["single"])
            + ".",
        ]
    if report["first"]:
        lines += [
            "",
            "First request of a type after a worker starts: "
            + "; ".join(f"{k} {v:.0f} ms" for k, v in report["first"].items())
            + ".",
        ]
    if report["memory_after_cold"]:
        lines += [
            "",
            "Resident memory per worker after the cold run (now / peak): "
            + "; ".join(f"{w['rss_mb']} / {w['peak_mb']} MB" for w in report["memory_after_cold"])
            + ".",
        ]
    w = report.get("write_load")
    if w:
        f = w["findable"]
        lines += [
            "",
            f"Write load: {w['writers']} clients replying for {w['seconds']} s: {w['acknowledged']} "
            f"replies ({w['posts_per_second']}/s), failures {len(w['failures'])}; peak resident per worker "
            f"{w['peak_rss_mb_per_worker']} MB. Findable after commit (probe polling search every 50 ms): "
            f"{f['found']} of {f['probes']} found, median {f['median_ms']} ms, p99 {f['p99_ms']} ms, max "
            f"{f['max_ms']} ms, not found within 30 s: {f['not_found_within_30s']}.",
        ]
    if report["seed_and_index"]:
        lines += ["", "Seed and index: " + ", ".join(f"{k} {v}" for k, v in report["seed_and_index"].items()) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-type", type=int, default=200, help="distinct URLs per page type (cold)")
    parser.add_argument("--pages", help="comma-separated page types, short names: " + ", ".join(SHORT.values()))
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-warm", action="store_true")
    parser.add_argument("--single", type=int, default=10, help="distinct URLs per type for the single client")
    parser.add_argument("--no-first", action="store_true", help="skip the first-request-after-start probes")
    parser.add_argument("--write-seconds", type=float, default=30.0, help="0 skips the write load")
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--label", help="the section of RESULTS.md to (re)write")
    args = parser.parse_args(argv)
    pages = PAGE_TYPES
    if args.pages:
        by_short = {v: k for k, v in SHORT.items()}
        pages = tuple(by_short.get(p.strip(), p.strip()) for p in args.pages.split(","))
        unknown = [p for p in pages if p not in PAGE_TYPES]
        if unknown:
            parser.error(f"unknown page types {unknown}; choose from {', '.join(SHORT.values())}")
    report = run(
        per_type=args.per_type,
        pages=pages,
        concurrency=args.concurrency,
        workers=args.workers,
        seed=args.seed,
        warm=not args.no_warm,
        single=args.single,
        first=not args.no_first,
        write_seconds=args.write_seconds,
        probes=args.probes,
        label=args.label,
    )
    return 1 if any(p["errors"] for p in report["cold"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
