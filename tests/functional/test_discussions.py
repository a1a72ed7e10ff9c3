"""Discussions through the views: who may reach each route, bounded queries, pagination,
bad input, threads and replies, moderation, flags and privacy.

The service rules themselves are tested in ``tests/unit/test_discussions.py``;
here every behaviour under test goes through HTTP. Setup may call the
services directly (``create_thread``, ``reply``) or insert posts in bulk.
"""

import html as html_lib
import re
import time
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event, func, select

from cop.accounts.sessions import start_session
from cop.admin.models import AuditEntry
from cop.discussions import services
from cop.discussions.models import MAX_DEPTH, PATH_STEP, Flag, Post, Thread
from cop.extensions import db, utcnow
from tests.builders import add_membership, make_community, make_user

# --- helpers -------------------------------------------------------------------


def text(response) -> str:
    return response.get_data(as_text=True)


def location(response) -> str:
    """The redirect target as path, query and fragment (``/t/3?page=2#post-9``)."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")


@pytest.fixture
def sign_in(app, client):
    """``sign_in(user)`` returns a new test client of its own, signed in as ``user``.

    Several people act in one test without logging each other out. The client
    gets the session Flask-Login keeps for a signed-in user, as /login would give
    it: /login is tested in test_accounts.py, and its deliberately slow password
    hashing (about 0.1 s a login) would otherwise dominate this file's runtime.
    """

    def new_client(user):
        other = app.test_client()  # a CSRFClient: the ``client`` fixture set the class
        with other.session_transaction() as session:
            session["_user_id"] = start_session(user)
            session["_fresh"] = True
        return other

    return new_client


def refreshed(model, ident):
    """The row as the database has it now (views commit in the same session)."""
    db.session.expire_all()
    return db.session.get(model, ident)


def count(model, *conditions) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def thread_ids(page_html: str) -> list[int]:
    """Ids of the threads a page links to, in page order (first occurrence)."""
    seen = []
    for match in re.finditer(r'href="/t/(\d+)"', page_html):
        if int(match.group(1)) not in seen:
            seen.append(int(match.group(1)))
    return seen


class _Outline(HTMLParser):
    """For each element with an id, the ids of the elements that enclose it."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.open: list[tuple[str, str | None]] = []
        self.ancestors: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        element_id = dict(attrs).get("id")
        if element_id:
            self.ancestors[element_id] = [i for _tag, i in self.open if i]
        if tag not in self.VOID:
            self.open.append((tag, element_id))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return


def enclosing_ids(page_html: str, element_id: str) -> list[str]:
    outline = _Outline()
    outline.feed(page_html)
    assert element_id in outline.ancestors, f"no element with id {element_id} on the page"
    return outline.ancestors[element_id]


def add_replies(thread, authors, count_, *, nested=True) -> list[int]:
    """Insert ``count_`` replies in bulk, with the paths the services would give them.

    ``nested`` mixes answers to the opening post, chains (deeper than
    MAX_DEPTH, so some are flattened) and answers to earlier replies.
    Returns the new post ids in insertion order.
    """
    opening = thread.opening_post
    now = utcnow()
    posts = [
        Post(
            thread_id=thread.id,
            author_id=authors[i % len(authors)].id,
            body_md=f"Reply number {i}",
            body_html=f"<p>Reply number {i}</p>",
            created_at=now + timedelta(microseconds=i),
        )
        for i in range(count_)
    ]
    db.session.add_all(posts)
    db.session.flush()  # ids first: the path is made of them
    for i, post in enumerate(posts):
        if not nested or i % 5 == 0:
            parent = opening
        elif i % 5 in (1, 2):
            parent = posts[i - 1]
        else:
            parent = posts[i // 2]
        own = str(post.id).zfill(PATH_STEP)
        post.parent_id = parent.id
        if parent.depth < MAX_DEPTH:
            post.path, post.depth = f"{parent.path}.{own}", parent.depth + 1
        else:
            post.path, post.depth = f"{parent.path.rsplit('.', 1)[0]}.{own}", parent.depth
    thread.reply_count += count_
    thread.last_activity_at = now + timedelta(microseconds=count_)
    ids = [p.id for p in posts]
    db.session.commit()
    return ids


def queries_for(client, url):
    """GET ``url`` from a cold session; return (number of SQL statements, response)."""
    db.session.remove()  # as in production, the request starts with an empty identity map
    statements = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_cursor_execute)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return len(statements), response


# --- the access matrix ---------------------------------------------------------------

ROLES = (
    "anonymous",
    "non-member",
    "pending",
    "invited",
    "member",
    "author",
    "coordinator",
    "other-coordinator",
    "sponsor",
    "admin",
    "removed",
)
VISIBILITIES = ("open", "restricted", "private")

# Who may do what, per community visibility. One column per role, in ROLES order:
#   anonymous non-member pending invited member author coordinator other-coordinator sponsor admin removed
# "ok" is 200 for a page, a redirect (302, not to the login page) for an action or a permalink;
# "login" is a redirect to the login page. "removed" was an active member until a
# coordinator removed them, just before the requests checked.
_TABLE = {
    # Reading: open communities for anyone signed in; the others for members, sponsors, admins.
    "read": {
        "open": "login ok  ok  ok  ok  ok ok ok  ok  ok ok",
        "restricted": "login 404 404 404 ok  ok ok 404 ok  ok 404",
        "private": "login 404 404 404 ok  ok ok 404 ok  ok 404",
    },
    # Writing (new thread, reply, flag): active members only.
    "post": {
        "open": "login 403 403 403 ok  ok ok 403 403 403 403",
        "restricted": "login 404 404 404 ok  ok ok 404 403 403 404",
        "private": "login 404 404 404 ok  ok ok 404 403 403 404",
    },
    # Editing a post: its author only.
    "edit": {
        "open": "login 403 403 403 403 ok 403 403 403 403 403",
        "restricted": "login 404 404 404 403 ok 403 404 403 403 404",
        "private": "login 404 404 404 403 ok 403 404 403 403 404",
    },
    # Deleting a post, accepting an answer: its author (the asker), or the community's managers.
    "author-or-coordinator": {
        "open": "login 403 403 403 403 ok ok 403 403 ok 403",
        "restricted": "login 404 404 404 403 ok ok 404 403 ok 404",
        "private": "login 404 404 404 403 ok ok 404 403 ok 404",
    },
    # Moderation: coordinators of this community and admins.
    "moderate": {
        "open": "login 403 403 403 403 403 ok 403 403 ok 403",
        "restricted": "login 404 404 404 403 403 ok 404 403 ok 404",
        "private": "login 404 404 404 403 403 ok 404 403 ok 404",
    },
    # Pages about the user's own doings.
    "signed-in": {v: "login " + " ".join(["ok"] * (len(ROLES) - 1)) for v in VISIBILITIES},
}
EXPECTED = {
    access: {visibility: dict(zip(ROLES, row.split(), strict=True)) for visibility, row in rows.items()}
    for access, rows in _TABLE.items()
}

