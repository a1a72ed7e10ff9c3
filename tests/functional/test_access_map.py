"""Who may reach every route, generated from ``app.url_map``.

Every endpoint must be classified in ``ACCESS``; a new route that is not
fails ``test_every_endpoint_is_classified`` until someone decides who may
reach it. The endpoints reached without a login are the app's own list
(``cop.access``, default deny): ``test_login_rule_allowlist_is_the_apps``
checks it matches the classes below, and ``test_anonymous_sent_to_login``
that every other endpoint sends an anonymous visitor to the login page. The classes:

* ``static`` — served files, for anyone.
* ``public`` — the login and registration pages, for anyone.
* ``login`` — pages for any signed-in user (anonymous: to the login page).
* ``admin`` — pages for administrators (others signed in: 403).
* ``post-only`` — actions with no GET, for signed-in users (logout too).
* ``admin-post-only`` — actions with no GET, for administrators.
* ``user-post-only`` — actions with no GET that any signed-in user may take
  on their own behalf (watch a tag, reset their feed token).
* ``feed`` — Atom feeds: no login redirect (feed readers have no session);
  anonymous readers get open communities' content only (see ``cop.feeds``).
* ``calendar`` — iCalendar feeds: like ``feed`` (no login redirect, open
  communities for anyone) but ``text/calendar``, and a wrong token is a 404.
* ``token-calendar`` — the personal iCalendar feed: only with the owner's
  ``?token=``; without it (session or not, admin too) a 404.
* ``sign-out`` — logging out (POST only): anyone; signed out, to the login page (no ``next``).
* ``health`` — the health check for load balancers: JSON for anyone, no login.
* ``sign-in`` / ``sign-in-post-only`` — OpenID Connect and LDAP sign-in (cop.identity): a 404 for
  everyone while that way is not in ``COP_AUTH_MODES`` (as here); with it on, see test_identity_*.
* ``signed-link`` — a page reached from an e-mail's signed link (unsubscribe, password reset):
  no login needed, the token says who; a forged token is a 404 for anyone.
* ``api`` — the REST API: only a bearer token authenticates; without one (a session cookie, an
  administrator's included) a 401 problem document, never a login redirect.
* ``api-write`` — API operations with no GET (POST/PUT): the same, and GET is a 405 problem document.
* ``docs`` — the API's documentation (the OpenAPI document and its page): for anyone, no data in it.
* ``form-post-only`` — a form's POST with no GET that shows the form again on bad input (400), for
  signed-in users (creating an API token).
* ``xhr-post-only`` — a script's POST with no GET answered in JSON (preview, draft autosave, similar
  threads: cop.writing): anonymous to the login page; signed in, JSON (an empty form: 200 or a 4xx).
"""

from datetime import time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import select

from cop.access import PUBLIC_ENDPOINTS, TOKEN_BLUEPRINTS, is_public
from cop.accounts.models import User
from cop.api import tokens
from cop.communities.models import Membership
from cop.discussions import services as discussions
from cop.events import services as events
from cop.extensions import db, limiter, utcnow
from cop.library import services as library
from cop.oversight import services as oversight
from cop.search import outbox
from cop.value import services as value_stories
from cop.webhooks.models import WebhookEndpoint
from tests.builders import PASSWORD, add_membership, make_community, make_user
from tests.conftest import CSRFClient, fresh_app_context

