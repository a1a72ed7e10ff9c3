"""Fixtures for the browser tests: Debian's Chromium and a live server per module.

Playwright cannot download its own browsers here, so every launch uses
``/usr/bin/chromium``. Without it the tests skip locally and fail in CI.

The live server runs the app in a daemon thread on a SQLite file. Flask
pushes an app context per request in the server's threads; the tests'
thread only pushes one briefly (to seed, or to look a row up), never while
Playwright is driving the browser.
"""

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from cop import create_app
from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.extensions import db
from cop.markup import render_markdown
from tests.builders import PASSWORD, add_membership, make_community, make_user
from tests.conftest import IN_CI, make_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

OPEN_GUIDELINES = "Share **working code** when you ask for help, and credit the people who helped you."


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The system Chromium; a skip without it, or a failure when ``CI=true``."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (Playwright cannot download browsers here)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_executable):
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_executable, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url():
    """No base URL: tests build absolute URLs from ``live_server.url``.

    This shadows pytest-playwright's fallback ``base_url`` fixture, which is an
    instance method on a plugin object; pytest 9 warns about session-scoped
    fixtures defined that way (PytestRemovedIn10Warning), an error here.
    """
    return None


def _closing(app):
    """``app`` whose response is closed even when the browser drops the connection mid-response.

    werkzeug's development server skips ``close()`` on a dropped connection (a page closed while its
    favicon is sent), leaving the static file open: a ResourceWarning, an error under ``-W error``.
    Iterating through a generator closes it in ``finally`` when the server lets go of the generator.
    """

    def wsgi(environ, start_response):
        response = app(environ, start_response)
        try:
            yield from response
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wsgi


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    password: str = PASSWORD


@dataclass
class LiveServer:
    """A running app with known people and communities (see ``_seed``)."""

    url: str
    app: Flask = field(repr=False)
    coordinator: Person = Person("casey.coordinator@example.com", "Casey Coordinator")
    member: Person = Person("morgan.member@example.com", "Morgan Member")
    outsider: Person = Person("olive.outsider@example.com", "Olive Outsider")
    requester: Person = Person("riley.requester@example.com", "Riley Requester")
    open_slug: str = "python-guild"
    open_name: str = "Python Guild"
    restricted_slug: str = "security-champions"
    restricted_name: str = "Security Champions"
    private_slug: str = "leadership-circle"

    def membership_status(self, email: str, slug: str) -> str | None:
        """The status of ``email``'s membership of ``slug`` as stored, or None."""
        with self.app.app_context():
            status = db.session.scalar(
                select(Membership.status)
                .join(User, User.id == Membership.user_id)
                .join(Community, Community.id == Membership.community_id)
                .where(User.email == email, Community.slug == slug)
            )
            db.session.remove()
        return status


def _seed(server: LiveServer) -> None:
    """Coordinator Casey runs a restricted and a private community and belongs to the open one;
    Morgan is a member of the open one and invited to the private one; Riley's request to join
    the restricted one is pending; Olive belongs to nothing."""
    people = {
        role: make_user(p.email, p.name, department="Engineering")
        for role, p in (
            ("coordinator", server.coordinator),
            ("member", server.member),
            ("outsider", server.outsider),
            ("requester", server.requester),
        )
    }
    make_community(
        server.open_slug,
        name=server.open_name,
        visibility="open",
        domain="Writing, testing and shipping Python in production.",
        guidelines_md=OPEN_GUIDELINES,
        guidelines_html=render_markdown(OPEN_GUIDELINES),
        coordinators=[people["coordinator"]],
        members=[people["member"]],
    )
    restricted = make_community(
        server.restricted_slug,
        name=server.restricted_name,
        visibility="restricted",
        domain="Threat modelling and secure design reviews.",
        coordinators=[people["coordinator"]],
    )
    add_membership(restricted, people["requester"], "pending").request_message = "I review our auth code."
    private = make_community(
        server.private_slug,
        name="Leadership Circle",
        visibility="private",
        domain="Leading engineering teams.",
        coordinators=[people["coordinator"]],
    )
    add_membership(private, people["member"], "invited")
    db.session.commit()


@contextlib.contextmanager
def seeded_live_server(root, **config):
    """A freshly seeded app (``config`` over the test settings) served on 127.0.0.1 (random port); its
    ``BASE_URL`` is the server's address."""
    app = create_app(make_config(f"sqlite:///{root / 'browser.db'}", str(root / "instance"), **config))
    with app.app_context():
        db.create_all()
        server_info = LiveServer(url="", app=app)
        _seed(server_info)
        db.session.remove()

    http = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="live-server", daemon=True)
    thread.start()
    server_info.url = app.config["BASE_URL"] = f"http://127.0.0.1:{http.server_port}"
    try:
        yield server_info
    finally:
        http.shutdown()
        thread.join(timeout=10)
        http.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(chromium_executable, tmp_path_factory):
    """Serve a freshly seeded app on 127.0.0.1 (random port) for one test module."""
    with seeded_live_server(tmp_path_factory.mktemp("live")) as server_info:
        yield server_info


def log_in(page, server: LiveServer, person: Person) -> None:
    """Log in through the form and wait for the signed-in page."""
    page.goto(f"{server.url}/login")
    page.get_by_label("E-mail").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()


@pytest.fixture(scope="module")
def _session_states():
    """Cookies of people already logged in, so each module logs each person in once."""
    return {}


@pytest.fixture
def page_as(new_context, live_server, _session_states):
    """``page_as(person)``: a page in a fresh browser context, signed in as ``person``."""

    def open_page(person: Person):
        state = _session_states.get(person.email)
        context = new_context(storage_state=state) if state else new_context()
        page = context.new_page()
        if state is None:
            log_in(page, live_server, person)
            _session_states[person.email] = context.storage_state()
        return page

    return open_page
