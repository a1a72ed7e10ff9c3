"""The REST API through the test client (SQLite and PostgreSQL): tokens, scopes, the same permissions as the
pages (the search tests' leak canaries), writes through the services, conventions and bad input.

The API against its own OpenAPI document (schemathesis, a live server) is ``test_api_schema.py``.
"""

import io
import json
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from cop.api.models import ApiToken
from cop.communities.models import Membership
from cop.discussions import services as discussions
from cop.discussions.models import Post, Thread
from cop.events import services as events
from cop.extensions import db, utcnow
from cop.library import services as library
from cop.library.models import Resource, ResourceVersion
from cop.notifications.models import Notification, Watch
from cop.oversight import periods, reports
from cop.search.models import SearchOutbox
from tests.builders import bearer, make_community, make_token, make_user
from tests.unit.test_search import CANARIES, build_world

PROBLEM = "application/problem+json"


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def api(app):
    """A test client without the CSRF helper: the API takes JSON bodies and no CSRF token."""
    return FlaskClient(app, app.response_class)


def _problem(response, status):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["title"]
    return body


def _counts():
    return (
        db.session.scalar(select(func.count()).select_from(Thread)),
        db.session.scalar(select(func.count()).select_from(Post)),
        db.session.scalar(select(func.count()).select_from(Resource)),
    )


# --- tokens -------------------------------------------------------------------------------------------


def test_a_token_is_created_on_the_profile_shown_once_and_revoked(client, login_as, world):
    member = world["member"]
    login_as(member)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "API tokens" in profile and 'action="/account/tokens"' in profile
    created = client.post(
        "/account/tokens", data={"name": "Team dashboard", "scopes": ["read", "write"], "expires_in_days": "30"}
    )
    assert created.status_code == 200
    secret = re.search(r'value="(cop_[A-Za-z0-9_-]{40,})"', created.get_data(as_text=True)).group(1)
    token = db.session.scalar(select(ApiToken))
    assert token.token_hash != secret and len(token.token_hash) == 64 and secret not in token.token_hash
    assert token.scope_set == {"read", "write"} and token.expires_at > utcnow() + timedelta(days=29)
    profile = client.get("/account/profile").get_data(as_text=True)
    assert "Team dashboard" in profile and secret[:8] in profile and secret not in profile  # shown once
    assert "never" in profile  # not used yet

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200 and me.get_json()["handle"] == member.handle
    assert me.get_json()["scopes"] == ["read", "write"]
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    assert "never" not in client.get("/account/profile").get_data(as_text=True)

    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    _problem(client.get("/api/v1/me", headers=bearer(secret)), 401)


def test_token_form_refuses_bad_input(client, login_as, world):
    login_as(world["member"])
    refused = client.post("/account/tokens", data={"name": "", "expires_in_days": "9999"})
    assert refused.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_another_users_token_cannot_be_revoked(client, login_as, world):
    secret = make_token(world["member"])
    token = db.session.scalar(select(ApiToken))
    login_as(world["outsider"])
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404  # as if it did not exist
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_session_cookies_never_authenticate_the_api(client, login_as, world):
    login_as(world["member"])
    assert client.get("/c/priv-circle/threads").status_code == 200  # the session works for pages
    body = _problem(client.get("/api/v1/me"), 401)
    assert "Bearer" in body["detail"]
    before = _counts()
    _problem(client.post("/api/v1/communities/open-circle/threads", json={"title": "t", "body": "b"}, csrf=False), 401)
    assert _counts() == before


def test_disabled_accounts_and_expired_tokens_stop_at_once(api, world):
    member = world["member"]
    secret = make_token(member)
    assert api.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    member.is_disabled = True
    db.session.commit()
    body = _problem(api.get("/api/v1/me", headers=bearer(secret)), 401)
    assert "disabled" in body["detail"]
    member.is_disabled = False
    db.session.commit()
    db.session.scalar(select(ApiToken)).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    _problem(api.get("/api/v1/me", headers=bearer(secret)), 401)
    _problem(api.get("/api/v1/me", headers=bearer("cop_made-up")), 401)
    _problem(api.get("/api/v1/me", headers={"Authorization": "Basic eDp5"}), 401)


