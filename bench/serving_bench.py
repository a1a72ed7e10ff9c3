"""Worker models compared: gunicorn sync workers against gthread (``cop/gunicorn_conf.py``), issue 14 (4).

    .venv/bin/python -m bench.serving_bench [--seconds 4] [--concurrency 8] [--workers 2]

On the demo data in a temporary directory, for each worker model: each page loaded for ``--seconds``
by ``--concurrency`` keep-alive clients signed in as the demo member (bench.client.python_load, or
wrk when installed), then ``/healthz`` asked five times, each on a new connection, while two idle and
two slow-header connections are open (capped at 30 s a request). Prints a table; nothing is written.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import client, harness  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ("/healthz", "/", "/c/python-guild", "/people")
MODELS = {"sync": "--worker-class sync --threads 1", "gthread": ""}  # "" = cop/gunicorn_conf.py as shipped
CAP = 30.0


def _healthz_seconds(port: int) -> float:
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=CAP) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            sock.recv(64)
    except OSError:
        return CAP
    return time.monotonic() - started


def stalled_healthz(port: int) -> list[float]:
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        return [_healthz_seconds(port) for _ in range(5)]
    finally:
        for sock in idle + slow:
            sock.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    directory = tempfile.mkdtemp(prefix="cop-serving-")
    env = {
        "COP_DATABASE_URL": f"sqlite:///{directory}/cop.db",
        "COP_INSTANCE_PATH": directory,
        "COP_SEARCH_INDEX_DIR": f"{directory}/index",
        "COP_RATELIMIT_STORAGE_URI": "memory://",
        "COP_MAIL_ON_COMMIT": "0",
    }
    flask = [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi"]
    try:
        for command in (["db", "upgrade"], ["cop", "demo"]):
            subprocess.run(
                flask + command,
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        rows = []
        for model, extra in MODELS.items():
            server = harness.Gunicorn(workers=args.workers, app="wsgi:app", env={**env, "GUNICORN_CMD_ARGS": extra})
            try:
                member = client.Session(server.base_url)
                member.login("tom.becker@example.com", "practice-makes-perfect")
                for page in PAGES:
                    result = client.load(server.base_url, page, member.cookie_header, args.concurrency, args.seconds)
                    rows.append(
                        (model, page, result.requests, result.rps, result.median_ms, result.p95_ms, result.errors)
                    )
                stalled = stalled_healthz(server.port)
                rows.append(
                    (
                        model,
                        "/healthz with 2 idle + 2 slow-header connections",
                        len(stalled),
                        0.0,
                        sorted(stalled)[2] * 1000,
                        max(stalled) * 1000,
                        sum(s >= CAP for s in stalled),
                    )
                )
            finally:
                server.stop()
        print(f"{'model':8} {'page':52} {'requests':>8} {'req/s':>8} {'p50 ms':>9} {'p95/max ms':>11} {'errors':>6}")
        for model, page, requests, rps, p50, p95, errors in rows:
            print(f"{model:8} {page:52} {requests:8d} {rps:8.1f} {p50:9.1f} {p95:11.1f} {errors:6d}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