ACCESS = {
    "static": "static",
    "accounts.register": "public",
    "accounts.login": "public",
    "accounts.logout": "sign-out",
    "accounts.end_all_sessions": "user-post-only",
    "accounts.change_password": "login",
    "accounts.edit_profile": "login",
    "accounts.browser_time_zone": "form-post-only",
    "accounts.people": "login",
    "accounts.profile": "login",
    "communities.home": "login",
    "communities.directory": "login",
    "communities.community_home": "login",
    "communities.join": "login",
    "communities.request_to_join": "login",
    "communities.invitation": "login",
    "communities.leave": "login",
    "communities.members": "login",
    "communities.decide": "post-only",
    "communities.invite": "login",
    "communities.remove": "post-only",
    "communities.promote": "post-only",
    "communities.edit": "login",
    "discussions.thread_list": "login",
    "discussions.new_thread": "login",
    "discussions.thread": "login",
    "discussions.reply": "login",
    "discussions.post_link": "login",
    "discussions.edit_post": "login",
    "discussions.history": "login",
    "discussions.delete_post": "post-only",
    "reactions.react": "post-only",
    "reading.unread": "login",
    "reading.new": "login",
    "reading.mark_all_read": "post-only",
    "discussions.accept": "post-only",
    "discussions.moderate": "post-only",
    "discussions.classify": "post-only",
    "discussions.move": "login",
    "discussions.flag": "login",
    "discussions.triage": "login",
    "discussions.flag_queue": "login",
    "discussions.decide_flag": "post-only",
    "discussions.my_flags": "login",
    "library.index": "login",
    "library.new_resource": "login",
    "library.resource": "login",
    "library.version": "login",
    "library.download": "login",
    "library.download_version": "login",
    "library.go": "login",
    "library.diff": "login",
    "library.edit": "login",
    "library.new_version": "login",
    "library.feature": "post-only",
    "library.delete": "post-only",
    "admin.index": "admin",
    "admin.new_community": "admin",
    "admin.community": "admin",
    "admin.set_sponsors": "admin-post-only",
    "admin.appoint_coordinator": "admin-post-only",
    "admin.users": "admin",
    "admin.disable_user": "admin-post-only",
    "admin.enable_user": "admin-post-only",
    "admin.audit": "admin",
    "search.search": "login",
    "tags.index": "login",
    "tags.suggest": "login",
    "tags.tag": "login",
    "tags.watch": "user-post-only",
    "tags.unwatch": "user-post-only",
    "tags_admin.index": "admin",
    "tags_admin.rename": "admin-post-only",
    "tags_admin.merge": "admin-post-only",
    "feeds.community_feed": "feed",
    "feeds.tag_feed": "feed",
    "feeds.search_feed": "feed",
    "feeds.reset_token": "user-post-only",
    "events.meetings": "login",
    "events.new_meeting": "login",
    "events.meeting": "login",
    "events.meeting_ics": "login",
    "events.edit": "login",
    "events.cancel": "post-only",
    "events.rsvp": "post-only",
    "events.notes": "login",
    "feeds.community_calendar": "calendar",
    "feeds.my_calendar": "token-calendar",
    "ops.healthz": "health",
    "notifications.index": "login",
    "notifications.settings": "login",
    "notifications.open_notification": "user-post-only",
    "notifications.mark_all_read": "user-post-only",
    "notifications.watch_community": "user-post-only",
    "notifications.watch_thread": "user-post-only",
    "notifications.watch_tag": "user-post-only",
    "notifications.unsubscribe": "signed-link",
    "accounts.forgot_password": "public",
    "accounts.reset_password": "signed-link",
    "accounts.confirm_registration": "signed-link",
    "oversight.portfolio": "login",
    "oversight.report": "login",
    "oversight.report_print": "login",
    "oversight.report_csv": "login",
    "oversight.new_objective": "login",
    "oversight.edit_objective": "login",
    "oversight.delete_objective": "post-only",
    "identity.oidc_start": "sign-in-post-only",
    "identity.oidc_callback": "sign-in",
    "identity.ldap_login": "sign-in-post-only",
    "identity.oidc_backchannel_logout": "sign-in-post-only",
    "identity_admin.groups_page": "admin",
    "identity_admin.delete_mapping": "admin-post-only",
    "api-docs.openapi_json": "docs",
    "api_docs.index": "docs",
    "api_tokens.create": "form-post-only",
    "api_tokens.revoke": "user-post-only",
    "webhooks.index": "login",
    "webhooks.endpoint": "login",
    "webhooks.rotate": "post-only",
    "webhooks.enable": "post-only",
    "webhooks.delete": "post-only",
    "value.stories": "login",
    "value.new_story": "login",
    "value.confirm": "post-only",
    "writing.preview": "xhr-post-only",
    "writing.save_draft": "xhr-post-only",
    "writing.similar": "xhr-post-only",
    "writing.discard_draft": "user-post-only",
    "writing.people": "login",
    "writing.quote": "login",
    **{
        f"api.{name}": "api"
        for name in (
            "me",
            "community_list",
            "community",
            "members",
            "community_threads",
            "thread",
            "thread_posts",
            "post",
            "community_resources",
            "resource",
            "resource_versions",
            "tag_list",
            "tag",
            "search",
            "meeting_list",
            "meeting",
            "notification_list",
            "report",
            "portfolio",
        )
    },
    **{
        f"api.{name}": "api-write"
        for name in (
            "join",
            "request_to_join",
            "leave",
            "accept",
            "rsvp",
            "notification_read",
            "notifications_read_all",
        )
    },
}
CLASSES = {
    "static",
    "public",
    "login",
    "admin",
    "post-only",
    "admin-post-only",
    "user-post-only",
    "feed",
    "calendar",
    "token-calendar",
    "health",
    "signed-link",
    "api",
    "api-write",
    "docs",
    "form-post-only",
    "sign-in",
    "sign-in-post-only",
    "xhr-post-only",
    "sign-out",
}
NO_LOGIN = {
    "static",
    "public",
    "feed",
    "calendar",
    "token-calendar",
    "health",
    "signed-link",
    "sign-in",
    "sign-in-post-only",
    "docs",
    "sign-out",
}
TOKEN_ONLY = {"api", "api-write"}
POST_ONLY = {
    "post-only",
    "admin-post-only",
    "user-post-only",
    "api-write",
    "form-post-only",
    "sign-in-post-only",
    "xhr-post-only",
    "sign-out",
}


