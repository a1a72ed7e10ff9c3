"""The search page, knowledge gaps and similar threads, through the views (SQLite and PostgreSQL, each
with both search engines)."""

import re
import shutil

import pytest
from sqlalchemy import func, select

from cop.discussions.models import Thread
from cop.extensions import db
from cop.search import index
from cop.search.engine import ENGINES, get_engine
from cop.search.models import SearchLog
from tests.unit.test_search import CANARIES, INJECTIONS, build_world


@pytest.fixture(params=ENGINES)
def search_engine(request):
    return request.param


@pytest.fixture
def app_config(search_engine):
    return {"SEARCH_ENGINE": search_engine}


@pytest.fixture
def world(app):
    return build_world()


def _page(client, **params):
    return client.get("/search", query_string=params)


def test_search_requires_login(client, world):
    response = _page(client, q="kettle")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_results_page_shows_types_snippets_facets_and_matching_post(client, login_as, world):
    login_as(world["member"])
    response = _page(client, q="zqprivpost")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 result" in html and "Thread" in html
    assert '<mark class="hl' in html
    assert "Matching post" in html
    response = _page(client, q="kettle")
    html = response.get_data(as_text=True)
    for label in ("Type", "Community", "Resource", "Thread status"):
        assert label in html
    # Narrow by a facet: only resources remain.
    narrowed = _page(client, q="kettle", type="resource").get_data(as_text=True)
    assert "2 results" in narrowed


@pytest.mark.parametrize("who", ["outsider", "removed", "other_coord"])
def test_pages_never_show_canaries_to_non_members(client, login_as, world, who):
    login_as(world[who])
    for word in CANARIES:
        html = _page(client, q=word).get_data(as_text=True)
        assert "0 results" in html
        assert word not in html.replace(f'value="{word}"', "").replace(f"Search: {word}", ""), word
    html = _page(client, q="kettle").get_data(as_text=True)
    for word in CANARIES:
        assert word not in html
    assert "Priv Circle" not in html and "priv-circle" not in html


def test_query_corpus_answers_without_errors_or_leaks(client, login_as, world):
    """Every query of the corpus, on one world (building it per query cost ~1.3 s each)."""
    login_as(world["outsider"])
    problems = []
    for text in INJECTIONS:
        response = _page(client, q=text)
        html = response.get_data(as_text=True)
        if response.status_code not in (200, 400):
            problems.append(f"{text!r}: status {response.status_code}")
        elif response.status_code == 400 and 'role="alert"' not in html:
            problems.append(f"{text!r}: 400 without a message")
        leaked = [word for word in CANARIES if word in html.replace(text, "")]
        if leaked:
            problems.append(f"{text!r}: leaked {leaked}")
    assert not problems, "\n".join(problems)


def test_scoping_to_a_community_needs_read_access(client, login_as, world):
    login_as(world["outsider"])
    assert _page(client, q="kettle", community="priv-circle").status_code == 404
    assert _page(client, q="kettle", community="rest-circle").status_code == 404
    scoped = _page(client, q="kettle", community="open-circle")
    assert scoped.status_code == 200 and "Searching only in Open Circle" in scoped.get_data(as_text=True)


def test_missing_index_is_a_clear_503_and_the_site_keeps_working(client, login_as, world):
    login_as(world["member"])
    path = index.index_dir()
    get_engine().forget(path)
    shutil.rmtree(path)
    response = _page(client, q="kettle")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True)
    thread = world["common"]
    assert client.get(f"/t/{thread.id}").status_code == 200
    posted = client.post(f"/t/{thread.id}/reply", data={"parent_id": thread.opening_post_id, "body": "still here"})
    assert posted.status_code == 302
    assert client.get("/c/open-circle").status_code == 200


def test_every_search_is_logged_and_zero_result_scoped_searches_become_gaps(client, login_as, world):
    login_as(world["outsider"])
    assert "0 results" in _page(client, q="How to descale", community="open-circle").get_data(as_text=True)
    _page(client, q="kettle")
    rows = db.session.execute(select(SearchLog.normalized_query, SearchLog.result_count, SearchLog.community_id)).all()
    assert ("how to descale", 0, world["open"].id) in rows and len(rows) == 2
    # A member sees the gap on the community page, with a link to answer it.
    client.post("/logout")
    login_as(world["member"])
    page = client.get("/c/open-circle").get_data(as_text=True)
    assert "Knowledge gaps" in page and "how to descale" in page
    link = re.search(r'href="(/c/open-circle/threads/new\?[^"]+)"', page).group(1).replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert 'value="how to descale"' in form and 'name="gap"' in form
    created = client.post(
        "/c/open-circle/threads/new",
        data={
            "title": "How to descale",
            "kind": "question",
            "priority": "3",
            "body": "Use vinegar.",
            "gap": "how to descale",
        },
    )
    assert created.status_code == 302
    assert "how to descale" not in client.get("/c/open-circle").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SearchLog).where(SearchLog.closed_at.is_not(None))) == 1


def test_non_members_do_not_see_gaps(client, login_as, world):
    db.session.add(
        SearchLog(query="descale", normalized_query="descale", community_id=world["open"].id, result_count=0)
    )
    db.session.commit()
    login_as(world["removed"])
    assert "Knowledge gaps" not in client.get("/c/open-circle").get_data(as_text=True)


def test_new_thread_form_suggests_similar_threads_without_javascript(client, login_as, world):
    login_as(world["member"])
    # A POST (the draft never goes into a URL); nothing is created, the text comes back.
    response = client.post(
        "/c/open-circle/threads/new",
        data={"title": "kettle practice", "body": "My draft", "kind": "question", "priority": "3", "check": "1"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Similar threads already exist" in html and "Common kettle practice" in html
    assert 'formmethod="get"' not in html and "My draft</textarea>" in html


def test_thread_page_shows_related_threads_within_permissions(client, login_as, world):
    login_as(world["outsider"])
    html = client.get(f"/t/{world['common'].id}").get_data(as_text=True)
    assert "Related threads" in html
    assert "zqprivtitle" not in html and "zqrestitle" not in html


def test_deleting_and_hiding_leave_search_at_once(client, login_as, world):
    login_as(world["member"])
    thread = world["common"]
    assert "1 result" in _page(client, q="tips").get_data(as_text=True)
    client.post(f"/p/{thread.opening_post_id}/delete")
    assert db.session.get(Thread, thread.id).is_deleted
    assert "0 results" in _page(client, q="tips").get_data(as_text=True)


def test_hits_and_facets_follow_changes(client, login_as, world):
    """A new status, a renamed community and a chosen facet show on the next search."""
    login_as(world["member"])
    thread = db.session.get(Thread, world["common"].id)

    def hit():
        html = _page(client, q="tips").get_data(as_text=True)
        return html[html.index('class="search-hit"') : html.index("</li>", html.index('class="search-hit"'))]

    assert "· Open ·" in hit()
    thread.status = "closed"
    thread.community.name = "Renamed Circle"
    db.session.commit()
    assert "· Closed · Renamed Circle" in hit()
    facets = _page(client, q="kettle", type="thread").get_data(as_text=True)
    assert "<strong>Thread</strong>" in facets and "Remove<span" in facets
    assert "<strong>Thread</strong>" not in _page(client, q="kettle").get_data(as_text=True)
