"""The 5 W's template on the new-thread form: saved, shown as a block in the post, searchable, bad input."""

import html

import pytest
from sqlalchemy import select

from cop.discussions.models import Thread, ThreadFiveWs
from cop.extensions import db
from tests.builders import make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"


ANSWERS = {
    "who": "Night-shift operators in Lyon",
    "what": "The VPN drops every 20 minutes",
    "happened_when": "Since the release of 2 March",
    "happened_where": "Zqlyonsite gateway | remote access",
    "why": "Orders cannot be confirmed",
}


def _new_thread(client, **fields):
    data = {"title": "VPN keeps dropping", "kind": "problem", "priority": "2", "tags": "", "body": ""} | fields
    return client.post("/c/ops/threads/new", data=data)


def test_a_problem_opened_with_the_5_ws_keeps_them_shows_them_and_finds_them(client, login_as):
    author = make_user(name="Ann")
    make_community("ops", members=[author])
    login_as(author)
    response = _new_thread(client, **ANSWERS)
    assert response.status_code == 302, response.get_data(as_text=True)
    thread = db.session.scalars(select(Thread)).one()
    saved = db.session.get(ThreadFiveWs, thread.id)
    assert {key: getattr(saved, key) for key in ANSWERS} == ANSWERS
    page = html.unescape(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "<th>The 5 W's</th>" in page
    for label, answer in (
        ("Who is affected?", ANSWERS["who"]),
        ("Where? (system, site, process)", "Zqlyonsite gateway | remote access"),
    ):
        assert f"<td><strong>{label}</strong></td>\n<td>{answer}</td>" in page
    found = client.get("/search", query_string={"q": "zqlyonsite"}).get_data(as_text=True)
    assert "1 result" in found and "VPN keeps dropping" in found


def test_too_long_answers_and_wrong_kinds_come_back_with_what_was_typed(client, login_as):
    author = make_user()
    make_community("ops", members=[author])
    login_as(author)
    response = _new_thread(client, **(ANSWERS | {"why": "x" * 301}), body="Details below.")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="why-error"' in page and "Field cannot be longer than 300 characters." in page
    assert f'value="{ANSWERS["what"]}"' in page and "Details below." in page
    response = _new_thread(client, **ANSWERS, kind="idea")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "The 5 W's are for questions and problems" in page
    assert f'value="{ANSWERS["who"]}"' in page
    assert _new_thread(client).status_code == 400  # neither a message nor the 5 W's
    assert db.session.scalar(select(Thread.id)) is None


def test_without_the_5_ws_a_thread_is_as_before(client, login_as):
    author = make_user()
    make_community("ops", members=[author])
    login_as(author)
    assert _new_thread(client, body="Just a message.", kind="question").status_code == 302
    thread = db.session.scalars(select(Thread)).one()
    assert db.session.get(ThreadFiveWs, thread.id) is None
    assert thread.opening_post.body_md == "Just a message."
