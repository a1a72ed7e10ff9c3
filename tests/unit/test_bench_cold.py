"""The cold benchmark's pieces on the small data set: distinct URLs drawn from the data, each one a real page.

Timings are not judged here (``make bench`` measures them on the large set); what is checked is
that the benchmark asks what users ask — distinct URLs, every page type, every one answering 200
for the login it is asked with — and that its client counts each request once.
"""

import pytest

from bench import cold, harness, queries
from cop import create_app
from cop.extensions import db
from cop.seed import data
from cop.seed.text import TextGenerator
from tests.conftest import CSRFClient, copy_small_data_set, make_config


@pytest.fixture(scope="module")
def world(tmp_path_factory, small_data_set):
    folder = tmp_path_factory.mktemp("cold")
    copy_small_data_set(small_data_set, folder / "bench.db")  # the database only: no search index here
    app = create_app(
        make_config(
            f"sqlite:///{folder / 'bench.db'}",
            str(folder / "instance"),
            SEARCH_INDEX_DIR=str(folder / "index"),
            RATELIMIT_ENABLED=False,
        )
    )
    drawn = cold.draw(app, 12, seed=3, pages=cold.PAGE_TYPES)
    yield app, drawn
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_every_page_type_gets_distinct_urls(world):
    _app, drawn = world
    urls = drawn["urls"]
    assert set(urls) == set(cold.PAGE_TYPES)
    for name, items in urls.items():
        paths = [(r.login, r.path) for r in items]
        assert len(paths) == len(set(paths)), name  # each asked once
        assert items, name
    assert len(urls["thread"]) == 12 and len({r.path for r in urls["thread"]}) == 12
    reports = urls["sponsor report"]
    assert all(r.login == "admin" and "period=custom&start=" in r.path for r in reports)
    assert {r.login for r in urls["portfolio"]} - {"member", "admin", "anon"}  # sponsors, each their own


def test_every_drawn_page_answers_200_for_its_login(world):
    app, drawn = world
    emails = {"member": drawn["member"], "admin": drawn["admin"]}
    app.test_client_class = CSRFClient
    checked, clients = 0, {}
    for name, items in drawn["urls"].items():
        if name.startswith("search"):
            continue  # no index in this world; the quick harness test covers the search pages
        for item in items[:4]:
            if item.login not in clients:
                clients[item.login] = app.test_client()
                response = clients[item.login].post(
                    "/login", data={"email": emails.get(item.login, item.login), "password": data.SEED_PASSWORD}
                )
                assert response.status_code == 302, item
            assert clients[item.login].get(item.path).status_code == 200, (name, item.path)
            checked += 1
    assert checked >= 20


def test_the_client_asks_each_url_once_and_counts_failures(world):
    app, drawn = world
    server = harness.ThreadedServer(app)
    try:
        items = [cold.Request("anon", "/healthz")] * 5 + [cold.Request("anon", "/no-such-page")]
        phase = cold.run_requests(server.base_url, items, {"anon": ""}, 3)
    finally:
        server.stop()
    assert phase.requests + phase.errors == 6
    assert phase.errors == 1 and phase.statuses.get("404") == 1
    assert 0 < phase.median_ms <= phase.p95_ms <= phase.p99_ms <= phase.max_ms


def test_the_query_set_is_the_one_kept_in_bench():
    kept = queries.load()
    assert kept == queries.build(kept["seed"])
    vocabulary = set(TextGenerator(__import__("random").Random(0)).vocabulary)
    assert all(m["q"] not in vocabulary and m["meant"] in vocabulary for m in kept["misspelling"])
    assert all(q.startswith('"') and q.endswith('"') for q in kept["phrase"])
    assert not set(kept["common"]) & set(kept["rare"])
    assert len(set(kept["two"])) == len(kept["two"]) == queries.PER_CLASS


def test_each_row_is_also_compared_with_the_runs_pooled_floor():
    """Beside each row's own floor, the median of every row's floor: one row's floor swings by 2x."""

    def phase(name, median, floor):
        return dict(
            name=name, requests=40, median_ms=median, p95_ms=median, p99_ms=median, floor_median_ms=floor, errors=0
        )

    report = dict(
        machine={"cores": 2},
        date="2026-12-07",
        backend="sqlite",
        workers=2,
        concurrency=8,
        per_type=40,
        seed=15,
        load_before="0.1",
        counts={"posts": 1},
        cold=[phase("thread", 80.0, 20.0), phase("tag page", 120.0, 40.0), phase("portfolio", 90.0, 60.0)],
        warm=[],
        single=[],
        first={},
        memory_after_cold=[],
        seed_and_index={},
    )
    assert cold.run_floor(report) == 40.0
    text = cold.render("x", report)
    assert "| thread | 40 | 80.0 | 80.0 | 80.0 | 20.0 | 4.0 | 2.0 | ≤ 2.5x MISSED |" in text
    assert "| tag page | 40 | 120.0 | 120.0 | 120.0 | 40.0 | 3.0 | 3.0 |" in text
    assert "median of the rows' floors, 40.0 ms" in text