def _login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, f"could not log in {user.email}"


def _build_world() -> dict:
    """An open community with a coordinator and a member, an outsider, an admin (in the current app);
    indexed for search in one catch-up at the end, not after each of its commits."""
    with outbox.one_catch_up():
        return _world_rows()


def _world_rows() -> dict:
    admin = make_user("root@example.com", admin=True)
    coordinator = make_user("coord@example.com")
    member = make_user("member@example.com")
    outsider = make_user("outsider@example.com")
    community = make_community("open-circle", coordinators=[coordinator], members=[member])
    requester = make_user("requester@example.com")
    request_row = add_membership(community, requester, "pending")
    thread = discussions.create_thread(
        member, community, title="A question", body="Why?", kind="question", tags="python"
    )
    answer = discussions.reply(coordinator, thread, thread.opening_post, "Because.")
    flag = discussions.flag_post(coordinator, thread.opening_post, "add-value")
    # A document with two versions: every library route (download, diff, go...) applies to it.
    document = library.add_document(member, community, title="Checklist", body="- one")
    library.save_document(member, document, body="- one\n- two")
    meeting = events.schedule_meeting(
        coordinator,
        community,
        events.MeetingDetails(
            title="Monthly sync",
            date=(utcnow() + timedelta(days=7)).date(),
            start_time=time(10),
            end_time=time(11),
            timezone="UTC",
            location="Room 1",
        ),
    )
    objective = oversight.create_objective(
        coordinator,
        community,
        title="Answers within a day",
        business_goal="Onboarding",
        metric="median_first_reply_hours",
        baseline=24,
        target=8,
        due_on="2099-12-31",
    )
    story = value_stories.record_story(member, community, cycle="immediate", text="It helped.")
    endpoint = WebhookEndpoint(
        community_id=community.id, url="https://hooks.example.com/cop", secret="whsec_x", events="thread.created"
    )
    db.session.add(endpoint)
    db.session.commit()
    outsider_token, _secret = tokens.create_token(outsider, name="laptop", scopes=["read"], expires_in_days=30)
    url_values = {
        "slug": community.slug,
        "handle": member.handle,
        "membership_id": request_row.id,
        "user_id": member.id,
        "filename": "cop.css",
        "thread_id": thread.id,
        "post_id": answer.id,
        "flag_id": flag.id,
        "resource_id": document.id,
        "number": 1,
        "kind": "file",
        "name": "python",
        "tag_id": thread.tags[0].id,
        "event_id": meeting.id,
        "token": "forged-token",
        "objective_id": objective.id,
        "notification_id": 1,
        "token_id": outsider_token.id,
        "endpoint_id": endpoint.id,
        "mapping_id": 1,
        "story_id": story.id,
    }
    return dict(
        admin=admin,
        coordinator=coordinator,
        member=member,
        outsider=outsider,
        community=community,
        url_values=url_values,
    )


