"""Writing aids through the views: preview (with and without JavaScript), drafts (private to their author,
limits, bad input, restored, deleted on posting), similar threads by POST, @mention suggestions, quotes.

SQLite only: nothing here differs on PostgreSQL (the drafts migration is checked on both by
tests/unit/test_migrations.py).
"""

import re

import pytest
from sqlalchemy import delete, func, select

from cop.communities.models import Membership
from cop.discussions import services as discussions
from cop.discussions.models import Thread
from cop.extensions import db
from cop.markup import MAX_MARKDOWN_CHARS
from cop.writing.models import Draft
from cop.writing.services import MAX_DRAFTS_PER_USER
from tests.builders import add_membership, make_community, make_user


@pytest.fixture
def backend():
    return "sqlite"


@pytest.fixture
def world(app):
    author = make_user("ada@example.com", "Ada Author")
    other = make_user("bob@example.com", "Bob Other")
    outsider = make_user("olga@example.com", "Olga Outsider")
    make_user("adam.gone@example.com", "Adam Gone", disabled=True)
    open_c = make_community("open-c", members=[author, other])
    private = make_community("secret-c", visibility="private", members=[author])
    thread = discussions.create_thread(
        author, open_c, title="Deploying with blue green", body="How?", kind="question", tags=""
    )
    secret = discussions.create_thread(
        author, private, title="Reorganisation plans", body="Quiet.", kind="discussion", tags=""
    )
    return dict(
        author=author, other=other, outsider=outsider, open=open_c, private=private, thread=thread, secret=secret
    )


def _client_for(app, user):
    from tests.conftest import CSRFClient, login

    app.test_client_class = CSRFClient
    client = app.test_client()
    login(client, user)
    return client


def _drafts():
    return {(d.user_id, d.place): d for d in db.session.scalars(select(Draft))}


# --- preview -------------------------------------------------------------------------------------


def test_preview_endpoint_renders_with_the_saving_sanitiser(app, world):
    client = _client_for(app, world["author"])
    response = client.post(
        "/writing/preview", data={"text": "**bold** <script>alert(1)</script> [x](javascript:alert(1)) @bob"}
    )
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert 'href="/people/bob"' in html  # mentions link as they will when posted


@pytest.mark.parametrize(
    "text, limit, message",
    [
        ("[" * 600, "", "unclosed brackets"),
        ("x" * (MAX_MARKDOWN_CHARS + 1), "", "too long"),
        ("x" * 101, "100", "at most 100 characters"),
        ("ok", "not-a-number", None),
    ],
)
def test_preview_refuses_what_saving_refuses(app, world, text, limit, message):
    client = _client_for(app, world["author"])
    response = client.post("/writing/preview", data={"text": text, "limit": limit})
    if message is None:
        assert response.status_code == 200 and response.get_json()["html"] == "<p>ok</p>"
    else:
        assert response.status_code == 400 and message in response.get_json()["error"]


def test_preview_needs_csrf(app, world):
    client = _client_for(app, world["author"])
    assert client.post("/writing/preview", data={"text": "x"}, csrf=False).status_code == 400


@pytest.mark.parametrize(
    "path, field",
    [
        ("/c/open-c/threads/new", "body"),
        ("/account/profile", "bio"),
    ],
)
def test_preview_without_javascript_keeps_the_text_and_saves_nothing(app, world, path, field):
    client = _client_for(app, world["author"])
    threads = db.session.scalar(select(func.count()).select_from(Thread))
    data = {
        "title": "A title",
        "kind": "question",
        "priority": "3",
        field: "Some **strong** words",
        "display_name": "Ada Author",
        "preview": field,
    }
    response = client.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ">Preview</h2>" in page and "<strong>strong</strong>" in page
    assert "Some **strong** words</textarea>" in page  # the text is kept in the field
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Thread)) == threads
    if field == "bio":
        assert world["author"].bio_md in (None, "")


def test_every_markdown_field_has_write_and_preview(app, world):
    client = _client_for(app, world["author"])
    post_id = world["thread"].opening_post_id
    for path in (
        "/c/open-c/threads/new",
        f"/t/{world['thread'].id}",
        f"/t/{world['thread'].id}/reply",
        f"/p/{post_id}/edit",
        "/account/profile",
        "/c/open-c/library/new/document",
    ):
        page = client.get(path).get_data(as_text=True)
        assert 'class="md-editor"' in page and 'name="preview"' in page, path
        assert "js/markdown.js" in page and "<script>" not in page, path


# --- drafts --------------------------------------------------------------------------------------