# (name, method, url, form data, access). ``{...}`` names objects of the community under
# test (see ``_access_world``). The pages come before the actions, so a role's own allowed
# actions (a pin, an edit, an accepted answer) cannot change what its pages show.
ROUTES = [
    ("thread_list", "GET", "/c/{slug}/threads", None, "read"),
    ("thread", "GET", "/t/{thread}", None, "read"),
    ("post_link", "GET", "/p/{answer}", None, "read"),
    ("history", "GET", "/p/{opening}/history", None, "read"),
    ("new_thread", "GET", "/c/{slug}/threads/new", None, "post"),
    ("reply", "GET", "/t/{thread}/reply?to={answer}", None, "post"),
    ("flag", "GET", "/p/{answer}/flag", None, "post"),
    ("edit_post", "GET", "/p/{opening}/edit", None, "edit"),
    ("move", "GET", "/t/{thread}/move", None, "moderate"),
    ("triage", "GET", "/c/{slug}/triage", None, "moderate"),
    ("flag_queue", "GET", "/c/{slug}/flags", None, "moderate"),
    ("my_flags", "GET", "/account/flags", None, "signed-in"),
    (
        "new_thread",
        "POST",
        "/c/{slug}/threads/new",
        {"title": "A new question", "body": "Hello", "kind": "question", "priority": "3", "tags": ""},
        "post",
    ),
    ("reply", "POST", "/t/{thread}/reply", {"parent_id": "{answer}", "body": "Me too"}, "post"),
    ("flag", "POST", "/p/{answer}/flag", {"guideline": "add-value", "note": ""}, "post"),
    ("edit_post", "POST", "/p/{opening}/edit", {"body": "The opening post, edited."}, "edit"),
    ("accept", "POST", "/t/{thread}/accept", {"post_id": "{answer}"}, "author-or-coordinator"),
    ("delete_post", "POST", "/p/{own}/delete", {}, "author-or-coordinator"),
    ("moderate", "POST", "/t/{thread}/moderate", {"action": "pin"}, "moderate"),
    ("classify", "POST", "/t/{thread}/classify", {"kind": "question", "priority": "1"}, "moderate"),
    ("move", "POST", "/t/{movable}/move", {"target": "{elsewhere}"}, "moderate"),
    ("decide_flag", "POST", "/flags/{flag}/decide", {"decision": "dismiss"}, "moderate"),
]


