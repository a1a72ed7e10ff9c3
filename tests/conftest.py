"""Fixtures: a real database per test (SQLite file; PostgreSQL where marked), a CSRF-aware client.

PostgreSQL: ``COP_TEST_POSTGRES_URL`` (a server URL whose user may create
databases) or ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``. The
suite creates a database of its own and drops it at the end. With
``CI=true`` a missing server is a failure, never a skip.
"""

import contextlib
import contextvars
import fcntl
import os
import re
import shutil
import uuid
from pathlib import Path
from types import CodeType

import jinja2
import jinja2.bccache
import pytest
from flask import Flask, current_app, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestingConfig
from cop import create_app
from cop.extensions import db
from tests.builders import PASSWORD

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_SERVER_URL = os.environ.get("COP_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def _postgres_reachable() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        engine = create_engine(POSTGRES_SERVER_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver or network error means "not available"
        return f"{type(exc).__name__}: {exc}"


def require_postgres() -> None:
    """Skip (or, with CI=true, fail) when no PostgreSQL server answers."""
    problem = _postgres_reachable()
    if problem:
        message = f"PostgreSQL is not available at {POSTGRES_SERVER_URL}: {problem}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def temporary_postgres_database():
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards."""
    require_postgres()
    name = f"cop_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway database: no need to wait for the disk on every commit.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def fresh_app_context(backend: str, root):
    """An app on a new empty database (``backend``: "sqlite" in ``root`` or "postgresql"), its context pushed,
    tables created; for module-scoped worlds built once and read by many tests."""
    with contextlib.ExitStack() as stack:
        url = (
            stack.enter_context(temporary_postgres_database())
            if backend == "postgresql"
            else f"sqlite:///{root / 'world.db'}"
        )
        app = make_app(make_config(url, str(root / "instance")))
        with app.app_context():
            db.create_all()
            yield app
            db.session.remove()
            db.engine.dispose()


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept for every app of the test process: each test makes its own app, and each
    app's Jinja environment would otherwise parse and compile every template it renders again (7.5% of
    test_discussions' time). Jinja checks each template's source against the checksum stored with its
    code, so an edited template is compiled afresh. Every app made by ``create_app`` configures Jinja alike
    (its options, filters and globals), which is what sharing compiled code between them needs."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, CodeType | None]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        stored = self._code.get(bucket.key)
        if stored is not None and stored[0] == bucket.checksum:
            bucket.code = stored[1]

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


_TEMPLATE_CODE = SharedTemplateCode()


def make_app(config) -> Flask:
    """``create_app(config)`` with the process's compiled templates (``SharedTemplateCode``)."""
    application = create_app(config)
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE
    return application


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    with temporary_postgres_database() as url:
        yield url


@pytest.fixture
def backend():
    """Which database the ``app`` fixture uses; functional tests parametrize it."""
    return "sqlite"


def make_config(database_url: str, instance_path: str, **overrides):
    return type(
        "Cfg", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance_path, **overrides}
    )


@pytest.fixture
def app_config():
    """Extra config values for the ``app`` fixture (override in a test module)."""
    return {}