# --- the same permissions: leak canaries ---------------------------------------------------------------


def _leaks(api, headers, world) -> list[str]:
    """Every API read an outsider might use to find the canaries; what each one showed of them."""
    found = []
    paths = [f"/api/v1/search?q={word}" for word in CANARIES]
    paths += [
        "/api/v1/search?q=kettle",
        "/api/v1/search?q=kettle&type=thread",
        "/api/v1/communities",
        "/api/v1/communities?mine=true",
        "/api/v1/tags",
        "/api/v1/tags?prefix=zq",
        "/api/v1/communities/priv-circle",
        "/api/v1/communities/priv-circle/threads",
        "/api/v1/communities/rest-circle/threads",
        "/api/v1/communities/priv-circle/resources",
        "/api/v1/communities/rest-circle/resources",
        "/api/v1/communities/priv-circle/members",
        f"/api/v1/threads/{world['secret'].id}",
        f"/api/v1/threads/{world['secret'].id}/posts",
        f"/api/v1/threads/{world['restricted_thread'].id}",
        "/api/v1/tags/zqprivtag",
        "/api/v1/communities/priv-circle/meetings",
        "/api/v1/notifications",
        "/api/v1/search?q=kettle&community=priv-circle",
        "/api/v1/communities/priv-circle/report",
        "/api/v1/portfolio",
    ]
    for path in paths:
        response = api.get(path, headers=headers)
        text = (
            response.get_data(as_text=True).replace(path.split("q=")[-1], "")
            if "q=" in path
            else response.get_data(as_text=True)
        )
        if response.status_code >= 500:
            found.append(f"{path}: {response.status_code}")
        leaked = [w for w in (*CANARIES, "Priv Circle", "priv-circle", "Budget") if w in text]
        if leaked and response.status_code == 200:
            found.append(f"{path}: {leaked}")
        if response.status_code == 200 and "search?q=zq" in path and response.get_json()["total"] != 0:
            found.append(f"{path}: {response.get_json()['total']} hits")
    return found


@pytest.mark.parametrize("who", ["anonymous", "outsider", "removed", "other_coord", "revoked", "expired"])
def test_canaries_never_leak_through_the_api(api, world, who):
    if who == "anonymous":
        headers = {}
    elif who in ("revoked", "expired"):
        headers = bearer(make_token(world["member"], scopes=("read", "write", "report")))
        token = db.session.scalar(select(ApiToken))
        if who == "revoked":
            token.revoked_at = utcnow()
        else:
            token.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    else:
        headers = bearer(make_token(world[who], scopes=("read", "write", "report")))
    assert _leaks(api, headers, world) == []


def test_members_do_find_the_canaries(api, world):
    """The control for the test above: the same reads as a member show them (so it can fail)."""
    headers = bearer(make_token(world["member"]))
    for word in CANARIES:
        assert api.get(f"/api/v1/search?q={word}", headers=headers).get_json()["total"] >= 1, word
    threads = api.get("/api/v1/communities/priv-circle/threads", headers=headers).get_json()["items"]
    assert {"Budget", "Kettle zqprivtitle secrets"} <= {t["title"] for t in threads}
    posts = api.get(f"/api/v1/threads/{world['secret'].id}/posts", headers=headers).get_json()["items"]
    assert [p["body_markdown"] for p in posts] == ["The kettle zqprivpost figure"]


# --- scopes ---------------------------------------------------------------------------------------------


def test_a_read_token_cannot_write_and_a_write_token_cannot_read(api, world):
    reader = bearer(make_token(world["member"], scopes=("read",)))
    before = _counts()
    body = _problem(
        api.post(
            "/api/v1/communities/open-circle/threads", headers=reader, json={"title": "From a read token", "body": "no"}
        ),
        403,
    )
    assert "write" in body["detail"]
    _problem(
        api.post(
            "/api/v1/communities/open-circle/resources",
            headers=reader,
            json={"kind": "link", "title": "x", "url": "https://example.com"},
        ),
        403,
    )
    assert _counts() == before
    writer = bearer(make_token(world["member"], scopes=("write",)))
    _problem(api.get("/api/v1/communities", headers=writer), 403)
    assert (
        api.post(
            "/api/v1/communities/open-circle/threads",
            headers=writer,
            json={"title": "From a write token", "body": "yes"},
        ).status_code
        == 201
    )