def test_the_route_table_names_every_discussion_route(app):
    """A new discussion route fails here until someone decides who may reach it."""
    covered = {(name, method) for name, method, *_ in ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("discussions."):
            name = rule.endpoint.split(".", 1)[1]
            for method in rule.methods & {"GET", "POST"}:
                assert (name, method) in covered, f"{method} {rule.rule} is missing from ROUTES"


def _access_world(visibility):
    """A community of ``visibility`` with someone in each role, and what the routes act on.

    Objects an allowed action changes for good (the post to delete, the thread
    to move, the flag to decide) exist once per role, so each role acts on its own.
    """
    users = {
        role: make_user(
            f"{role.replace('-', '_')}@example.com", name=role.replace("-", " ").title(), admin=role == "admin"
        )
        for role in ROLES
        if role != "anonymous"
    }
    helper = make_user("helper@example.com", name="Helper")
    elsewhere = make_community("elsewhere", coordinators=[users["other-coordinator"], users["coordinator"]])
    community = make_community(
        f"{visibility}-circle",
        visibility=visibility,
        coordinators=[users["coordinator"]],
        members=[users["member"], users["author"], users["removed"], helper],
        sponsors=[users["sponsor"]],
    )
    add_membership(community, users["pending"], "pending", commit=False)
    add_membership(community, users["invited"], "invited")
    thread = services.create_thread(
        users["author"], community, title=f"A question in {visibility}", body="The opening post.", kind="question"
    )
    answer = services.reply(helper, thread, thread.opening_post, "An answer.")
    shared = {
        "slug": community.slug,
        "thread": thread.id,
        "opening": thread.opening_post_id,
        "answer": answer.id,
        "elsewhere": elsewhere.id,
    }
    own_posts = add_replies(thread, [users["author"]], len(ROLES), nested=False)
    flags = [
        Flag(
            post_id=post_id,
            community_id=community.id,
            flagger_id=helper.id,
            guideline="think-first",
            guideline_title="Think before you post",
        )
        for post_id in own_posts
    ]
    db.session.add_all(flags)
    db.session.commit()
    per_role = {}
    for role, own, flag in zip(ROLES, own_posts, flags):
        movable = services.create_thread(users["author"], community, title=f"To be moved by {role}", body="Move me.")
        per_role[role] = {**shared, "own": own, "flag": flag.id, "movable": movable.id}
    return users, per_role


def _check(response, expected) -> str | None:
    """A description of the mismatch, or None when the response is what the table expects."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if expected == "login":
        if status == 302 and urlsplit(response.headers["Location"]).path == "/login":
            return None
        return f"{status}, expected a redirect to log in"
    if expected == "ok":
        if response.request.method == "GET" and status == 200:
            return None
        if status == 302 and urlsplit(response.headers["Location"]).path != "/login":
            return None
        return f"{status}, expected success"
    return None if status == int(expected) else f"{status}, expected {expected}"


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_access_matrix(app, sign_in, visibility):
    """Every discussion route × every role, in a community of this visibility, against EXPECTED.

    Parametrized by visibility, with the roles and routes of the table looped
    inside over one database (a database per cell would take minutes); every
    mismatch is reported with its role and route.
    """
    users, values = _access_world(visibility)
    mismatches = []
    for role in ROLES:
        client = app.test_client() if role == "anonymous" else sign_in(users[role])
        token = client.csrf_token()
        if role == "removed":
            # Active until now: reads and may post. A coordinator removes them; the
            # requests below are their next ones, from the same signed-in client.
            assert client.get(f"/t/{values[role]['thread']}").status_code == 200
            assert client.get(f"/c/{values[role]['slug']}/threads/new").status_code == 200
            removal = sign_in(users["coordinator"]).post(
                f"/c/{values[role]['slug']}/members/{users['removed'].id}/remove",
                data={"reason": "Off topic, repeatedly."},
            )
            assert removal.status_code == 302
        for name, method, url, data, access in ROUTES:
            path = url.format(**values[role])
            if method == "GET":
                response = client.get(path)
            else:
                form = {key: value.format(**values[role]) for key, value in data.items()}
                response = client.post(path, data={**form, "csrf_token": token})
            problem = _check(response, EXPECTED[access][visibility][role])
            if problem:
                mismatches.append(f"{role:<17} {method:<4} {name:<12} {path}: {problem}")
    assert not mismatches, f"in a {visibility} community:\n" + "\n".join(mismatches)


# --- bounded queries ----------------------------------------------------------------------


@pytest.fixture
def crowd(app):
    """A restricted community: a coordinator, an asker, a helper, three more members, an outsider."""
    coordinator = make_user("cora@example.com", name="Cora Coordinator")
    asker = make_user("asker@example.com", name="Ada Asker")
    helper = make_user("helper@example.com", name="Hal Helper")
    others = [make_user(f"member{i}@example.com", name=f"Member {i}") for i in range(3)]
    outsider = make_user("otto@example.com", name="Otto Outsider")
    community = make_community(
        "guild",
        visibility="restricted",
        coordinators=[coordinator],
        members=[asker, helper, *others],
        guidelines_md="- Be precise\n- No vendor pitches\n",
    )
    return dict(
        coordinator=coordinator, asker=asker, helper=helper, others=others, outsider=outsider, community=community
    )


def _question(crowd, title="How do I test Flask views?", body="Any tips?", **fields):
    fields = {"kind": "question", "priority": 2, **fields}
    return services.create_thread(crowd["asker"], crowd["community"], title=title, body=body, **fields)


def test_thread_page_queries_do_not_grow_with_the_thread(crowd, sign_in):
    small = _question(crowd, title="Small", tags="python, flask")
    large = _question(crowd, title="Large", tags="python, flask")
    # Many authors, so that loading each post's author on its own would show in the count.
    authors = [crowd["helper"], *crowd["others"]]
    for i in range(22):
        authors.append(make_user(f"author{i}@example.com", name=f"Author {i}"))
        add_membership(crowd["community"], authors[-1], commit=False)
    db.session.commit()
    small_ids = add_replies(small, authors, 10)
    large_ids = add_replies(large, authors, 500)
    for thread, ids in ((small, small_ids), (large, large_ids)):
        services.set_accepted(crowd["asker"], thread, db.session.get(Post, ids[3]))
    small_id, large_id = small.id, large.id
    member = sign_in(crowd["helper"])

    small_count, small_page = queries_for(member, f"/t/{small_id}")
    large_count, large_page = queries_for(member, f"/t/{large_id}")

    assert "Reply number 9" in text(small_page) and 'id="accepted-h"' in text(small_page)
    assert f'id="post-{large_ids[0]}"' in text(large_page) and 'id="accepted-h"' in text(large_page)
    assert large_count <= small_count, f"{small_count} queries for 10 replies, {large_count} for 500"
    assert large_count <= 15


def test_thread_list_queries_do_not_grow_with_the_list(crowd, sign_in):
    few = crowd["community"]
    many = make_community("big-guild", visibility="restricted", members=[crowd["asker"], crowd["helper"]])
    authors = [crowd["asker"], crowd["helper"]]
    for i in range(5):
        services.create_thread(authors[i % 2], few, title=f"Few {i}", body="x", tags=f"tag{i}, shared")
    for i in range(60):
        services.create_thread(authors[i % 2], many, title=f"Many {i}", body="x", tags=f"tag{i}, shared")
    member = sign_in(crowd["helper"])

    few_count, few_page = queries_for(member, "/c/guild/threads")
    many_count, many_page = queries_for(member, "/c/big-guild/threads")

    assert len(thread_ids(text(few_page))) == 5
    assert len(thread_ids(text(many_page))) == services.THREADS_PER_PAGE
    assert "tag59" in text(many_page)  # the tags are on the page, loaded with the threads
    assert many_count <= few_count, f"{few_count} queries for 5 threads, {many_count} for 60"
    assert many_count <= 15


# --- long threads ----------------------------------------------------------------------------


def test_a_long_thread_paginates_and_post_links_find_the_page(crowd, sign_in):
    thread = _question(crowd)
    ids = add_replies(thread, [crowd["helper"], *crowd["others"]], 120, nested=False)
    thread_id, opening_id = thread.id, thread.opening_post_id
    member = sign_in(crowd["asker"])

    first, third = text(member.get(f"/t/{thread_id}")), text(member.get(f"/t/{thread_id}?page=3"))
    assert f'id="post-{ids[0]}"' in first and f'id="post-{ids[-1]}"' not in first
    assert f'id="post-{ids[-1]}"' in third and f'id="post-{ids[0]}"' not in third
    assert "Page 1 of 3" in first and "Page 3 of 3" in third
    assert f'id="post-{opening_id}"' in third  # the question heads every page

    late = member.get(f"/p/{ids[110]}")
    assert late.status_code == 302
    assert location(late) == f"/t/{thread_id}?page=3#post-{ids[110]}"
    assert f'id="post-{ids[110]}"' in text(member.get(location(late)))
    assert location(member.get(f"/p/{ids[30]}")) == f"/t/{thread_id}?page=1#post-{ids[30]}"
    assert location(member.get(f"/p/{ids[60]}")) == f"/t/{thread_id}?page=2#post-{ids[60]}"


# --- bad input ----------------------------------------------------------------------------------


def _thread_form(**fields):
    return {
        "title": "Why is the build slow?",
        "body": "It takes an hour.",
        "kind": "question",
        "priority": "2",
        "tags": "",
        **fields,
    }


def test_a_new_thread_with_bad_input_is_refused_keeping_what_was_typed(crowd, sign_in):
    member = sign_in(crowd["helper"])
    url = "/c/guild/threads/new"

    no_title = member.post(url, data=_thread_form(title="   ", body="Typed body that must survive"))
    assert no_title.status_code == 400
    assert "Give the thread a title." in text(no_title)
    assert "Typed body that must survive" in text(no_title)

    no_body = member.post(url, data=_thread_form(title="Typed title that must survive", body=""))
    assert no_body.status_code == 400
    assert "Write something first" in text(no_body)
    assert 'value="Typed title that must survive"' in text(no_body)

    started = time.perf_counter()
    brackets = member.post(url, data=_thread_form(body="[" * 20000))
    assert time.perf_counter() - started < 3  # rendering it unchecked takes about a minute
    assert brackets.status_code == 400
    assert "too many unclosed brackets" in text(brackets)
    assert 'value="Why is the build slow?"' in text(brackets)

    started = time.perf_counter()
    nested = member.post(url, data=_thread_form(body="[" * 8000 + "]" * 8000))
    assert time.perf_counter() - started < 3  # balanced, but as slow to render as unclosed ones
    assert nested.status_code == 400
    assert "nests square brackets more than 50 levels deep" in text(nested)

    too_long = member.post(url, data=_thread_form(body="x" * (64 * 1024 + 1)))
    assert too_long.status_code == 400
    assert "65536" in text(too_long)

    for fields, message in [
        ({"priority": "9"}, "Not a valid choice"),
        ({"kind": "rant"}, "Not a valid choice"),
        ({"kind": "announcement"}, "Not a valid choice"),
    ]:
        response = member.post(url, data=_thread_form(**fields))
        assert response.status_code == 400, fields
        assert message in text(response), fields

    assert count(Thread) == 0


def test_a_coordinator_may_announce(crowd, sign_in):
    coordinator = sign_in(crowd["coordinator"])
    response = coordinator.post("/c/guild/threads/new", data=_thread_form(title="Meetup", kind="announcement"))
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread))
    assert (thread.title, thread.kind) == ("Meetup", "announcement")
    assert location(response) == f"/t/{thread.id}"


def test_bad_replies_are_refused_and_nothing_is_stored(crowd, sign_in):
    thread = _question(crowd)
    other = _question(crowd, title="Another thread")
    gone = services.reply(crowd["helper"], thread, thread.opening_post, "Soon removed.")
    thread_id, opening_id, other_opening, gone_id = thread.id, thread.opening_post_id, other.opening_post_id, gone.id
    member, coordinator = sign_in(crowd["helper"]), sign_in(crowd["coordinator"])
    assert member.post(f"/p/{gone_id}/delete").status_code == 302
    posts_before = count(Post)

    elsewhere = member.post(f"/t/{thread_id}/reply", data={"parent_id": other_opening, "body": "Crossed wires"})
    assert elsewhere.status_code == 400
    assert "That post is not part of this thread." in text(elsewhere)
    assert member.get(f"/t/{thread_id}/reply?to={other_opening}").status_code == 404

    removed = member.post(f"/t/{thread_id}/reply", data={"parent_id": gone_id, "body": "To a ghost"})
    assert removed.status_code == 400
    assert "That post has been removed" in text(removed)

    assert member.post(f"/t/{thread_id}/reply", data={"parent_id": opening_id, "body": "  "}).status_code == 400

    assert coordinator.post(f"/t/{thread_id}/moderate", data={"action": "lock"}).status_code == 302
    locked = member.post(f"/t/{thread_id}/reply", data={"parent_id": opening_id, "body": "Too late"})
    assert locked.status_code == 409
    assert "This thread is locked: no new replies." in text(locked)

    assert coordinator.post(f"/t/{thread_id}/moderate", data={"action": "unlock"}).status_code == 302
    assert coordinator.post(f"/t/{thread_id}/moderate", data={"action": "close"}).status_code == 302
    closed = member.post(f"/t/{thread_id}/reply", data={"parent_id": opening_id, "body": "Too late"})
    assert closed.status_code == 409
    assert "This thread is closed: no new replies." in text(closed)

    assert count(Post) == posts_before
    assert refreshed(Thread, thread_id).reply_count == 1


def test_posts_without_the_csrf_token_change_nothing(crowd, sign_in):
    thread = _question(crowd)
    answer = services.reply(crowd["helper"], thread, thread.opening_post, "Use the test client.")
    thread_id, opening_id, answer_id = thread.id, thread.opening_post_id, answer.id
    asker, coordinator = sign_in(crowd["asker"]), sign_in(crowd["coordinator"])

    attempts = [
        (asker, "/c/guild/threads/new", _thread_form(title="Forged")),
        (asker, f"/t/{thread_id}/reply", {"parent_id": opening_id, "body": "Forged reply"}),
        (asker, f"/t/{thread_id}/accept", {"post_id": answer_id}),
        (coordinator, f"/t/{thread_id}/moderate", {"action": "lock"}),
    ]
    for who, url, data in attempts:
        response = who.post(url, data=data, csrf=False)
        assert response.status_code == 400, url
        assert "nothing was changed" in text(response), url

    assert count(Thread) == 1 and count(Post) == 2
    thread = refreshed(Thread, thread_id)
    assert (thread.status, thread.accepted_post_id, thread.is_locked, thread.reply_count) == ("open", None, False, 1)
    assert count(AuditEntry) == 0


# --- threads and replies --------------------------------------------------------------------------


def test_replies_nest_under_the_post_they_answer(crowd, sign_in):
    thread = _question(crowd)
    thread_id, opening_id = thread.id, thread.opening_post_id
    helper, asker = sign_in(crowd["helper"]), sign_in(crowd["asker"])

    first = helper.post(f"/t/{thread_id}/reply", data={"parent_id": opening_id, "body": "Use the test client."})
    assert first.status_code == 302
    first_id = int(location(first).rsplit("#post-", 1)[1])
    second = asker.post(f"/t/{thread_id}/reply", data={"parent_id": first_id, "body": "With fixtures?"})
    assert second.status_code == 302
    second_id = int(location(second).rsplit("#post-", 1)[1])
    third = helper.post(f"/t/{thread_id}/reply", data={"parent_id": opening_id, "body": "Or a browser."})
    third_id = int(location(third).rsplit("#post-", 1)[1])

    page = text(asker.get(f"/t/{thread_id}"))
    assert f"post-{first_id}" in enclosing_ids(page, f"post-{second_id}")
    assert f"post-{first_id}" not in enclosing_ids(page, f"post-{third_id}")
    assert refreshed(Post, second_id).parent_id == first_id


def test_quoting_prefills_the_reply_with_the_attributed_text(crowd, sign_in):
    thread = _question(crowd, body="Line one\nLine two")
    answer = services.reply(crowd["helper"], thread, thread.opening_post, "Try **pytest**.")
    thread_id, opening_id, answer_id = thread.id, thread.opening_post_id, answer.id
    member = sign_in(crowd["others"][0])

    quoted = member.get(f"/t/{thread_id}/reply?to={answer_id}&quote=1")
    assert quoted.status_code == 200
    body = html_lib.unescape(text(quoted))
    assert "> **Hal Helper** wrote:\n>\n> Try **pytest**." in body
    assert f'name="parent_id" type="hidden" value="{answer_id}"' in text(quoted)

    plain = html_lib.unescape(text(member.get(f"/t/{thread_id}/reply?to={opening_id}")))
    assert "wrote:" not in plain


def test_mentions_link_known_people_only(crowd, sign_in):
    thread = _question(crowd)
    thread_id, opening_id = thread.id, thread.opening_post_id
    member = sign_in(crowd["others"][0])

    response = member.post(
        f"/t/{thread_id}/reply", data={"parent_id": opening_id, "body": "Ask @helper or @nobody_here about it."}
    )
    assert response.status_code == 302
    page = text(member.get(f"/t/{thread_id}"))
    assert 'href="/people/helper"' in page
    assert "@nobody_here" in page
    assert "/people/nobody_here" not in page


def test_edits_keep_a_history_with_a_diff_visible_to_members_only(app, sign_in):
    author, reader, outsider = (make_user(name=n) for n in ("Ann Author", "Rita Reader", "Otto Outsider"))
    coordinator, invitee = make_user(name="Cora Coordinator"), make_user(name="Ivo Invitee")
    community = make_community(
        "inner-circle", visibility="private", coordinators=[coordinator], members=[author, reader]
    )
    add_membership(community, invitee, "invited")
    thread = services.create_thread(author, community, title="Notes", body="alpha\nbeta")
    post_id, thread_id = thread.opening_post_id, thread.id

    writer = sign_in(author)
    assert writer.post(f"/p/{post_id}/edit", data={"body": "alpha\ngamma"}).status_code == 302
    assert "Edited · history" in text(writer.get(f"/t/{thread_id}"))

    history = sign_in(reader).get(f"/p/{post_id}/history")
    assert history.status_code == 200
    page = text(history)
    assert "Version 2 (current)" in page and "Version 1" in page
    assert "-beta" in page and "+gamma" in page
    assert "+alpha" not in page and "-alpha" not in page  # an unchanged line is context, not a change
    for stranger in (outsider, invitee):
        assert sign_in(stranger).get(f"/p/{post_id}/history").status_code == 404


def test_a_removed_post_leaves_its_replies_in_place(crowd, sign_in):
    thread = _question(crowd)
    doomed = services.reply(crowd["helper"], thread, thread.opening_post, "A hasty answer.")
    child = services.reply(crowd["asker"], thread, doomed, "Could you explain?")
    thread_id, doomed_id, child_id = thread.id, doomed.id, child.id

    response = sign_in(crowd["helper"]).post(f"/p/{doomed_id}/delete")
    assert response.status_code == 302 and location(response) == f"/t/{thread_id}"

    page = text(sign_in(crowd["asker"]).get(f"/t/{thread_id}"))
    assert "Post removed." in page
    assert "A hasty answer." not in page
    assert "Could you explain?" in page
    assert f"post-{doomed_id}" in enclosing_ids(page, f"post-{child_id}")


def test_the_asker_accepts_and_unaccepts_an_answer(crowd, sign_in):
    thread = _question(crowd)
    services.reply(crowd["others"][0], thread, thread.opening_post, "A first guess.")
    answer = services.reply(crowd["helper"], thread, thread.opening_post, "Use the test client.")
    thread_id, opening_id, answer_id = thread.id, thread.opening_post_id, answer.id
    asker = sign_in(crowd["asker"])

    assert asker.post(f"/t/{thread_id}/accept", data={"post_id": answer_id}).status_code == 302
    assert refreshed(Thread, thread_id).status == "answered"
    page = text(asker.get(f"/t/{thread_id}"))
    assert ">Answered<" in page
    opening_at = page.index(f'id="post-{opening_id}"')
    accepted_at = page.index('id="accepted-h"')
    replies_at = page.index('id="replies-h"')
    assert opening_at < accepted_at < replies_at  # right under the question, above the replies
    accepted_section = page[accepted_at:replies_at]
    assert "Accepted answer" in accepted_section and "Use the test client." in accepted_section
    assert "A first guess." not in accepted_section

    assert asker.post(f"/t/{thread_id}/accept", data={"post_id": ""}).status_code == 302
    assert refreshed(Thread, thread_id).status == "open"
    page = text(asker.get(f"/t/{thread_id}"))
    assert 'id="accepted-h"' not in page
    assert ">Open<" in page and ">Answered<" not in page


def _article(page: str, post_id: int) -> str:
    """The markup of one reply's ``<article>`` on a thread page."""
    start = page.index(f'id="post-{post_id}"')
    return page[start : page.index("</article>", start)]


def test_replies_follow_every_change_and_each_viewers_rights(crowd, sign_in):
    """Each viewer sees the replies with their own actions; an edit, a rename, hiding and accepting
    show at once, and no reply's markup holds a CSRF token (the page's one action form does)."""
    thread = _question(crowd)
    answer = services.reply(crowd["helper"], thread, thread.opening_post, "Use the test client.")
    services.reply(crowd["others"][0], thread, answer, "Thanks, that helps.")
    thread_id, answer_id = thread.id, answer.id

    page = text(sign_in(crowd["others"][1]).get(f"/t/{thread_id}"))
    assert f'href="/p/{answer_id}/flag"' in _article(page, answer_id)
    assert f"/p/{answer_id}/edit" not in _article(page, answer_id) and "Accept this answer" not in page
    page = text(sign_in(crowd["others"][2]).get(f"/t/{thread_id}"))  # the same rights
    assert "Use the test client." in page

    own = text(sign_in(crowd["helper"]).get(f"/t/{thread_id}"))  # their own post
    assert f'href="/p/{answer_id}/edit"' in _article(own, answer_id)
    assert f'formaction="/p/{answer_id}/delete"' in _article(own, answer_id)
    assert f"/p/{answer_id}/flag" not in _article(own, answer_id)
    asker_page = text(sign_in(crowd["asker"]).get(f"/t/{thread_id}"))
    assert f'name="post_id" value="{answer_id}"' in _article(asker_page, answer_id)
    for markup in (own, asker_page):
        assert all("csrf_token" not in _article(markup, p) for p in (answer_id, answer_id + 1))
        action_form = re.search(r'<form id="post-action-form" method="post" hidden>(.*?)</form>', markup, re.S)
        assert action_form and 'name="csrf_token"' in action_form.group(1)

    reader = sign_in(crowd["others"][1])
    helper = db.session.get(type(crowd["helper"]), crowd["helper"].id)
    helper.display_name = "Hal the Helpful"
    db.session.commit()
    article = _article(text(reader.get(f"/t/{thread_id}")), answer_id)
    assert "Hal the Helpful" in article and "Hal Helper" not in article
    assert sign_in(crowd["asker"]).post(f"/t/{thread_id}/accept", data={"post_id": answer_id}).status_code == 302
    assert "Accepted answer" in _article(text(reader.get(f"/t/{thread_id}")), answer_id)
    assert sign_in(crowd["helper"]).post(f"/p/{answer_id}/edit", data={"body": "Use pytest-flask."}).status_code == 302
    article = _article(text(reader.get(f"/t/{thread_id}")), answer_id)
    assert "Use pytest-flask." in article and "Use the test client." not in article
    assert "Edited · history" in article

    db.session.get(Post, answer_id).is_hidden = True
    db.session.commit()
    article = _article(text(reader.get(f"/t/{thread_id}")), answer_id)
    assert "Post hidden by a coordinator" in article and "pytest-flask" not in article


def test_thread_rows_follow_every_change(crowd, sign_in):
    """A reply, a retitle, a new status, a renamed author and a pin show in the thread list's row on the
    next view."""
    thread = _question(crowd, title="Flaky test runs", tags="ci")
    thread_id = thread.id
    member = sign_in(crowd["others"][0])

    def row():
        page = text(member.get("/c/guild/threads"))
        start = page.index(f'href="/t/{thread_id}"')
        return page[start : page.index("</li>\n", start)]

    assert "Flaky test runs" in row() and "0 replies" in row() and ">ci<" in row()
    services.reply(crowd["helper"], refreshed(Thread, thread_id), refreshed(Thread, thread_id).opening_post, "Retry.")
    assert "1 reply" in row()
    stored, asker = refreshed(Thread, thread_id), db.session.get(type(crowd["asker"]), crowd["asker"].id)
    stored.title, stored.status, stored.is_pinned, asker.display_name = "Flaky CI runs", "closed", True, "Ada A."
    db.session.commit()
    assert "Flaky CI runs" in row() and "Closed" in row() and "Pinned" in row() and "by Ada A." in row()


# --- coordinator tools ---------------------------------------------------------------------------


def test_coordinator_actions_are_audited(crowd, sign_in):
    target = make_community("sister-guild", coordinators=[crowd["coordinator"]])
    foreign = make_community("foreign-guild", coordinators=[crowd["outsider"]])
    thread = _question(crowd)
    thread_id, coordinator_id, target_id, foreign_id = thread.id, crowd["coordinator"].id, target.id, foreign.id
    coordinator = sign_in(crowd["coordinator"])

    for action in ("pin", "lock", "close", "reopen"):
        assert coordinator.post(f"/t/{thread_id}/moderate", data={"action": action}).status_code == 302, action
    thread = refreshed(Thread, thread_id)
    assert (thread.is_pinned, thread.is_locked, thread.status) == (True, True, "open")
    for bad, message in (
        ({"kind": "rant", "priority": "1"}, "Choose what kind of thread this is."),
        ({"kind": "problem", "priority": "9"}, "Choose a priority"),
    ):
        refused = coordinator.post(f"/t/{thread_id}/classify", data=bad)
        assert refused.status_code == 302, bad
        assert message in text(coordinator.get(location(refused))), bad
        assert (refreshed(Thread, thread_id).kind, refreshed(Thread, thread_id).priority) == ("question", 2)
    assert coordinator.post(f"/t/{thread_id}/classify", data={"kind": "problem", "priority": "1"}).status_code == 302
    assert (refreshed(Thread, thread_id).kind, refreshed(Thread, thread_id).priority) == ("problem", 1)

    move_page = text(coordinator.get(f"/t/{thread_id}/move"))
    assert "Sister Guild" in move_page and "Foreign Guild" not in move_page
    refused = coordinator.post(f"/t/{thread_id}/move", data={"target": foreign_id})
    assert refused.status_code == 403  # the error page, with the reason
    assert "You can only move threads to communities you coordinate." in text(refused)
    assert refreshed(Thread, thread_id).community_id == crowd["community"].id

    moved = coordinator.post(f"/t/{thread_id}/move", data={"target": target_id})
    assert moved.status_code == 302
    assert refreshed(Thread, thread_id).community_id == target_id

    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == [
        "thread.pin",
        "thread.lock",
        "thread.close",
        "thread.reopen",
        "thread.classify",
        "thread.move",
        "thread.move",
    ]
    assert {(e.actor_id, e.target_type, e.target_id) for e in entries} == {(coordinator_id, "thread", thread_id)}
    assert entries[4].detail == "question/2 → problem/1"
    assert {e.detail for e in entries[5:]} == {"to sister-guild", "from guild"}


def test_the_triage_queue_orders_by_priority_then_age_and_filters(crowd, sign_in):
    now = utcnow()
    old_urgent = _question(crowd, title="Old urgent", priority=1)
    old_replied = _question(crowd, title="Old replied", priority=2)
    services.reply(crowd["helper"], old_replied, old_replied.opening_post, "An old answer.")
    fresh_replied = _question(crowd, title="Fresh replied", priority=2)
    services.reply(crowd["helper"], fresh_replied, fresh_replied.opening_post, "A new answer.")
    fresh_later = _question(crowd, title="Fresh whenever", priority=3)
    closed = _question(crowd, title="Closed urgent", priority=1)
    closed.status = "closed"
    for thread, days in ((old_urgent, 3), (old_replied, 3), (closed, 5)):
        thread.created_at = thread.last_activity_at = now - timedelta(days=days)
    fresh_replied.created_at = fresh_replied.last_activity_at = now - timedelta(hours=1)
    db.session.commit()
    ids = {t.title: t.id for t in (old_urgent, old_replied, fresh_replied, fresh_later, closed)}
    coordinator = sign_in(crowd["coordinator"])

    def queue(view):
        response = coordinator.get(f"/c/guild/triage?view={view}")
        assert response.status_code == 200
        return thread_ids(text(response))

    assert queue("all") == [ids["Old urgent"], ids["Old replied"], ids["Fresh replied"], ids["Fresh whenever"]]
    assert queue("no-reply") == [ids["Old urgent"], ids["Fresh whenever"]]
    assert queue("stale") == [ids["Old urgent"], ids["Old replied"]]


def test_the_thread_list_filters_and_sorts(crowd, sign_in):
    start = utcnow() - timedelta(days=1)
    alpha = _question(crowd, title="Alpha", kind="question", priority=1, tags="python")
    services.reply(crowd["helper"], alpha, alpha.opening_post, "Answer to alpha.")
    bravo = _question(crowd, title="Bravo", kind="problem", priority=2, tags="flask")
    charlie = _question(crowd, title="Charlie", kind="idea", priority=3)
    delta = _question(crowd, title="Delta", kind="question", priority=2, tags="python, flask")
    accepted = services.reply(crowd["helper"], delta, delta.opening_post, "Answer to delta.")
    services.set_accepted(crowd["asker"], delta, accepted)
    charlie.status = "closed"
    # Created in alphabetical order; last active: Alpha, Delta, Charlie, Bravo.
    for minutes, thread, active in ((0, alpha, 50), (10, bravo, 10), (20, charlie, 20), (30, delta, 40)):
        thread.created_at = start + timedelta(minutes=minutes)
        thread.last_activity_at = start + timedelta(minutes=active)
    db.session.commit()
    ids = {t.title: t.id for t in (alpha, bravo, charlie, delta)}
    member = sign_in(crowd["others"][0])

    def listed(query):
        response = member.get(f"/c/guild/threads?{query}")
        assert response.status_code == 200
        titles = {i: title for title, i in ids.items()}
        return [titles[i] for i in thread_ids(text(response))]

    assert listed("sort=latest") == ["Alpha", "Delta", "Charlie", "Bravo"]
    assert listed("") == ["Alpha", "Delta", "Charlie", "Bravo"]
    assert listed("sort=newest") == ["Delta", "Charlie", "Bravo", "Alpha"]
    assert listed("sort=unanswered") == ["Charlie", "Bravo", "Alpha", "Delta"]
    assert listed("kind=question") == ["Alpha", "Delta"]
    assert listed("kind=problem") == ["Bravo"]
    assert listed("priority=2&sort=newest") == ["Delta", "Bravo"]
    assert listed("status=closed") == ["Charlie"]
    assert listed("status=answered") == ["Delta"]
    assert listed("status=open") == ["Alpha", "Bravo"]
    assert listed("tag=python") == ["Alpha", "Delta"]
    assert listed("tag=Python") == ["Alpha", "Delta"]  # typed as shown on the thread, or not
    assert listed("tag=flask&kind=problem") == ["Bravo"]
    assert listed("tag=nothing") == []


# --- flags ------------------------------------------------------------------------------------------


def _flag_row(page_html: str, post_id: int) -> str:
    """The table row of /account/flags about the post ``post_id``."""
    rows = [row for row in page_html.split("<tr>") if f'href="/p/{post_id}"' in row]
    assert len(rows) == 1, f"expected one row about post {post_id}, found {len(rows)}"
    return rows[0]


def test_flags_reach_the_coordinators_who_hide_or_dismiss(crowd, sign_in):
    thread = _question(crowd)
    rude = services.reply(crowd["helper"], thread, thread.opening_post, "Buy our product!")
    chatty = services.reply(crowd["others"][1], thread, thread.opening_post, "Slightly off topic.")
    thread_id, rude_id, chatty_id = thread.id, rude.id, chatty.id
    flagger, coordinator = sign_in(crowd["asker"]), sign_in(crowd["coordinator"])

    form = flagger.get(f"/p/{rude_id}/flag")
    assert form.status_code == 200
    assert 'value="community-2"' in text(form) and "No vendor pitches" in text(form)
    unchosen = flagger.post(f"/p/{rude_id}/flag", data={"guideline": "", "note": ""})
    assert unchosen.status_code == 400 and "Choose the guideline this post breaks." in text(unchosen)
    sent = flagger.post(f"/p/{rude_id}/flag", data={"guideline": "community-2", "note": "Pure spam"})
    assert sent.status_code == 302 and location(sent) == f"/p/{rude_id}"
    assert flagger.post(f"/p/{chatty_id}/flag", data={"guideline": "add-value", "note": ""}).status_code == 302
    assert "Waiting for a coordinator" in _flag_row(text(flagger.get("/account/flags")), rude_id)

    queue = text(coordinator.get("/c/guild/flags"))
    assert "No vendor pitches" in queue and "Pure spam" in queue and "Buy our product!" in queue
    assert "Add value" in queue and "Slightly off topic." in queue
    rude_flag = db.session.scalar(select(Flag.id).where(Flag.post_id == rude_id))
    chatty_flag = db.session.scalar(select(Flag.id).where(Flag.post_id == chatty_id))

    hidden = coordinator.post(f"/flags/{rude_flag}/decide", data={"decision": "hide"})
    assert hidden.status_code == 302 and location(hidden) == "/c/guild/flags"
    assert coordinator.post(f"/flags/{chatty_flag}/decide", data={"decision": "dismiss"}).status_code == 302
    assert "No open flags." in text(coordinator.get("/c/guild/flags"))

    page = text(sign_in(crowd["others"][2]).get(f"/t/{thread_id}"))
    assert "Post hidden by a coordinator for breaking the guidelines." in page
    assert "Buy our product!" not in page
    assert "Slightly off topic." in page

    outcomes = text(flagger.get("/account/flags"))
    assert "hidden" in _flag_row(outcomes, rude_id) and "No vendor pitches" in _flag_row(outcomes, rude_id)
    assert "Dismissed" in _flag_row(outcomes, chatty_id)
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "flag.hide",
        "flag.dismiss",
    ]


