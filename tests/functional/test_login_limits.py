"""Login limits hold across worker processes on one host without Redis (issue 14, item 5).

The default storage (``cop.ratelimits``, a SQLite file in the instance folder) is shared by every
process that opens it; ``memory://`` counted per worker, so N workers allowed N times the attempts.
"""

import json
import os
import subprocess
import sys

import pytest

from cop.ratelimits import SQLiteFileStorage, storage_uri
from tests.builders import PASSWORD, make_user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Failed logins through the app, in a process of its own (a second gunicorn worker).
_OTHER_WORKER = """
import json, sys
from cop import create_app
from tests.conftest import CSRFClient, make_config
database_url, instance, storage, email, count = sys.argv[1:6]
app = create_app(make_config(database_url, instance, RATELIMIT_STORAGE_URI=storage))
app.test_client_class = CSRFClient
client = app.test_client()
print(json.dumps([client.post("/login", data={"email": email, "password": "wrong-guess-123"}).status_code
                  for _ in range(int(count))]))
"""

_INCREMENTS = """
import sys
from cop.ratelimits import SQLiteFileStorage
storage = SQLiteFileStorage(sys.argv[1])
for _ in range(int(sys.argv[2])):
    storage.incr("shared", 600)
"""


@pytest.fixture
def backend():
    """The counters live outside the application database: SQLite is enough."""
    return "sqlite"


@pytest.fixture
def app_config(tmp_path):
    return {"RATELIMIT_STORAGE_URI": storage_uri(str(tmp_path / "limits" / "ratelimits.sqlite"))}


def _other_worker(app, email: str, count: int) -> list[int]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _OTHER_WORKER,
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.instance_path,
            app.config["RATELIMIT_STORAGE_URI"],
            email,
            str(count),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_account_limit_counts_failures_made_in_every_worker(app, client):
    make_user("shared@example.com")
    allowed = int(app.config["LOGIN_RATE_LIMIT_ACCOUNT"].split()[0])
    here = allowed // 2
    for _ in range(here):
        assert (
            client.post("/login", data={"email": "shared@example.com", "password": "wrong-guess-123"}).status_code
            == 400
        )
    # The other process sees this one's failures: it may fail only the rest, then it is limited.
    assert _other_worker(app, "shared@example.com", allowed - here + 1) == [400] * (allowed - here) + [429]
    # And this process sees the other's.
    assert client.post("/login", data={"email": "shared@example.com", "password": "wrong-guess-123"}).status_code == 429


def test_default_storage_is_the_shared_file_in_the_instance_folder(tmp_path):
    from cop import create_app
    from tests.conftest import make_config

    app = create_app(make_config(f"sqlite:///{tmp_path / 'x.db'}", str(tmp_path / "inst"), RATELIMIT_STORAGE_URI=None))
    assert app.config["RATELIMIT_STORAGE_URI"] == "cop-sqlite://" + str(tmp_path / "inst" / "ratelimits.sqlite")


def test_storage_counts_exactly_across_processes_and_windows_expire(tmp_path):
    uri = storage_uri(str(tmp_path / "counters.sqlite"))
    workers = [subprocess.Popen([sys.executable, "-c", _INCREMENTS, uri, "150"], cwd=ROOT) for _ in range(3)]
    assert [w.wait(120) for w in workers] == [0, 0, 0]
    storage = SQLiteFileStorage(uri)
    assert storage.get("shared") == 450
    assert storage.get_expiry("shared") > 0 and storage.check()
    # A window that has passed starts again from the amount.
    assert storage.incr("brief", 0) == 1
    assert storage.get("brief") == 0
    assert storage.incr("brief", 60, amount=2) == 2 and storage.incr("brief", 60) == 3
    storage.clear("brief")
    assert storage.get("brief") == 0


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_a_proxy_each_client_address_counts_apart(app, client, app_config):
    """All requests come from the proxy (127.0.0.1): the limits follow X-Forwarded-For's client."""
    make_user("proxied@example.com")
    allowed = int(app.config["LOGIN_RATE_LIMIT_ACCOUNT"].split()[0])
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(allowed):
        assert (
            client.post(
                "/login", headers=attacker, data={"email": "proxied@example.com", "password": "wrong-guess-123"}
            ).status_code
            == 400
        )
    assert (
        client.post(
            "/login", headers=attacker, data={"email": "proxied@example.com", "password": "wrong-guess-123"}
        ).status_code
        == 429
    )
    owner = app.test_client()
    assert (
        owner.post(
            "/login",
            headers={"X-Forwarded-For": "198.51.100.7"},
            data={"email": "proxied@example.com", "password": PASSWORD},
        ).status_code
        == 302
    )
