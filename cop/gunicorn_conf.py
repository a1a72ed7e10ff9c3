"""Production gunicorn settings: ``gunicorn -c python:cop.gunicorn_conf wsgi:app``.

Every value can be overridden on the command line (``--workers 4``) or by
the environment variables below.

Threaded workers (``gthread``): each worker process serves ``threads`` requests at once, and a
connection that sends nothing (a browser's speculative or kept-alive connection) waits in the
worker's poller, not in a thread; with sync workers, two idle or slow clients stalled every request
behind them (issue 14). A client that trickles its headers still holds one thread until it finishes
or disconnects: put a buffering reverse proxy (nginx, the TLS terminator) in front in production.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("COP_BIND", "127.0.0.1:8000")
# One process per core; the threads overlap the waits (database, disk, slow clients) of requests.
workers = int(os.environ.get("COP_WORKERS", str(max(2, multiprocessing.cpu_count()))))
worker_class = "gthread"
threads = int(os.environ.get("COP_THREADS", "8"))
# A worker whose main loop is silent this long is killed and replaced (requests run in threads,
# so a slow request or client does not trip it).
timeout = int(os.environ.get("COP_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
# Seconds an idle kept-alive connection stays open (in the poller, holding no thread).
keepalive = int(os.environ.get("COP_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak never grows unbounded. Every cache of ours is bounded
# (report figures, searcher results), and a recycled worker starts cold (its caches, the index
# searcher), so not too often: at 300 requests a second, 5,000 recycled each worker every 30 s.
max_requests = int(os.environ.get("COP_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# No preload: each worker opens its own database pool and search index after the fork.
preload_app = False
# Behind a TLS-terminating proxy on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("COP_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("COP_ACCESS_LOG") or None  # "-" for stdout
errorlog = "-"
loglevel = os.environ.get("COP_LOG_LEVEL", "info")
# Temporary files for request bodies in memory-backed /dev/shm rather than a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker) -> None:
    """Once a worker has loaded the app: compile every template (a page's first request in each worker
    compiled its templates: ~0.8 s for all 107, the slowest request of a page type), then move everything
    alive (modules, the app, its models, the templates, some 200,000 objects) out of the garbage
    collector's sight, so that a full collection walks only what requests create since. On the large
    data set a full collection took ~100 ms in the middle of a request (the slowest 1% of tag pages);
    after the freeze, 7-17 ms."""
    app = getattr(worker, "wsgi", None)
    environment = getattr(app, "jinja_env", None)
    if environment is not None:
        for name in environment.list_templates():
            environment.get_template(name)
    gc.collect()
    gc.freeze()