# --- privacy ---------------------------------------------------------------------------------------


def test_the_home_page_lists_threads_of_my_active_communities_only(app, sign_in):
    reader, coordinator = make_user(name="Rita Reader"), make_user(name="Cora Coordinator")
    admin = make_user(name="Ada Admin", admin=True)
    mine = make_community("mine", visibility="restricted", coordinators=[coordinator], members=[reader])
    public = make_community("public", visibility="open", coordinators=[coordinator])
    asked = make_community("asked", visibility="restricted", coordinators=[coordinator])
    secret = make_community("secret", visibility="private", coordinators=[coordinator])
    sponsored = make_community("sponsored", visibility="private", coordinators=[coordinator], sponsors=[reader])
    add_membership(asked, reader, "pending")
    add_membership(secret, reader, "invited")
    for community in (mine, public, asked, secret, sponsored):
        services.create_thread(coordinator, community, title=f"Thread in {community.slug}", body="News.")

    home = text(sign_in(reader).get("/"))
    assert "Thread in mine" in home
    for slug in ("public", "asked", "secret", "sponsored"):
        assert f"Thread in {slug}" not in home, slug
    assert "Thread in" not in text(sign_in(admin).get("/"))  # admins read everything, but are members of nothing


def test_a_removed_member_loses_the_threads_and_flags_of_the_community(client, login_as, sign_in):
    reader, coordinator, helper = (make_user(name=n) for n in ("Rita Reader", "Cora Coordinator", "Hal Helper"))
    communities = {
        visibility: make_community(
            f"{visibility}-club", visibility=visibility, coordinators=[coordinator], members=[reader, helper]
        )
        for visibility in VISIBILITIES
    }
    threads, flagged = {}, {}
    for visibility, community in communities.items():
        thread = services.create_thread(coordinator, community, title=f"News of the {visibility} club", body="Hello.")
        post = services.reply(helper, thread, thread.opening_post, "A post to flag.")
        services.flag_post(reader, post, "add-value")
        threads[visibility], flagged[visibility] = thread.id, post.id
    user_id = reader.id
    login_as(reader)  # through the login page, as in real life
    member, manager = client, sign_in(coordinator)

    home = text(member.get("/"))
    assert all(f"News of the {visibility} club" in home for visibility in VISIBILITIES)
    my_flags = text(member.get("/account/flags"))
    assert all(f'href="/p/{flagged[visibility]}"' in my_flags for visibility in VISIBILITIES)

    for visibility in VISIBILITIES:
        assert member.get(f"/t/{threads[visibility]}").status_code == 200
        removal = manager.post(f"/c/{visibility}-club/members/{user_id}/remove", data={"reason": ""})
        assert removal.status_code == 302

    home = text(member.get("/"))
    assert not any(f"News of the {visibility} club" in home for visibility in VISIBILITIES)
    assert member.get(f"/t/{threads['open']}").status_code == 200  # open communities stay readable
    for visibility in ("restricted", "private"):
        assert member.get(f"/t/{threads[visibility]}").status_code == 404, visibility
        assert member.get(f"/p/{flagged[visibility]}").status_code == 404, visibility
    my_flags = text(member.get("/account/flags"))
    assert f'href="/p/{flagged["open"]}"' in my_flags
    assert f'href="/p/{flagged["restricted"]}"' not in my_flags
    assert f'href="/p/{flagged["private"]}"' not in my_flags