def test_reports_need_the_report_scope_and_an_overseer(api, app):
    sponsor = make_user("sponsor@example.com")
    coordinator = make_user("coord@example.com")
    member = make_user("member@example.com")
    guild = make_community("guild", sponsors=[sponsor], coordinators=[coordinator], members=[member])
    make_community("secret", visibility="private", coordinators=[coordinator])
    discussions.create_thread(member, guild, title="Counted", body="one post")
    # A write (and read) token of the sponsor: no report scope, no report.
    _problem(
        api.get("/api/v1/communities/guild/report", headers=bearer(make_token(sponsor, scopes=("read", "write")))), 403
    )
    # A report token of a plain member: the community is open (403), a private one is unknown (404).
    members_token = bearer(make_token(member, scopes=("report",)))
    _problem(api.get("/api/v1/communities/guild/report", headers=members_token), 403)
    _problem(api.get("/api/v1/communities/secret/report", headers=members_token), 404)
    assert api.get("/api/v1/portfolio", headers=members_token).get_json()["items"] == []
    # The sponsor's report token: the page's numbers.
    sponsor_token = bearer(make_token(sponsor, scopes=("report",)))
    report = api.get("/api/v1/communities/guild/report?period=30", headers=sponsor_token)
    assert report.status_code == 200
    figures = {f["key"]: f["value"] for s in report.get_json()["sections"] for f in s["figures"]}
    expected = reports.community_report(guild, periods.Period.last(30), sponsor)
    assert figures == {key: f.value for key, f in expected.figures.items()}
    assert figures["posts"] == 1 and figures["new_threads"] == 1
    rows = api.get("/api/v1/portfolio?period=7", headers=sponsor_token).get_json()["items"]
    assert [r["community"] for r in rows] == ["guild"]
    coordinator_token = bearer(make_token(coordinator, scopes=("report",)))
    assert api.get("/api/v1/communities/secret/report", headers=coordinator_token).status_code == 200


# --- writes through the services --------------------------------------------------------------------


def test_threads_replies_edits_answers_and_deletes(api, world):
    member, outsider = world["member"], world["outsider"]
    db.session.add(Watch(user_id=outsider.id, community_id=world["open"].id, level="watch"))
    db.session.commit()
    headers = bearer(make_token(member, scopes=("read", "write")))
    created = api.post(
        "/api/v1/communities/open-circle/threads",
        headers=headers,
        json={
            "title": "  How do we   descale?",
            "body": "Asking for **a friend**",
            "kind": "question",
            "priority": 2,
            "tags": ["Kettle Care", "tips"],
        },
    )
    assert created.status_code == 201
    thread = created.get_json()
    assert thread["title"] == "How do we descale?" and thread["tags"] == ["kettle-care", "tips"]
    assert "<strong>a friend</strong>" in thread["opening_post"]["body_html"]
    assert created.headers["Location"].endswith(f"/api/v1/threads/{thread['id']}")
    # The same outbox and notifications as the form.
    assert (
        db.session.scalar(
            select(SearchOutbox.id).where(SearchOutbox.doc_type == "thread", SearchOutbox.doc_id == thread["id"])
        )
        is not None
    )
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == outsider.id)) == "new_thread"

    outsider_headers = bearer(make_token(outsider, scopes=("read", "write")))
    reply = api.post(
        f"/api/v1/threads/{thread['id']}/posts",
        headers=outsider_headers,
        json={"body": "Vinegar <script>alert(1)</script>"},
    )
    assert reply.status_code == 201
    answer = reply.get_json()
    assert "<script>" not in answer["body_html"] and answer["parent_id"] == thread["opening_post"]["id"]
    edited = api.patch(f"/api/v1/posts/{answer['id']}", headers=outsider_headers, json={"body": "Citric acid"})
    assert edited.status_code == 200 and edited.get_json()["edited_at"].endswith("Z")
    _problem(api.patch(f"/api/v1/posts/{answer['id']}", headers=headers, json={"body": "not mine"}), 403)
    accepted = api.put(
        f"/api/v1/threads/{thread['id']}/accepted-answer", headers=headers, json={"post_id": answer["id"]}
    )
    assert accepted.get_json()["status"] == "answered" and accepted.get_json()["accepted_post_id"] == answer["id"]
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == outsider.id, Notification.kind == "accepted")
        )
        == 1
    )
    posts = api.get(f"/api/v1/threads/{thread['id']}/posts", headers=headers).get_json()["items"]
    assert [p["body_markdown"] for p in posts] == ["Citric acid"]
    assert api.delete(f"/api/v1/posts/{answer['id']}", headers=outsider_headers).status_code == 204
    posts = api.get(f"/api/v1/threads/{thread['id']}/posts", headers=headers).get_json()["items"]
    assert posts[0]["removed"] is True and posts[0]["body_markdown"] is None