def test_draft_saved_restored_listed_and_deleted_on_posting(app, world):
    author, community = world["author"], world["open"]
    client = _client_for(app, author)
    place = f"thread:{community.id}"
    saved = client.post(
        "/drafts/save",
        data={
            "place": place,
            "title": "Half a thought",
            "body": "Work in progress",
            "kind": "idea",
            "priority": "2",
            "tags": "ops",
            "who": "Night shift",
        },
    )
    assert saved.status_code == 200 and saved.get_json()["saved"] is True
    again = client.post(
        "/drafts/save",
        data={
            "place": place,
            "title": "Half a thought",
            "body": "More progress",
            "kind": "idea",
            "priority": "2",
            "tags": "ops",
            "who": "Night shift",
            "why": "w" * 300,
        },
    )
    assert again.status_code == 200
    assert [d.body for d in _drafts().values()] == ["More progress"]  # one per person and place

    # Another device: a new client, same person.
    second = _client_for(app, author)
    page = second.get("/c/open-c/threads/new").get_data(as_text=True)
    assert "Restored your draft" in page and "More progress</textarea>" in page
    assert 'value="Half a thought"' in page and 'value="ops"' in page and 'value="Night shift"' in page
    assert re.search(r'<option selected value="idea">|<option value="idea" selected>', page)
    home = second.get("/").get_data(as_text=True)
    assert "My drafts" in home and "New thread in" in home and "Half a thought" in home

    posted = second.post(
        "/c/open-c/threads/new",
        data={"title": "Half a thought", "body": "Done", "kind": "idea", "priority": "2", "tags": "ops"},
    )
    assert posted.status_code == 302
    assert _drafts() == {}
    assert "My drafts" not in second.get("/").get_data(as_text=True)


def test_reply_and_edit_drafts_on_errors_save_button_and_discard(app, world):
    author, thread = world["author"], world["thread"]
    client = _client_for(app, author)
    # "Save draft" without JavaScript: the form comes back (200) with the text, and a draft is kept.
    response = client.post(
        f"/t/{thread.id}/reply", data={"parent_id": thread.opening_post_id, "body": "Draft reply", "save_draft": "1"}
    )
    assert response.status_code == 200 and "Draft saved" in response.get_data(as_text=True)
    assert _drafts()[(author.id, f"reply:{thread.id}")].body == "Draft reply"
    # The thread page's reply form restores it.
    assert "Draft reply</textarea>" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    # An edit refused by the renderer keeps the text as a draft.
    post_id = thread.opening_post_id
    refused = client.post(f"/p/{post_id}/edit", data={"body": "[" * 600})
    assert refused.status_code == 400
    assert _drafts()[(author.id, f"edit:{post_id}")].body == "[" * 600
    assert "[" * 600 in client.get(f"/p/{post_id}/edit").get_data(as_text=True)
    # Discard.
    discarded = client.post("/drafts/discard", data={"place": f"edit:{post_id}", "next": f"/p/{post_id}/edit"})
    assert discarded.status_code == 302 and discarded.headers["Location"].endswith(f"/p/{post_id}/edit")
    assert (author.id, f"edit:{post_id}") not in _drafts()
    outside = client.post("/drafts/discard", data={"place": "x", "next": "https://evil.example.com/"})
    assert outside.headers["Location"] == "/"
    # Posting the reply deletes its draft.
    client.post(f"/t/{thread.id}/reply", data={"parent_id": thread.opening_post_id, "body": "Final reply"})
    assert _drafts() == {}


def test_drafts_are_private_to_their_author(app, world):
    author, other, outsider = world["author"], world["other"], world["outsider"]
    community, secret = world["open"], world["secret"]
    mine = _client_for(app, author)
    assert (
        mine.post("/drafts/save", data={"place": f"reply:{world['thread'].id}", "body": "only mine"}).status_code == 200
    )
    assert mine.post("/drafts/save", data={"place": f"reply:{secret.id}", "body": "secret plans"}).status_code == 200

    theirs = _client_for(app, other)
    page = theirs.get(f"/t/{world['thread'].id}").get_data(as_text=True)
    assert "only mine" not in page and "Restored your draft" not in page
    assert "only mine" not in theirs.get("/").get_data(as_text=True)
    # Discarding "the same place" only ever touches one's own draft.
    theirs.post("/drafts/discard", data={"place": f"reply:{world['thread'].id}"})
    assert (author.id, f"reply:{world['thread'].id}") in _drafts()

    # A place one may not write in: 404, nothing kept (a private community, not a member, unknown ids).
    stranger = _client_for(app, outsider)
    for place in (
        f"reply:{secret.id}",
        f"thread:{world['private'].id}",
        f"thread:{community.id}",
        f"edit:{world['thread'].opening_post_id}",
        "reply:999999",
        "nonsense",
        "",
        "thread:1e3",
    ):
        response = stranger.post("/drafts/save", data={"place": place, "body": "x"})
        assert response.status_code == 404 and response.is_json, place
    assert {key for key in _drafts()} == {(author.id, f"reply:{world['thread'].id}"), (author.id, f"reply:{secret.id}")}

    # Leaving the private community hides its draft from the home page (and the place refuses saves).
    db.session.execute(delete(Membership).where(Membership.community_id == world["private"].id))
    db.session.commit()
    home = mine.get("/").get_data(as_text=True)
    assert "Deploying with blue green" in home and "Reorganisation plans" not in home