_postgres_schemas_created: set[str] = set()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """An empty SQLite database with every table, made once per test process: each test's database is
    a copy of it (creating the tables takes about 0.4 s of CPU, copying the file a millisecond)."""
    root = tmp_path_factory.mktemp("sqlite-schema")
    path = root / "empty.db"
    application = make_app(make_config(f"sqlite:///{path}", str(root / "instance")))
    with application.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()  # the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def small_data_set(tmp_path_factory, worker_id) -> Path:
    """A folder with the seed's small data set (``seed=1``) in ``cop.db`` and its Whoosh index in ``index``,
    made once per run and shared by the test processes (a lock file on their common temporary folder):
    seeding and indexing take about 12 s, the same for each module that needs it. Copy it with
    ``copy_small_data_set``; never open it in place."""
    from cop.search import index
    from cop.seed import data

    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # pytest-xdist: each process has its own folder in the run's common one
        root = root.parent
    folder = root / "small-data-set"
    with open(root / "small-data-set.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "complete").exists():
            shutil.rmtree(folder, ignore_errors=True)
            application = make_app(
                make_config(
                    f"sqlite:///{folder / 'cop.db'}", str(folder / "instance"), SEARCH_INDEX_DIR=str(folder / "index")
                )
            )
            with application.app_context():
                db.create_all()
                data.load("small", seed=1, echo=lambda *_: None)
                index.rebuild()
                db.session.remove()
                db.engine.dispose()  # the last connection checkpoints the WAL into the file
            assert not (folder / "cop.db-wal").exists()
            (folder / "complete").touch()
    return folder


def copy_small_data_set(small_data_set: Path, database: Path, index_dir: Path | None = None) -> None:
    """Copy the small data set's database to ``database`` and, given ``index_dir``, its search index there."""
    shutil.copyfile(small_data_set / "cop.db", database)
    if index_dir is not None:
        shutil.copytree(small_data_set / "index", index_dir)


@pytest.fixture
def app(backend, tmp_path, request, app_config):
    """The app on a fresh database: a new SQLite file (a copy of ``sqlite_schema``), or the session's
    PostgreSQL database with every table emptied after the test (creating the schema once and
    truncating is much faster than dropping it every time)."""
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), tmp_path / "test.db")
        url = f"sqlite:///{tmp_path / 'test.db'}"
    application = make_app(make_config(url, str(tmp_path / "instance"), **app_config))
    application.test_client_class = CSRFClient
    with application.app_context():
        if backend == "postgresql" and url not in _postgres_schemas_created:
            db.create_all()
            _postgres_schemas_created.add(url)
        yield application
        db.session.remove()
        if backend == "postgresql":
            empty_postgres_tables()
        db.engine.dispose()


_POSTGRES_RESTART_SEQUENCES = text(
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def empty_postgres_tables() -> None:
    """Every table emptied and every sequence used started again, as ``TRUNCATE ... RESTART IDENTITY`` would.

    Not TRUNCATE: it makes new files for each of the 46 tables and their indexes (1.03 s per test on a
    busy 2-core machine); deleting the few rows a test wrote, and setting the used sequences, took 0.017 s.
    """
    # Children before parents; the one cycle (threads <-> posts) is broken by its ON DELETE SET NULL side.
    emptying = ";".join(f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.exec_driver_sql(emptying)
        conn.execute(_POSTGRES_RESTART_SEQUENCES)


class CSRFClient(FlaskClient):
    """A test client that runs each request as a server would, and sends the page's CSRF token with every POST.

    Each request (and each redirect it follows) runs in an empty ``contextvars`` context, so Flask pushes
    a new app context for it: its own ``g`` (current user, CSRF token, membership caches) and its own
    database session, as in production, never the app context the ``app`` fixture keeps pushed for the
    test's own reads. Afterwards the test's context looks again, as the next request would: its session
    forgets the rows it loaded and its ``g`` is emptied (what the request committed is read anew).

    Pass ``csrf=False`` to post without one (to test the protection).
    """

    def open(self, *args, **kwargs):
        if self.preserve_context:
            raise RuntimeError(
                "``with client:`` would keep the request's contexts in its own context: "
                "read the database after the request instead"
            )
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context() and current_app._get_current_object() is self.application:
            db.session.expire_all()
            g.__dict__.clear()
        return response

    def csrf_token(self) -> str:
        response = self.get("/__csrf__")  # any page renders the token in a meta tag
        match = _CSRF_META.search(response.get_data(as_text=True))
        assert match, "no CSRF token on the page"
        return match.group(1)

    def post(self, *args, csrf=True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "csrf_token" not in (data or {}):
            kwargs["data"] = {**(data or {}), "csrf_token": self.csrf_token()}
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = CSRFClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, user_or_email, password=PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, f"login failed for {email}: {response.status_code}"
    return response


@pytest.fixture
def login_as(client):
    """``login_as(user)`` logs the test client in as that user."""
    return lambda user, password=PASSWORD: login(client, user, password)
