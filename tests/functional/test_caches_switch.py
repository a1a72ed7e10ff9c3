"""Every cached value renders the same with the caches on and off (``COP_CACHES_OFF``).

Two applications share one small seeded database and search index; one runs with ``CACHES_OFF``.
Each page that uses a cache of ``cop.caching`` (a community report, its print view and CSV export,
the portfolio) is rendered twice by the caching app (the second time from its caches) and once by
the other, and the pages must be identical but for the CSRF token. The caches must have been used
by one and left empty by the other.
"""

import re

import pytest

from cop import create_app
from cop.extensions import db
from cop.seed import data
from tests.conftest import CSRFClient, copy_small_data_set, make_config

_TOKEN = re.compile(r'(name="csrf[-_]token"[^>]*(?:content|value)=")[^"]+"')
_NOW = re.compile(r'<time datetime="[^"]+">[^<]*</time>')  # "generated at" and "the last N days" end now


def _comparable(response) -> str:
    return _NOW.sub("<time>", _TOKEN.sub(r'\1-"', response.get_data(as_text=True)))


@pytest.fixture(scope="module")
def apps(tmp_path_factory, small_data_set):
    folder = tmp_path_factory.mktemp("caches")
    copy_small_data_set(small_data_set, folder / "cop.db", folder / "index")
    made = {}
    for name, off in (("on", False), ("off", True)):
        made[name] = create_app(
            make_config(
                f"sqlite:///{folder / 'cop.db'}",
                str(folder / f"instance-{name}"),
                SEARCH_INDEX_DIR=str(folder / "index"),
                CACHES_OFF=off,
                RATELIMIT_ENABLED=False,
            )
        )
        made[name].test_client_class = CSRFClient
    yield made
    for app in made.values():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _pages(app):
    from sqlalchemy import select

    from cop.communities.models import Community

    with app.app_context():
        slug = db.session.scalar(
            select(Community.slug).where(Community.visibility == "open").order_by(Community.member_count.desc())
        )
    return [
        f"/c/{slug}/report?period=30",
        f"/c/{slug}/report/print?period=30",
        f"/c/{slug}/report.csv?period=30",
        "/oversight?period=90",
    ]


def _signed_in(app):
    client = app.test_client()
    response = client.post("/login", data={"email": data.ADMIN_EMAIL, "password": data.SEED_PASSWORD})
    assert response.status_code == 302
    return client


def test_each_cached_page_is_the_same_with_caches_on_and_off(apps):
    on, off = _signed_in(apps["on"]), _signed_in(apps["off"])
    for path in _pages(apps["on"]):
        first = on.get(path)
        cached = on.get(path)
        uncached = off.get(path)
        assert first.status_code == cached.status_code == uncached.status_code == 200, path
        as_text = [_comparable(r) for r in (first, cached, uncached)]
        assert as_text[1] == as_text[0], path
        assert as_text[1] == as_text[2], path

    caches = apps["on"].extensions["cop_caches"]
    assert set(caches) == {"reports", "portfolios"}
    assert all(len(c) and c.hits for c in caches.values()), {n: (c.hits, c.misses) for n, c in caches.items()}
    # The print view and the CSV export reuse the report's figures: computed once for the three.
    assert caches["reports"].misses == 1
    left_empty = {name: len(c) for name, c in apps["off"].extensions.get("cop_caches", {}).items()}
    assert not any(left_empty.values()), left_empty
