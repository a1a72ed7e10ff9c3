"""Fixtures shared by the functional tests (through the views with the test client)."""

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    """Run every functional test once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture(scope="module")
def slapd_server(tmp_path_factory):
    """Debian's slapd with the test directory (tests/identity_servers/slapd.py), one per module."""
    from tests.identity_servers.slapd import running_slapd

    with running_slapd(tmp_path_factory) as server:
        yield server


@pytest.fixture
def slapd(slapd_server):
    """The module's slapd, put back as the LDIF has it after each test."""
    yield slapd_server
    slapd_server.reset()
