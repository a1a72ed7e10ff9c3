"""HTTP for the benchmarks, standard library only: log in, fetch a page, put load on it.

Load comes from ``wrk`` when it is installed (``apt-get install wrk``), else
from a thread-per-connection Python client; both report requests per second,
median and 95th-percentile latency, and the responses that were not 2xx/3xx.
"""

import http.client
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


class Session:
    """Cookies of one signed-in (or anonymous) visitor, over one keep-alive connection."""

    def __init__(self, base_url: str, timeout: float = 60):
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._conn = None

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _connection(self):
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        """(status, headers with lowercased names, body); cookies set by the response are kept."""
        headers = {"Cookie": self.cookie_header} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                if "expires=thu, 01 jan 1970" in value.lower() or val == "":
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = val.strip()
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def get(self, path):
        return self.request("GET", path)

    def csrf_token(self, path: str = "/login") -> str:
        status, _headers, body = self.get(path)
        match = _CSRF.search(body.decode("utf-8", "replace"))
        if not match:
            raise RuntimeError(f"no CSRF token on {path} (HTTP {status})")
        return match.group(1) or match.group(2)

    def post(self, path: str, form: dict, csrf_from: str | None = None):
        token = self.csrf_token(csrf_from or path)
        return self.request("POST", path, {**form, "csrf_token": token})

    def login(self, email: str, password: str) -> None:
        status, headers, _body = self.post("/login", {"email": email, "password": password})
        if status != 302:
            raise RuntimeError(f"login as {email} failed: HTTP {status}")

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    median_ms: float = 0.0
    p95_ms: float = 0.0
    errors: int = 0  # non-2xx/3xx responses and socket errors
    tool: str = "python"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, int(round(pct / 100 * (len(sorted_values) - 1)))))
    return sorted_values[index]


def python_load(base_url: str, path: str, cookie: str, concurrency: int, seconds: float) -> LoadResult:
    """``concurrency`` keep-alive connections, each sending requests back to back for ``seconds``."""
    parsed = urllib.parse.urlsplit(base_url)
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = time.perf_counter() + seconds
    headers = {"Cookie": cookie} if cookie else {}

    def worker(slot):
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[slot] += 1
            except (OSError, http.client.HTTPException):
                errors[slot] += 1
                conn.close()
                conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
                continue
            latencies[slot].append((time.perf_counter() - started) * 1000)
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    values = sorted(v for slot in latencies for v in slot)
    return LoadResult(
        len(values),
        elapsed,
        values,
        statistics.median(values) if values else 0.0,
        percentile(values, 95),
        sum(errors),
        "python",
    )


WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("COP requests=%d duration_us=%d p50_us=%d p95_us=%d non2xx=%d errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout))
end
"""
_WRK_LINE = re.compile(r"COP requests=(\d+) duration_us=(\d+) p50_us=(\d+) p95_us=(\d+) non2xx=(\d+) errors=(\d+)")


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def wrk_load(base_url: str, path: str, cookie: str, concurrency: int, seconds: float, threads: int = 2) -> LoadResult:
    """Run wrk (``threads`` threads, ``concurrency`` connections) and read its summary."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = [
            "wrk",
            "-t",
            str(min(threads, concurrency)),
            "-c",
            str(concurrency),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            "30s",
            "-s",
            script.name,
        ]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(
            command + [base_url.rstrip("/") + path], capture_output=True, text=True, timeout=seconds + 60
        ).stdout
    finally:
        os.unlink(script.name)
    match = _WRK_LINE.search(output)
    if not match:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    requests, duration, p50, p95, non2xx, errors = (int(g) for g in match.groups())
    return LoadResult(requests, duration / 1e6, [], p50 / 1000, p95 / 1000, non2xx + errors, "wrk")


def load(base_url, path, cookie, concurrency, seconds, tool="auto") -> LoadResult:
    if tool == "wrk" or (tool == "auto" and wrk_available()):
        return wrk_load(base_url, path, cookie, concurrency, seconds)
    return python_load(base_url, path, cookie, concurrency, seconds)
