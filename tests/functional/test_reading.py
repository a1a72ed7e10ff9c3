"""Reading state through the views: New and unread markers with counts, opening a thread at its first
unread post, the Unread and New lists, Mark all read, privacy, and query counts that stay constant."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from cop.accounts.sessions import start_session
from cop.communities.models import Membership
from cop.discussions import services as discussions
from cop.extensions import db
from tests.builders import make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"  # the upserts differ on PostgreSQL: test_the_reading_state_is_kept_on_postgresql


@pytest.fixture
def sign_in(app, client):
    def new_client(user):
        other = app.test_client()
        with other.session_transaction() as session:
            session["_user_id"] = start_session(user)
            session["_fresh"] = True
        return other

    return new_client


def backdate_memberships():
    """Members joined an hour ago (the threads made in the test come after)."""
    for m in db.session.scalars(db.select(Membership)):
        m.joined_at -= timedelta(hours=1)
    db.session.commit()


@pytest.fixture
def guild(app):
    ann, bob = make_user("ann@example.com", name="Ann"), make_user("bob@example.com", name="Bob")
    guild = make_community("guild", members=[ann, bob])
    backdate_memberships()
    return {"ann": ann, "bob": bob, "guild": guild}


def marker(page: str, title: str) -> str:
    """The badge after a thread's title in a list ('' when none)."""
    match = re.search(re.escape(title) + r'</a>\s*(<span class="badge badge-(?:new|unread)">.*?</span>)?', page)
    assert match, f"{title} not listed"
    return re.sub(r"<[^>]+>", "", match.group(1) or "").strip()


def test_markers_jump_to_first_unread_and_mark_all_read(guild, sign_in):
    ann, bob = sign_in(guild["ann"]), sign_in(guild["bob"])
    thread = discussions.create_thread(guild["bob"], guild["guild"], title="Flaky tests", body="Help")
    thread_id = thread.id
    assert marker(ann.get("/c/guild/threads").get_data(as_text=True), "Flaky tests") == "New"
    assert "Flaky tests" in ann.get("/new").get_data(as_text=True)
    assert marker(bob.get("/c/guild/threads").get_data(as_text=True), "Flaky tests") == ""  # his own

    assert ann.get(f"/t/{thread_id}").status_code == 200  # read now
    assert marker(ann.get("/c/guild/threads").get_data(as_text=True), "Flaky tests") == ""
    assert "Flaky tests" not in ann.get("/new").get_data(as_text=True)

    first = discussions.reply(guild["bob"], thread, thread.opening_post, "More details")
    discussions.reply(guild["bob"], thread, thread.opening_post, "And more")
    assert marker(ann.get("/c/guild/threads").get_data(as_text=True), "Flaky tests") == "2 unread posts"
    assert "Flaky tests" in ann.get("/unread").get_data(as_text=True)
    assert "Flaky tests" in ann.get("/").get_data(as_text=True).split("Latest in my communities")[1]

    opened = ann.get(f"/t/{thread_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/t/{thread_id}?page=1#post-{first.id}")
    assert ann.get(f"/t/{thread_id}?page=1").status_code == 200
    assert ann.get(f"/t/{thread_id}").status_code == 200  # all read: opens at the top
    assert "Flaky tests" not in ann.get("/unread").get_data(as_text=True)

    discussions.reply(guild["bob"], thread, thread.opening_post, "Even more")
    discussions.create_thread(guild["bob"], guild["guild"], title="Second one", body="x")
    assert ann.post("/c/guild/mark-read").status_code == 303
    page = ann.get("/c/guild/threads").get_data(as_text=True)
    assert marker(page, "Flaky tests") == "" and marker(page, "Second one") == ""
    assert ann.get(f"/t/{thread_id}").status_code == 200


def test_private_reading_state_never_leaks(guild, sign_in):
    secret = make_community("secret", visibility="private", members=[guild["ann"]])
    backdate_memberships()
    discussions.create_thread(guild["ann"], secret, title="Secret plan", body="x")
    bob = sign_in(guild["bob"])
    for url in ("/new", "/unread", "/"):
        assert "Secret plan" not in bob.get(url).get_data(as_text=True)
    assert bob.post("/c/secret/mark-read").status_code == 404
    assert sign_in(make_user("out@example.com")).post("/c/guild/mark-read").status_code == 403
    assert bob.post("/c/guild/mark-read", csrf=False).status_code == 400
    assert bob.get("/c/guild/mark-read").status_code == 405


def queries_for(client, url) -> tuple[int, str]:
    db.session.remove()
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_thread_list_queries_with_reading_state_stay_constant(guild, sign_in):
    ann = sign_in(guild["ann"])
    big = make_community("big", members=[guild["ann"], guild["bob"]])
    backdate_memberships()
    for community, n in ((guild["guild"], 3), (big, 40)):
        for i in range(n):
            thread = discussions.create_thread(guild["bob"], community, title=f"{community.slug} {i}", body="x")
            if i % 2:  # read by Ann, then new replies
                ann.get(f"/t/{thread.id}")
                for _ in range(2):
                    discussions.reply(guild["bob"], thread, thread.opening_post, "more")
    few, few_page = queries_for(ann, "/c/guild/threads")
    many, many_page = queries_for(ann, "/c/big/threads")
    assert few_page.count("2 unread") == 1 and few_page.count('badge-new">New') == 2
    assert many_page.count("2 unread") + many_page.count('badge-new">New') == 25
    assert many <= few, f"{few} queries for 3 threads, {many} for 40"
    for url in ("/unread", "/new", "/"):
        small = queries_for(ann, url)[0]
        assert small <= 17, f"{url}: {small} queries"  # home also lists drafts and sponsored communities


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_reading_state_is_kept_on_postgresql(guild, sign_in):
    ann = sign_in(guild["ann"])
    thread = discussions.create_thread(guild["bob"], guild["guild"], title="Upserted", body="x")
    thread_id = thread.id
    ann.get(f"/t/{thread_id}")
    ann.get(f"/t/{thread_id}")
    reply = discussions.reply(guild["bob"], thread, thread.opening_post, "new")
    discussions.create_thread(guild["bob"], guild["guild"], title="Fresh", body="x")
    page = ann.get("/c/guild/threads").get_data(as_text=True)
    assert marker(page, "Upserted") == "1 unread post" and marker(page, "Fresh") == "New"
    assert "Upserted" in ann.get("/unread").get_data(as_text=True)
    assert "Fresh" in ann.get("/new").get_data(as_text=True)
    assert ann.get(f"/t/{thread_id}").headers["Location"].endswith(f"#post-{reply.id}")
    assert ann.post("/c/guild/mark-read").status_code == 303
    assert ann.post("/c/guild/mark-read").status_code == 303
    assert ann.get(f"/t/{thread_id}").status_code == 200
