"""Fixtures shared by the functional tests (through the views with the test client)."""

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request):
    """Run every functional test once on SQLite and once on PostgreSQL."""
    return request.param