def test_draft_limits_and_bad_input(app, world):
    author, thread = world["author"], world["thread"]
    client = _client_for(app, author)
    place = f"reply:{thread.id}"
    too_long = client.post("/drafts/save", data={"place": place, "body": "x" * (MAX_MARKDOWN_CHARS + 1)})
    assert too_long.status_code == 400 and "too long" in too_long.get_json()["error"]
    long_title = client.post(
        "/drafts/save", data={"place": f"thread:{world['open'].id}", "title": "t" * 201, "body": "x"}
    )
    assert long_title.status_code == 400
    long_tags = client.post(
        "/drafts/save", data={"place": f"thread:{world['open'].id}", "tags": "t" * 501, "body": "x"}
    )
    assert long_tags.status_code == 400
    long_why = client.post("/drafts/save", data={"place": f"thread:{world['open'].id}", "why": "w" * 301})
    assert long_why.status_code == 400
    assert _drafts() == {}
    # An empty draft deletes the one kept.
    client.post("/drafts/save", data={"place": place, "body": "something"})
    emptied = client.post("/drafts/save", data={"place": place, "body": "   "})
    assert emptied.get_json()["saved"] is False and _drafts() == {}
    # Without a CSRF token: refused.
    assert client.post("/drafts/save", data={"place": place, "body": "x"}, csrf=False).status_code == 400
    # At most MAX_DRAFTS_PER_USER drafts.
    db.session.add_all(
        [
            Draft(user_id=author.id, community_id=world["open"].id, place=f"edit:{n}", body="x")
            for n in range(10_000, 10_000 + MAX_DRAFTS_PER_USER)
        ]
    )
    db.session.commit()
    full = client.post("/drafts/save", data={"place": place, "body": "one more"})
    assert full.status_code == 400 and "drafts" in full.get_json()["error"]


# --- similar threads, mentions, quotes ---------------------------------------------------------------


def test_similar_threads_by_post_and_check_without_javascript_keeps_the_draft(app, world):
    client = _client_for(app, world["other"])
    found = client.post("/writing/similar", data={"title": "blue green deploying"}).get_json()["threads"]
    assert [t["title"] for t in found] == ["Deploying with blue green"]
    assert client.post("/writing/similar", data={"title": "reorganisation plans"}).get_json()["threads"] == []
    body = "word " * 4000  # 20 KB: once a raw "URI Too Long"
    response = client.post(
        "/c/open-c/threads/new",
        data={"title": "blue green", "body": body, "kind": "question", "priority": "3", "check": "1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Similar threads already exist" in page
    assert body.strip() in page
    assert 'formmethod="get"' not in page
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 2


def test_mention_suggestions_show_only_visible_people_members_first(app, world):
    community = world["open"]
    make_user("adrian@example.com", "Adrian Nobody")
    client = _client_for(app, world["other"])
    people = client.get("/writing/people?q=ad&community=open-c").get_json()["people"]
    assert [p["name"] for p in people] == ["Ada Author", "Adrian Nobody"]  # the member first; no disabled Adam
    assert client.get("/writing/people?q=ad%25").get_json()["people"] == []
    assert client.get("/writing/people?q=").get_json()["people"] == []
    # A private community's members are not favoured for someone who cannot read it.
    add_membership(world["private"], make_user("zed@example.com", "Adz Zed"))
    ordered = client.get("/writing/people?q=ad&community=secret-c").get_json()["people"]
    assert [p["name"] for p in ordered] == ["Ada Author", "Adrian Nobody", "Adz Zed"]
    insider = _client_for(app, world["author"])
    ordered = insider.get("/writing/people?q=ad&community=secret-c").get_json()["people"]
    assert ordered[0]["name"] in ("Ada Author", "Adz Zed") and ordered[-1]["name"] == "Adrian Nobody"
    assert community.slug == "open-c"


def test_quote_endpoint_respects_visibility(app, world):
    client = _client_for(app, world["other"])
    text = client.get(f"/writing/quote/{world['thread'].opening_post_id}").get_json()["text"]
    assert text.startswith("> **Ada Author** wrote:") and "> How?" in text
    assert client.get(f"/writing/quote/{world['secret'].opening_post_id}").status_code == 404
    assert client.get("/writing/quote/999999").status_code == 404