@pytest.fixture
def world(app):
    """A world of the test's own: for the checks that try to change it (the POSTs) or add to it."""
    return _build_world()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def _shared(request, tmp_path_factory):
    """One app and one world per backend for the checks that only read: the GETs of every route, and
    the anonymous requests the login rule turns away before any view runs. Building an app, a
    database and the world for each of those 430 checks took most of this module's time."""
    with fresh_app_context(request.param, tmp_path_factory.mktemp("access-map")) as shared_app:
        shared_app.test_client_class = CSRFClient
        yield shared_app, _build_world()


@pytest.fixture
def shared_app(_shared):
    """The module's app for one test: rate limits counted from zero (each check signs in afresh, as on an
    app of its own), and the test's reads ended afterwards."""
    limiter.reset()
    yield _shared[0]
    db.session.rollback()


@pytest.fixture
def shared_world(_shared, shared_app):
    return _shared[1]


def _url(app, endpoint, url_values):
    """The URL of ``endpoint`` with its arguments filled from real objects."""
    rules = list(app.url_map.iter_rules(endpoint))
    assert len(rules) == 1, f"{endpoint} has {len(rules)} rules; classify each"
    missing = rules[0].arguments - url_values.keys()
    assert not missing, f"no test object for URL argument(s) {missing} of {endpoint}"
    with app.test_request_context():
        return url_for(endpoint, **{name: url_values[name] for name in rules[0].arguments})


def _methods(app, endpoint):
    return set().union(*(rule.methods for rule in app.url_map.iter_rules(endpoint)))


def _assert_login_redirect(response, path):
    assert response.status_code == 302, f"{path}: {response.status_code}, expected a redirect to log in"
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login", f"{path} redirected to {response.headers['Location']}"
    assert parse_qs(location.query).get("next") == [path]


def _assert_api_refuses(app, client, world, path, method):
    """No token: a 401 problem document for anyone, session or not (the API has no cookie path)."""
    for who in (None, world["outsider"], world["admin"]):
        caller = app.test_client()
        if who is not None:
            _login(caller, who)
        response = caller.open(path, method=method, json={} if method != "GET" else None)
        assert response.status_code == 401, f"{method} {path} as {who}: {response.status_code}"
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_endpoint_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unclassified = endpoints - ACCESS.keys()
    assert not unclassified, f"classify these new endpoints in ACCESS: {sorted(unclassified)}"
    stale = ACCESS.keys() - endpoints
    assert not stale, f"ACCESS names endpoints that no longer exist: {sorted(stale)}"
    assert set(ACCESS.values()) <= CLASSES
    for endpoint, access in ACCESS.items():
        takes_get = "GET" in _methods(app, endpoint)
        assert takes_get == (access not in POST_ONLY), f"{endpoint} is '{access}' but GET is {takes_get}"


def test_login_rule_allowlist_is_the_apps(app):
    """The app's public endpoints are exactly those classified as needing no login; the API's token
    blueprint exactly the token-only ones."""
    assert {e for e, a in ACCESS.items() if a in NO_LOGIN} == PUBLIC_ENDPOINTS
    token_only = {e for e in ACCESS if e.partition(".")[0] in TOKEN_BLUEPRINTS}
    assert token_only == {e for e, a in ACCESS.items() if a in TOKEN_ONLY}


# Any values naming nothing in the shared world (ids and names it never uses): the login rule answers before
# a view looks anything up.
ANY_URL_VALUES = {
    "slug": "no-such-community",
    "handle": "no_such_person",
    "membership_id": 999_999,
    "user_id": 999_999,
    "filename": "cop.css",
    "thread_id": 999_999,
    "post_id": 999_999,
    "flag_id": 999_999,
    "resource_id": 999_999,
    "number": 1,
    "kind": "file",
    "name": "no-such-tag",
    "tag_id": 999_999,
    "event_id": 999_999,
    "token": "no-such-token",
    "objective_id": 999_999,
    "notification_id": 999_999,
    "token_id": 999_999,
    "endpoint_id": 999_999,
    "mapping_id": 999_999,
    "story_id": 999_999,
}


