"""Rate-limit counters in a SQLite file that every worker on a host shares (``cop-sqlite://<path>``).

flask-limiter's ``memory://`` storage counts per worker process, so with N workers a limit let N
times as many attempts through. Without ``COP_RATELIMIT_STORAGE_URI`` cop keeps its counters in
``<instance>/ratelimits.sqlite``: one host, any number of workers and threads, no other service.
Several hosts share Redis instead (``redis://…``), as before.

Each count is a single UPSERT in autocommit mode, atomic under SQLite's write lock; a counter
whose window has passed starts again at the amount. Fixed windows only (flask-limiter's default
strategy).
"""

import os
import random
import sqlite3
import threading
import time

from limits.storage import Storage

SCHEME = "cop-sqlite"
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, "
    "expires_at REAL NOT NULL) WITHOUT ROWID"
)
_INCR = (
    "INSERT INTO counters (key, value, expires_at) VALUES (:key, :amount, :now + :expiry) "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = CASE WHEN expires_at <= :now THEN excluded.value ELSE value + excluded.value END, "
    "expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END "
    "RETURNING value"
)
_PURGE_ONE_IN = 200  # now and then an increment also deletes the counters whose window has passed


def storage_uri(path: str) -> str:
    return f"{SCHEME}://{os.path.abspath(path)}"


class SQLiteFileStorage(Storage):
    """A ``limits`` storage over one SQLite file; a connection per thread (and per process)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri[len(SCHEME) + 3 :]
        if not self.path.startswith("/"):
            raise ValueError(f"{SCHEME}:// needs an absolute path: {uri}")
        self._local = threading.local()

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():  # never reuse a connection across fork()
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        conn = self._connection()
        now = time.time()
        value = conn.execute(_INCR, {"key": key, "amount": amount, "now": now, "expiry": expiry}).fetchone()[0]
        if random.randrange(_PURGE_ONE_IN) == 0:
            conn.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return int(value)

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection()
            .execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
