"""Sign-in timings: the OpenID Connect round trip against the loopback test provider and LDAP bind +
search against a local slapd (both from tests/identity_servers), through cop's real code.

    .venv/bin/python -m bench.identity_bench [--runs 30]

Prints, per path, the first (cold: discovery, JWKS, new account) and the median / p95 of the next
``--runs`` sign-ins of the same person (warm: discovery and keys known, account exists). OIDC "round
trip" is everything a browser waits for from pressing the button to being signed in: cop's redirect,
the provider's form and its answer (a real user types in between; not counted), and cop's callback
(code exchange, ID token checks, userinfo, account refresh and commit). Needs Debian's slapd.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from flask import Flask, request_started

from config import TestingConfig
from cop import create_app
from cop.extensions import db
from tests.conftest import CSRFClient, _fresh_request_globals, make_config
from tests.identity_servers.helpers import callback_path, oidc_config
from tests.identity_servers.oidc_provider import RunningProvider
from tests.identity_servers.slapd import Slapd, ldap_config


def _app(root: Path, settings: dict) -> Flask:
    app = create_app(
        make_config(f"sqlite:///{root / 'bench.db'}", str(root / "instance"), RATELIMIT_ENABLED=False, **settings)
    )
    app.test_client_class = CSRFClient
    request_started.connect(_fresh_request_globals, app)  # one app context for the run, a fresh g per request
    with app.app_context():
        db.create_all()
    return app


def _summary(name: str, samples: list[float]) -> str:
    first, rest = samples[0] * 1000, sorted(s * 1000 for s in samples[1:])
    p95 = rest[max(0, int(len(rest) * 0.95) - 1)]
    return f"{name:<44} first {first:7.1f} ms   median {statistics.median(rest):6.1f} ms   p95 {p95:6.1f} ms"


def bench_oidc(root: Path, runs: int) -> list[str]:
    with RunningProvider() as provider:
        provider.add_user(
            "ada",
            "pw",
            name="Ada",
            email="ada@example.com",
            email_verified=True,
            department="Research",
            groups=["cop-python-guild"],
        )
        app = _app(root, oidc_config(provider))
        round_trip, callback_only = [], []
        with app.app_context():
            for _ in range(runs + 1):
                client = app.test_client()
                token = client.csrf_token()  # the login page's token, fetched before the clock starts
                began = time.perf_counter()
                start = client.post("/login/oidc", data={"csrf_token": token})
                assert start.status_code == 302, start.get_data(as_text=True)[-800:]
                location = provider.sign_in(start.headers["Location"], "ada", "pw")
                callback_began = time.perf_counter()
                assert client.get(callback_path(location)).status_code == 302
                ended = time.perf_counter()
                round_trip.append(ended - began)
                callback_only.append(ended - callback_began)
        return [
            _summary("OIDC round trip (button to signed in)", round_trip),
            _summary("OIDC callback alone (cop's server work)", callback_only),
        ]


def bench_ldap(root: Path, runs: int) -> list[str]:
    with Slapd(root / "slapd") as server:
        app = _app(root, ldap_config(server))
        from cop.identity.ldap import directory_client

        bind_search, full = [], []
        with app.app_context():
            client = directory_client()
            for _ in range(runs + 1):
                began = time.perf_counter()
                entry, _leaver = client.authenticate("alice", "alice-pass")
                bind_search.append(time.perf_counter() - began)
                assert entry is not None
            for _ in range(runs + 1):
                browser = app.test_client()
                token = browser.csrf_token()
                began = time.perf_counter()
                answer = browser.post(
                    "/login/ldap", data={"username": "alice", "password": "alice-pass", "csrf_token": token}
                )
                full.append(time.perf_counter() - began)
                assert answer.status_code == 302
        return [
            _summary("LDAP bind + search (+ group search)", bind_search),
            _summary("LDAP sign-in POST (with account, commit)", full),
        ]


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's request log
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    TestingConfig.BASE_URL = "http://127.0.0.1"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "oidc").mkdir()
        (root / "ldap").mkdir()
        lines = bench_oidc(root / "oidc", args.runs) + bench_ldap(root / "ldap", args.runs)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
