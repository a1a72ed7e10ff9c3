"""The production server (gunicorn with ``cop/gunicorn_conf.py``) is not stalled by idle or slow clients.

Issue 14 (4): with sync workers, two connections that sent nothing or only part of their headers
held both workers, and ``/healthz`` waited for them (23.5 s); a browser's speculative connections
caused worker timeouts. The bounds here are generous (the machine is shared): a stalled server
answers only after the worker timeout (60 s), a healthy one at once.
"""

import os
import re
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANSWER_WITHIN = 10.0  # seconds; each /healthz below must answer sooner
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


@pytest.fixture
def backend():
    """SQLite only: this is about the server, not the database."""
    return "sqlite"


def _healthz(port: int, timeout: float) -> tuple[int, float]:
    """(status, seconds) of one GET /healthz on a new connection."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head = sock.recv(64)
    return int(head.split(b" ", 2)[1]), time.monotonic() - started


@pytest.fixture
def server(app, tmp_path):
    """gunicorn with the production config, one worker, on the ``app`` fixture's SQLite database.

    gunicorn binds port 0 itself (the OS picks a free one) and logs the address it listens at."""
    env = {
        **os.environ,
        "COP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COP_INSTANCE_PATH": str(tmp_path / "instance"),
        "COP_SECRET_KEY": "x" * 32,
        "COP_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "COP_RATELIMIT_STORAGE_URI": "memory://",
        "COP_BIND": "127.0.0.1:0",
        "COP_WORKERS": "1",
    }
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "python:cop.gunicorn_conf", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            output = (tmp_path / "gunicorn.log").read_text()
            assert process.poll() is None, output
            listening = _LISTENING.search(output)
            try:
                if listening is None:
                    raise ConnectionRefusedError("gunicorn has not logged its address yet")
                port = int(listening.group(1))
                _healthz(port, timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_idle_and_slow_connections_do_not_stall_healthz(server):
    idle = [socket.create_connection(("127.0.0.1", server), timeout=30) for _ in range(2)]
    slow = [socket.create_connection(("127.0.0.1", server), timeout=30) for _ in range(2)]
    try:
        for sock in slow:  # the request line and one header, then nothing: a slow-header client
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)
        answers = [_healthz(server, timeout=ANSWER_WITHIN) for _ in range(5)]
        assert all(status == 200 for status, _ in answers), answers
        assert max(seconds for _, seconds in answers) < ANSWER_WITHIN
        # The slow clients are still served once they finish their headers.
        for sock in slow:
            sock.sendall(b"Connection: close\r\n\r\n")
            assert sock.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        for sock in idle + slow:
            sock.close()


def test_a_worker_compiles_its_templates_and_freezes_what_it_loaded(app):
    """After loading the app a worker compiles every template (not a page's first request) and freezes its
    objects: a full collection then walks only what requests made since (on the large set, ~100 ms pauses
    in requests became 7-17 ms)."""
    import gc
    from types import SimpleNamespace

    from cop import gunicorn_conf

    compiled: list[str] = []
    real = app.jinja_env.get_template
    app.jinja_env.get_template = lambda name, *a, **k: compiled.append(name) or real(name, *a, **k)
    assert gc.get_freeze_count() == 0
    try:
        gunicorn_conf.post_worker_init(SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
        del app.jinja_env.get_template
    assert {"base.html", "discussions/thread.html", "search/results.html"} <= set(compiled)
