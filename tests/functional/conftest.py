"""Fixtures shared by the functional tests (through the views with the test client)."""

import pytest
from flask import g, request_started


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    """Run every functional test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture(autouse=True)
def fresh_request_globals(app):
    """Give every test-client request an empty ``g``, as a real request has.

    The ``app`` fixture keeps one app context pushed for the whole test and
    Flask reuses it for each request, so without this ``g`` (Flask-Login's
    current user, the CSRF token, the membership cache) would carry over from
    one request, and one client, to the next.
    """

    def clear_globals(sender, **extra):
        g.__dict__.clear()

    request_started.connect(clear_globals, app)
    yield
    request_started.disconnect(clear_globals, app)
