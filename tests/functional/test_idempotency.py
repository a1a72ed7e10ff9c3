"""A form sent twice creates one thing (issue 14, item 9): each creating form carries a one-time key.

The same form is posted twice, as a client retrying after a dropped connection would: the second
post creates nothing and is sent to what the first created.
"""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from cop.discussions import services as discussions
from cop.discussions.models import Post, Thread
from cop.events.models import Event
from cop.extensions import db, utcnow
from cop.idempotency import FormSubmission
from cop.library.models import Resource
from tests.builders import make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"  # the same SQL on both; the key's uniqueness is a primary key


@pytest.fixture
def coordinator(app, login_as):
    user = make_user("coordinator@example.com")
    make_community("guild", coordinators=[user])
    login_as(user)
    return user


def form_key(page: str) -> str:
    match = re.search(r'<input[^>]*name="form_key"[^>]*>', page)
    assert match, "no form key on the page"
    value = re.search(r'value="([^"]+)"', match.group(0))
    return value.group(1)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _twice(client, url, data, form_page=None):
    key = form_key(client.get(form_page or url).get_data(as_text=True))
    first = client.post(url, data={**data, "form_key": key})
    second = client.post(url, data={**data, "form_key": key})
    assert first.status_code == second.status_code == 302, (first.status_code, second.status_code)
    return first, second


def _path(response) -> str:
    return response.headers["Location"].split("#")[0]


def test_a_new_thread_sent_twice_is_created_once(client, coordinator):
    first, second = _twice(
        client,
        "/c/guild/threads/new",
        {"title": "Once", "body": "Only once", "kind": "question", "priority": "3", "tags": ""},
    )
    assert count(Thread) == 1
    assert _path(second) == _path(first) == f"/t/{db.session.scalar(select(Thread.id))}"
    assert "had already been sent" in client.get(_path(second)).get_data(as_text=True)


def test_a_reply_sent_twice_is_posted_once_and_the_second_lands_on_it(client, coordinator):
    thread = discussions.create_thread(coordinator, _guild(), title="Ask", body="Well?")
    first, second = _twice(
        client,
        f"/t/{thread.id}/reply",
        {"parent_id": thread.opening_post_id, "body": "Once"},
        form_page=f"/t/{thread.id}",
    )
    reply_id = db.session.scalar(select(Post.id).where(Post.parent_id.is_not(None)))
    assert count(Post) == 2 and db.session.get(Thread, thread.id).reply_count == 1
    assert first.headers["Location"].endswith(f"#post-{reply_id}")
    assert second.headers["Location"].endswith(f"/p/{reply_id}")  # the permalink: right even when pages shift


def _guild():
    from cop.communities.models import Community

    return db.session.scalar(select(Community).where(Community.slug == "guild"))


def test_a_library_document_and_a_meeting_sent_twice_are_created_once(client, coordinator):
    _twice(
        client,
        "/c/guild/library/new/document",
        {"title": "Guide", "description": "", "tags": "", "body": "# Guide", "change_note": ""},
    )
    day = (date.today() + timedelta(days=30)).isoformat()
    _twice(
        client,
        "/c/guild/meetings/new",
        {
            "title": "Clinic",
            "date": day,
            "start_time": "10:00",
            "end_time": "11:00",
            "end_date": "",
            "timezone": "Europe/Berlin",
            "location": "Room 2",
            "meeting_url": "",
            "agenda": "",
        },
    )
    assert (count(Resource), count(Event)) == (1, 1)


def test_each_render_gets_a_new_key_and_a_refused_form_keeps_its_key_unused(client, coordinator):
    url = "/c/guild/threads/new"
    key = form_key(client.get(url).get_data(as_text=True))
    assert form_key(client.get(url).get_data(as_text=True)) != key
    refused = client.post(
        url, data={"title": "Once", "body": "x", "kind": "announcement", "priority": "9", "form_key": key}
    )
    assert refused.status_code == 400 and form_key(refused.get_data(as_text=True)) == key and count(Thread) == 0
    assert (
        client.post(
            url, data={"title": "Once", "body": "x", "kind": "question", "priority": "3", "form_key": key}
        ).status_code
        == 302
    )
    assert count(Thread) == 1


def test_old_keys_are_purged_when_the_user_sends_a_new_form(client, coordinator):
    db.session.add(
        FormSubmission(user_id=coordinator.id, key="o" * 32, url="/t/1", created_at=utcnow() - timedelta(days=8))
    )
    db.session.add(FormSubmission(user_id=coordinator.id, key="r" * 32, url="/t/2", created_at=utcnow()))
    db.session.commit()
    _twice(client, "/c/guild/threads/new", {"title": "New", "body": "x", "kind": "question", "priority": "3"})
    keys = set(db.session.scalars(select(FormSubmission.key)))
    assert "o" * 32 not in keys and "r" * 32 in keys and len(keys) == 2