def test_writes_refused_by_the_rules_change_nothing(api, world):
    outsider = bearer(make_token(world["outsider"], scopes=("read", "write")))
    removed = bearer(make_token(world["removed"], scopes=("read", "write")))
    before = _counts()
    _problem(
        api.post("/api/v1/communities/priv-circle/threads", headers=removed, json={"title": "x", "body": "y"}), 404
    )
    body = _problem(
        api.post(
            "/api/v1/communities/open-circle/threads",
            headers=outsider,
            json={"title": "x", "body": "y", "kind": "announcement"},
        ),
        422,
    )
    assert body["errors"] == [{"field": "kind", "message": "Only coordinators can post announcements."}]
    body = _problem(
        api.post("/api/v1/communities/open-circle/threads", headers=outsider, json={"title": "x", "body": "[" * 600}),
        422,
    )
    assert body["errors"][0]["field"] == "body"
    _problem(
        api.post(
            f"/api/v1/threads/{world['common'].id}/posts",
            headers=outsider,
            json={"body": "x", "parent_id": world["secret"].opening_post_id},
        ),
        422,
    )
    assert _counts() == before


def test_library_meetings_memberships_and_notifications(api, world):
    member, outsider = world["member"], world["outsider"]
    headers = bearer(make_token(member, scopes=("read", "write")))
    link = api.post(
        "/api/v1/communities/open-circle/resources",
        headers=headers,
        json={"kind": "link", "title": "Descaling guide", "url": "https://example.com/descale", "tags": ["kettle"]},
    )
    assert link.status_code == 201 and link.get_json()["link"] == "https://example.com/descale"
    bad = _problem(
        api.post(
            "/api/v1/communities/open-circle/resources",
            headers=headers,
            json={"kind": "link", "title": "Bad", "url": "javascript:alert(1)"},
        ),
        422,
    )
    assert bad["errors"][0]["field"] == "url"
    document = api.post(
        "/api/v1/communities/open-circle/resources",
        headers=headers,
        json={"kind": "document", "title": "Checklist", "body": "- one"},
    ).get_json()
    assert document["latest_version"] == 1
    versions = api.get(f"/api/v1/resources/{document['id']}/versions", headers=headers).get_json()["items"]
    assert versions[0]["body_markdown"] == "- one"
    upload = library.add_file(member, world["open"], stream=io.BytesIO(b"first\n"), filename="notes.txt")
    uploaded = api.post(
        f"/api/v1/resources/{upload.id}/versions",
        headers=headers,
        data={"change_note": "second", "file": (io.BytesIO(b"second text\n"), "notes.txt")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    assert uploaded.get_json()["number"] == 2 and uploaded.get_json()["change_note"] == "second"
    assert (
        db.session.scalar(
            select(func.count()).select_from(ResourceVersion).where(ResourceVersion.resource_id == upload.id)
        )
        == 2
    )
    _problem(
        api.post(
            f"/api/v1/resources/{document['id']}/versions",
            headers=headers,
            data={"file": (io.BytesIO(b"x"), "x.txt")},
            content_type="multipart/form-data",
        ),
        409,
    )
    listed = api.get("/api/v1/communities/open-circle/resources?kind=link", headers=headers).get_json()
    assert [r["title"] for r in listed["items"]] == ["Descaling guide"]

    from datetime import time

    event = events.schedule_meeting(
        member,
        world["open"],
        events.MeetingDetails(
            title="Sync",
            date=(utcnow() + timedelta(days=3)).date(),
            start_time=time(9),
            end_time=time(10),
            timezone="Europe/Berlin",
            location="Room 2",
        ),
    )
    outsider_headers = bearer(make_token(outsider, scopes=("read", "write")))
    answered = api.put(f"/api/v1/meetings/{event.id}/rsvp", headers=outsider_headers, json={"response": "yes"})
    assert answered.status_code == 200 and answered.get_json()["response"] == "yes"
    shown = api.get(f"/api/v1/meetings/{event.id}", headers=outsider_headers).get_json()
    assert shown["my_response"] == "yes" and shown["counts"]["yes"] == 1 and shown["starts_at"].endswith("Z")
    _problem(api.put(f"/api/v1/meetings/{event.id}/rsvp", headers=outsider_headers, json={"response": "y"}), 422)

    notes = api.get("/api/v1/notifications", headers=outsider_headers).get_json()["items"]
    assert notes and notes[0]["kind"] == "meeting" and notes[0]["read_at"] is None
    read = api.post(f"/api/v1/notifications/{notes[0]['id']}/read", headers=outsider_headers)
    assert read.status_code == 200 and read.get_json()["read_at"]
    _problem(api.post(f"/api/v1/notifications/{notes[0]['id']}/read", headers=headers), 404)
    assert api.post("/api/v1/notifications/read-all", headers=outsider_headers).get_json() == {"marked": 0}

    newcomer = make_user("newcomer@example.com")
    new_headers = bearer(make_token(newcomer, scopes=("read", "write")))
    _problem(
        api.post("/api/v1/communities/open-circle/join", headers=new_headers, json={"accept_guidelines": False}), 422
    )
    joined = api.post("/api/v1/communities/open-circle/join", headers=new_headers, json={"accept_guidelines": True})
    assert joined.get_json() == {"status": "active", "role": "member"}
    requested = api.post(
        "/api/v1/communities/rest-circle/join-requests",
        headers=new_headers,
        json={"accept_guidelines": True, "message": "Please"},
    )
    assert requested.status_code == 201 and requested.get_json()["status"] == "pending"
    _problem(
        api.post("/api/v1/communities/priv-circle/join", headers=new_headers, json={"accept_guidelines": True}), 404
    )
    assert api.post("/api/v1/communities/open-circle/leave", headers=new_headers, json={}).status_code == 200
    statuses = dict(
        db.session.execute(
            select(Membership.community_id, Membership.status).where(Membership.user_id == newcomer.id)
        ).all()
    )
    assert statuses == {world["open"].id: "left", world["restricted"].id: "pending"}


# --- conventions -----------------------------------------------------------------------------------------


def test_cursor_pagination_with_link_headers(api, world):
    headers = bearer(make_token(world["member"]))
    for n in range(4):
        discussions.create_thread(world["member"], world["open"], title=f"Paged {n}", body="x")
    first = api.get("/api/v1/communities/open-circle/threads?limit=2", headers=headers)
    body = first.get_json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    link = re.match(r'<([^>]+)>; rel="next"', first.headers["Link"]).group(1)
    seen = [t["id"] for t in body["items"]]
    while link:
        page = api.get(link, headers=headers)
        seen += [t["id"] for t in page.get_json()["items"]]
        link = re.match(r"<([^>]+)>", page.headers["Link"]).group(1) if "Link" in page.headers else None
    everything = api.get("/api/v1/communities/open-circle/threads?limit=100", headers=headers).get_json()
    assert seen == [t["id"] for t in everything["items"]] and len(seen) == len(set(seen)) >= 6
    assert (
        everything["next_cursor"] is None
        and "Link" not in api.get("/api/v1/communities/open-circle/threads?limit=100", headers=headers).headers
    )
    # Tampered, forged and moved cursors are refused.
    cursor = body["next_cursor"]
    for bad in (cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB"), "not-a-cursor", "x" * 400):
        _problem(api.get(f"/api/v1/communities/open-circle/threads?cursor={bad}", headers=headers), 400)
    _problem(api.get(f"/api/v1/communities/open-circle/threads?cursor={cursor}&kind=idea", headers=headers), 400)
    _problem(api.get(f"/api/v1/communities/open-circle/resources?cursor={cursor}", headers=headers), 400)


def test_etags_answer_304_until_something_changes(api, world):
    headers = bearer(make_token(world["member"]))
    path = f"/api/v1/threads/{world['common'].id}"
    first = api.get(path, headers=headers)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache" and "Authorization" in first.headers["Vary"]
    again = api.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    discussions.reply(world["member"], world["common"], world["common"].opening_post, "news")
    changed = api.get(path, headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


class TestRateLimits:
    @pytest.fixture
    def app_config(self):
        return {"API_RATE_LIMIT": "5 per minute"}

    def test_rate_limits_per_token_with_headers(self, api, world):
        one = bearer(make_token(world["member"]))
        other = bearer(make_token(world["outsider"]))
        answers = [api.get("/api/v1/me", headers=one) for _ in range(5)]
        assert [a.status_code for a in answers] == [200] * 5
        assert answers[0].headers["RateLimit-Limit"] == "5"
        assert [a.headers["RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0"]
        refused = api.get("/api/v1/me", headers=one)
        _problem(refused, 429)
        assert int(refused.headers["Retry-After"]) > 0 and refused.headers["RateLimit-Remaining"] == "0"
        assert api.get("/api/v1/me", headers=other).status_code == 200  # counted per token


def test_bad_input_is_a_problem_document_and_writes_nothing(api, world):
    headers = bearer(make_token(world["member"], scopes=("read", "write")))
    path = "/api/v1/communities/open-circle/threads"
    before = _counts()
    body = _problem(
        api.post(path, headers={**headers, "Content-Type": "application/json"}, data='{"title": "x", "body": '), 400
    )
    assert "JSON" in body["detail"]
    body = _problem(api.post(path, headers=headers, json={"title": 42, "body": ["x"], "priority": "1"}), 422)
    assert {e["field"] for e in body["errors"]} == {"title", "body", "priority"}
    body = _problem(api.post(path, headers=headers, json={"title": "x", "body": "y", "colour": "red"}), 422)
    assert body["errors"] == [{"field": "colour", "message": "Unknown field."}]
    _problem(api.post(path, headers=headers, json={"title": "x"}), 422)
    huge = json.dumps({"title": "x", "body": "y" * (10 * 1024 * 1024)})
    _problem(api.post(path, headers={**headers, "Content-Type": "application/json"}, data=huge), 413)
    body = _problem(api.get(path + "?limit=100000", headers=headers), 422)
    assert body["errors"][0]["field"] == "query:limit"
    _problem(api.get(path + "?cursor=garbage", headers=headers), 400)
    _problem(api.get("/api/v1/search?q=" + "x " * 40, headers=headers), 422)
    _problem(api.delete(path, headers=headers), 405)
    _problem(api.get("/api/v1/threads/999999", headers=headers), 404)
    assert _counts() == before
    assert api.get("/no-such-page").mimetype == "text/html"  # pages keep their HTML errors


def test_openapi_document_and_human_page(api, world):
    spec = api.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/threads/{thread_id}/posts" in document["paths"]
    assert set(document["webhooks"]) >= {
        "thread.created",
        "reply.created",
        "answer.accepted",
        "resource.created",
        "resource.versioned",
        "meeting.created",
        "meeting.changed",
    }
    assert "WebhookEvent" in document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    page = api.get("/api")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "GET /api/v1/search" in html and "WebhookEvent" in html
    assert "<script>" not in html and "cdn" not in html.lower()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
