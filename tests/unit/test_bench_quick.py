"""The page benchmark's quick mode on the small data set: every page answers, queries stay bounded.

No timing is judged here (CI machines are noisy); ``make bench`` measures on
large data. The query bounds are the same in both modes, so a page that
starts running a query per row fails here first.
"""

import pytest

from bench import harness
from cop import create_app
from cop.extensions import db
from tests.conftest import copy_small_data_set, make_config


@pytest.fixture(scope="module")
def report(tmp_path_factory, small_data_set):
    folder = tmp_path_factory.mktemp("bench")
    copy_small_data_set(small_data_set, folder / "bench.db", folder / "index")
    app = create_app(
        make_config(
            f"sqlite:///{folder / 'bench.db'}",
            str(folder / "instance"),
            SEARCH_INDEX_DIR=str(folder / "index"),
            COUNT_QUERIES=True,
        )
    )
    result = harness.run(app, quick=True, write=False, echo=lambda *_: None)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return result


def test_every_page_answers_200(report):
    failed = {
        m["name"]: m["note"] for m in report["measurements"] if m["status"] != 200 and "not available" not in m["note"]
    }
    assert not failed
    names = {m["name"] for m in report["measurements"]}
    assert {
        "home",
        "directory",
        "community home",
        "thread list",
        "thread, 50 posts",
        "thread, 500 posts",
        "library",
        "resource",
        "tag page",
        "search: common word",
        "search: rare word",
        "search: two words",
        "search: phrase",
        "sponsor portfolio (90 d)",
        "community report (90 d)",
    } <= names
    floor = report["measurements"][0]
    assert floor["path"] == harness.FLOOR_PATH and floor["status"] == 200 and floor["queries"] == 0


def test_query_counts_stay_under_their_bounds(report):
    bounds = {t["name"]: t["query_bound"] for t in report["targets"]}
    counted = [m for m in report["measurements"] if m["status"] == 200 and m["name"] in bounds]
    assert len(counted) >= 14
    over = {m["name"]: (m["queries"], bounds[m["name"]]) for m in counted if m["queries"] > bounds[m["name"]]}
    assert not over


def test_subjects_are_the_pages_the_issue_names(report):
    subjects = report["subjects"]
    assert subjects["words"]["common"] != subjects["words"]["rare"]
    thread50 = next(m for m in report["measurements"] if m["name"] == "thread, 50 posts")
    assert thread50["path"] == f"/t/{subjects['thread50']}"
    section = harness.render_section("quick", report)
    assert "| thread, 50 posts |" in section and "x floor" in section


def test_the_floor_is_compiled_once_and_renders_the_post_macros(tmp_path):
    """The floor must be as cheap as a page can be: its template is cached like every page's."""
    from flask import template_rendered

    from bench import floor

    app = create_app(make_config(f"sqlite:///{tmp_path / 'floor.db'}", str(tmp_path / "instance")))
    floor.register(app)
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template)

    client = app.test_client()
    with template_rendered.connected_to(record, app):
        first, second = client.get(floor.FLOOR_PATH), client.get(floor.FLOOR_PATH)
    assert first.status_code == second.status_code == 200
    assert first.get_data(as_text=True).count('class="post-node"') == floor.POSTS
    assert len(rendered) == 2 and rendered[0] is rendered[1]  # the same compiled template both times