@pytest.mark.parametrize("endpoint", sorted(e for e in ACCESS if not is_public(e)))
def test_anonymous_sent_to_login(shared_app, endpoint):
    """Default deny: every endpoint off the app's list sends an anonymous visitor to log in, whatever
    the method, before its view runs (nothing there exists)."""
    app, client = shared_app, shared_app.test_client()
    path = _url(app, endpoint, ANY_URL_VALUES)
    method = "GET" if "GET" in _methods(app, endpoint) else "POST"
    _assert_login_redirect(client.get(path) if method == "GET" else client.post(path, data={}), path)  # CSRF-valid


def _get(client, path) -> int:
    """GET and return the status, closing the response (static files stream)."""
    response = client.get(path)
    response.close()
    return response


@pytest.mark.parametrize("endpoint", sorted(e for e, a in ACCESS.items() if a not in POST_ONLY))
def test_get_route_access(shared_app, shared_world, endpoint):
    app, client, world = shared_app, shared_app.test_client(), shared_world
    access = ACCESS[endpoint]
    path = _url(app, endpoint, world["url_values"])

    anonymous = _get(client, path)
    if access == "api":
        _assert_api_refuses(app, client, world, path, "GET")
        return
    if access in ("static", "public", "docs"):
        assert anonymous.status_code == 200, f"{path}: {anonymous.status_code}"
    elif access == "feed":
        # The community is open: its feed is readable without a session (private ones: see below).
        assert anonymous.status_code == 200, f"anonymous {path}: {anonymous.status_code}"
        assert anonymous.mimetype == "application/atom+xml"
    elif access == "calendar":
        assert anonymous.status_code == 200, f"anonymous {path}: {anonymous.status_code}"
        assert anonymous.mimetype == "text/calendar"
    elif access in ("token-calendar", "signed-link", "sign-in"):
        assert anonymous.status_code == 404, f"anonymous {path} without a token: {anonymous.status_code}"
    elif access == "health":
        assert anonymous.status_code == 200 and anonymous.is_json, f"anonymous {path}: {anonymous.status_code}"
    else:
        _assert_login_redirect(anonymous, path)

    _login(client, world["outsider"])
    signed_in = _get(client, path)
    if access == "admin":
        assert signed_in.status_code == 403, f"{path} as non-admin: {signed_in.status_code}"
    elif access == "login":
        # The community is open, so it is never hidden (404); some actions
        # do not apply to an outsider (403), but nothing sends them to log in.
        assert signed_in.status_code in (200, 302, 403), f"{path} as signed-in user: {signed_in.status_code}"
        if signed_in.status_code == 302:  # e.g. a post's permalink: to its thread page, not to log in
            assert urlsplit(signed_in.headers["Location"]).path != "/login"
    elif access == "public":
        assert signed_in.status_code == 302, f"{path} when signed in: {signed_in.status_code}"
    elif access in ("feed", "calendar", "docs"):
        assert signed_in.status_code == 200, f"{path} as signed-in user: {signed_in.status_code}"
    elif access in ("token-calendar", "signed-link", "sign-in"):
        assert signed_in.status_code == 404, f"{path} with a session but no token: {signed_in.status_code}"
    else:
        assert signed_in.status_code == 200

    as_admin = app.test_client()
    _login(as_admin, world["admin"])
    status = _get(as_admin, path).status_code
    if access == "admin":
        assert 200 <= status < 400, f"{path} as admin: {status}"
    elif access in ("token-calendar", "signed-link", "sign-in"):
        assert status == 404, f"{path} as admin without a token: {status}"
    else:
        # Administrators see every page; member-only actions (leave, answer an
        # invitation) may still not apply to them.
        assert status in (200, 302, 403), f"{path} as admin: {status}"


