"""Production gunicorn settings: ``gunicorn -c python:cop.gunicorn_conf wsgi:app``.

Every value can be overridden on the command line (``--workers 4``) or by
the environment variables below. Sync workers: each request holds one
worker, so the number of workers is the number of requests served at once;
pages are short (tens of milliseconds), which is what sync workers suit.
"""
import multiprocessing
import os

bind = os.environ.get("COP_BIND", "127.0.0.1:8000")
# Two per core is a good start for short database-bound requests.
workers = int(os.environ.get("COP_WORKERS", str(max(2, multiprocessing.cpu_count() * 2))))
worker_class = "sync"
# A request still running after this long is killed (and logged); uploads are bounded by MAX_UPLOAD_MB.
timeout = int(os.environ.get("COP_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows unbounded. Every cache of ours is bounded
# (fragments, URLs, searcher results), and a recycled worker starts cold (its caches, the index
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