@pytest.mark.parametrize("endpoint", sorted(e for e, a in ACCESS.items() if a in POST_ONLY))
def test_post_only_route_access(app, client, world, endpoint):
    access = ACCESS[endpoint]
    path = _url(app, endpoint, world["url_values"])

    if access == "api-write":
        refused = client.get(path)
        assert refused.status_code == 405 and refused.mimetype == "application/problem+json"
        method = sorted(_methods(app, endpoint) - {"HEAD", "OPTIONS"})[0]
        _assert_api_refuses(app, client, world, path, method)
        return

    assert client.get(path).status_code == 405

    if access == "sign-in-post-only":
        assert client.post(path, data={}).status_code == 404
        _login(client, world["outsider"])
        assert client.post(path, data={}).status_code == 404
        return
    anonymous = client.post(path, data={})  # with a valid CSRF token
    assert anonymous.status_code == 302, f"anonymous POST {path}: {anonymous.status_code}"
    assert urlsplit(anonymous.headers["Location"]).path == "/login"
    if endpoint != "accounts.logout":
        _assert_login_redirect(anonymous, path)

    if endpoint == "accounts.logout":
        return
    if access == "form-post-only":
        _login(client, world["outsider"])
        assert client.post(path, data={}).status_code == 400, f"signed-in POST {path} with an empty form"
        return
    if access == "xhr-post-only":
        _login(client, world["outsider"])
        answered = client.post(path, data={})
        assert answered.status_code in (200, 400, 404) and answered.is_json, f"signed-in POST {path}: {answered}"
        return
    if access == "user-post-only":
        _login(client, world["outsider"])
        allowed = client.post(path, data={})
        assert allowed.status_code == 302, f"signed-in POST {path}: {allowed.status_code}"
        if endpoint == "accounts.end_all_sessions":  # signs the person out everywhere: to the login page
            assert urlsplit(allowed.headers["Location"]).path == "/login" and client.get("/people").status_code == 302
        else:
            assert urlsplit(allowed.headers["Location"]).path != "/login"
        return
    # Signed in but neither administrator nor coordinator: refused, nothing changed.
    _login(client, world["outsider"])
    refused = client.post(
        path,
        data={
            "sponsors": "outsider@example.com",
            "coordinator": "outsider@example.com",
            "decision": "approve",
            "reason": "none",
            "action": "pin",
            "post_id": str(world["url_values"]["post_id"]),
            "kind": "idea",
            "priority": "1",
        },
    )
    assert refused.status_code == 403, f"outsider POST {path}: {refused.status_code}"
    db.session.expire_all()
    community = world["community"]
    assert not db.session.get(User, world["member"].id).is_disabled
    assert community.sponsors == []
    rows = db.session.scalars(select(Membership).where(Membership.community_id == community.id))
    assert {m.user.email: (m.status, m.role) for m in rows} == {
        "coord@example.com": ("active", "coordinator"),
        "member@example.com": ("active", "member"),
        "requester@example.com": ("pending", "member"),
    }
    thread = db.session.get(discussions.Thread, world["url_values"]["thread_id"])
    assert (thread.status, thread.is_pinned, thread.is_locked, thread.kind, thread.is_deleted) == (
        "open",
        False,
        False,
        "question",
        False,
    )
    assert not db.session.get(discussions.Post, world["url_values"]["post_id"]).is_deleted
    assert db.session.get(discussions.Flag, world["url_values"]["flag_id"]).status == "open"
    document = db.session.get(library.Resource, world["url_values"]["resource_id"])
    assert (document.is_featured, document.is_deleted) == (False, False)
    assert [t.name for t in thread.tags] == ["python"]
    endpoint = db.session.get(WebhookEndpoint, world["url_values"]["endpoint_id"])
    assert (endpoint.is_active, endpoint.secret) == (True, "whsec_x")
    meeting = db.session.get(events.Event, world["url_values"]["event_id"])
    assert (meeting.is_cancelled, db.session.scalar(select(events.Rsvp))) == (False, None)


@pytest.mark.parametrize("visibility", ["restricted", "private"])
def test_anonymous_feeds_show_open_content_only(app, client, world, visibility):
    """Without a session or a token, a feed never shows a closed community, nor its threads under a tag."""
    coordinator = world["coordinator"]
    closed = make_community(f"closed-{visibility}", visibility=visibility, coordinators=[coordinator])
    discussions.create_thread(coordinator, closed, title="Canary closed thread", body="canary body", tags="python")
    assert client.get(f"/c/{closed.slug}/feed.atom").status_code == 404
    open_feed = client.get("/c/open-circle/feed.atom")
    assert open_feed.status_code == 200 and b"A question" in open_feed.data
    tag_feed = client.get("/tags/python/feed.atom")
    assert tag_feed.status_code == 200
    assert b"A question" in tag_feed.data and b"anary" not in tag_feed.data
