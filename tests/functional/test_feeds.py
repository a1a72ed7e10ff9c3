"""Atom feeds through the views (both backends): valid XML, the right entries, private content only with a token."""

import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from cop.accounts.models import User
from cop.communities.models import Membership
from cop.discussions import services as discussions
from cop.extensions import db
from tests.builders import make_community, make_user

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def world(app):
    people = {n: make_user(f"{n}@example.com", n.title()) for n in ("coord", "member", "outsider")}
    open_c = make_community("open-c", name="Open Guild", coordinators=[people["coord"]])
    private = make_community(
        "private-c",
        name="Private Circle",
        visibility="private",
        coordinators=[people["coord"]],
        members=[people["member"]],
    )
    restricted = make_community(
        "restricted-c",
        name="Restricted Guild",
        visibility="restricted",
        coordinators=[people["coord"]],
        members=[people["member"]],
    )
    discussions.create_thread(people["coord"], open_c, title="Open thread", body="Open **body**", tags="python")
    discussions.create_thread(
        people["coord"], private, title="CanaryPrivate thread", body="CanaryPrivateBody", tags="python"
    )
    discussions.create_thread(
        people["coord"], restricted, title="CanaryRestricted thread", body="CanaryRestrictedBody", tags="python"
    )
    return people


def _feed(client, path, status=200):
    response = client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code}"
    if status != 200:
        return None
    assert response.mimetype == "application/atom+xml"
    return ET.fromstring(response.data)  # raises on invalid XML


def _titles(root):
    return [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]


def _token(user):
    return db.session.get(User, user.id).feed_token


def test_open_community_feed_anonymous(client, world):
    root = _feed(client, "/c/open-c/feed.atom")
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}title").text == "Open Guild · cop"
    assert _titles(root) == ["Open thread"]
    entry = root.find(f"{ATOM}entry")
    assert "<strong>body</strong>" in entry.find(f"{ATOM}content").text
    assert entry.find(f"{ATOM}link").get("href").startswith("http://localhost/t/")
    assert entry.find(f"{ATOM}category").get("term") == "python"


@pytest.mark.parametrize("slug", ["private-c", "restricted-c", "no-such-community"])
def test_closed_community_feeds_are_404_without_a_token(client, login_as, world, slug):
    assert client.get(f"/c/{slug}/feed.atom").status_code == 404
    login_as(world["outsider"])
    assert client.get(f"/c/{slug}/feed.atom").status_code == 404
    outsider_token = _token(world["outsider"])
    assert client.get(f"/c/{slug}/feed.atom?token={outsider_token}").status_code == 404


def test_member_token_reads_private_feed_without_a_session(client, world):
    token = _token(world["member"])
    root = _feed(client, f"/c/private-c/feed.atom?token={token}")
    assert _titles(root) == ["CanaryPrivate thread"]
    assert "CanaryPrivateBody" in root.find(f"{ATOM}entry").find(f"{ATOM}content").text
    # The token read the feed; it did not log anyone in.
    assert client.get("/").status_code == 302


def test_tag_feed_respects_visibility(client, world):
    anonymous = _feed(client, "/tags/python/feed.atom")
    assert _titles(anonymous) == ["Open thread"]
    outsider = _feed(client, f"/tags/python/feed.atom?token={_token(world['outsider'])}")
    assert _titles(outsider) == ["Open thread"]
    member = _feed(client, f"/tags/python/feed.atom?token={_token(world['member'])}")
    assert sorted(_titles(member)) == ["CanaryPrivate thread", "CanaryRestricted thread", "Open thread"]
    _feed(client, "/tags/no-such-tag/feed.atom", status=404)


def test_session_user_reads_feeds_as_themselves(client, login_as, world):
    login_as(world["member"])
    assert _titles(_feed(client, "/c/private-c/feed.atom")) == ["CanaryPrivate thread"]


@pytest.mark.parametrize(
    "path",
    [
        "/c/open-c/feed.atom",
        "/tags/python/feed.atom",
        "/search/feed.atom?q=x",
        "/c/open-c/meetings.ics",
        "/account/meetings.ics",
    ],
)
@pytest.mark.parametrize("token", ["made-up", ""])
def test_invalid_token_is_a_404_for_every_feed(client, world, path, token):
    """One answer for Atom and iCalendar feeds: a token of no enabled account is a 404, even for open
    content an anonymous reader would get (the address stops existing; no silent fallback)."""
    url = f"{path}{'&' if '?' in path else '?'}token={token}"
    assert client.get(url).status_code == 404


def test_reset_token_invalidates_the_old_one(client, login_as, world):
    old = _token(world["member"])
    login_as(world["member"])
    page = client.get("/account/profile").get_data(as_text=True)
    assert f"/c/private-c/feed.atom?token={old}" in page
    assert client.post("/account/feed-token/reset", csrf=False).status_code == 400
    assert _token(world["member"]) == old
    response = client.post("/account/feed-token/reset")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/profile#feeds")
    db.session.expire_all()
    new = _token(world["member"])
    assert new and new != old
    client.post("/logout")
    assert client.get(f"/c/private-c/feed.atom?token={old}").status_code == 404
    assert _titles(_feed(client, f"/c/private-c/feed.atom?token={new}")) == ["CanaryPrivate thread"]


def test_account_without_a_token_gets_one_on_request(client, login_as, world):
    user = db.session.get(User, world["outsider"].id)
    user.feed_token = None
    db.session.commit()
    login_as(user)
    assert "Create my feed addresses" in client.get("/account/profile").get_data(as_text=True)
    assert "Create your personal feed addresses" in client.get("/c/open-c/meetings").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).feed_token is None  # pages never write it on a GET
    client.post("/account/feed-token/reset")
    db.session.expire_all()
    assert db.session.get(User, user.id).feed_token


def test_removed_member_token_stops_showing_the_community(client, world):
    token = _token(world["member"])
    assert client.get(f"/c/private-c/feed.atom?token={token}").status_code == 200
    membership = db.session.scalar(
        select(Membership).where(
            Membership.user_id == world["member"].id,
            Membership.community_id
            == db.session.scalar(select(discussions.Community.id).where(discussions.Community.slug == "private-c")),
        )
    )
    membership.status = "removed"
    db.session.commit()
    assert client.get(f"/c/private-c/feed.atom?token={token}").status_code == 404
    assert "CanaryPrivate" not in client.get(f"/tags/python/feed.atom?token={token}").get_data(as_text=True)


def test_disabled_user_token_is_refused(client, world):
    token = _token(world["member"])
    user = db.session.get(User, world["member"].id)
    user.is_disabled = True
    db.session.commit()
    assert client.get(f"/c/private-c/feed.atom?token={token}").status_code == 404
    assert client.get(f"/tags/python/feed.atom?token={token}").status_code == 404


def test_control_characters_are_stripped(client, world, backend):
    nul = "\x00" if backend == "sqlite" else ""  # PostgreSQL refuses NUL in text outright
    open_c = db.session.scalar(select(discussions.Community).where(discussions.Community.slug == "open-c"))
    thread = discussions.create_thread(world["coord"], open_c, title="Bell", body="ok", tags="python")
    thread.title = f"Bell\x07 and{nul} escape\x1b tab\tend\ufffe"
    thread.opening_post.body_html = f"<p>nul{nul} here\x0c</p>"
    db.session.commit()
    root = _feed(client, "/c/open-c/feed.atom")
    titles = _titles(root)
    assert "Bell and escape tab\tend" in titles
    assert any(e.find(f"{ATOM}content").text == "<p>nul here</p>" for e in root.findall(f"{ATOM}entry"))


def test_deleted_threads_and_hidden_opening_posts(client, world):
    open_c = db.session.scalar(select(discussions.Community).where(discussions.Community.slug == "open-c"))
    gone = discussions.create_thread(world["coord"], open_c, title="Gone thread", body="x")
    hidden = discussions.create_thread(world["coord"], open_c, title="Hidden opening", body="HiddenBodyText")
    gone.is_deleted = True
    hidden.opening_post.is_hidden = True
    db.session.commit()
    data = client.get("/c/open-c/feed.atom").get_data(as_text=True)
    assert "Gone thread" not in data and "Hidden opening" in data and "HiddenBodyText" not in data


def test_pages_link_to_their_feeds(client, login_as, world):
    login_as(world["member"])
    token = _token(world["member"])
    community_page = client.get("/c/private-c").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in community_page
    assert f"/c/private-c/feed.atom?token={token}" in community_page
    open_list = client.get("/c/open-c/threads").get_data(as_text=True)
    assert "/c/open-c/feed.atom" in open_list and "token=" not in open_list  # open feeds need no secret
    assert f"/tags/python/feed.atom?token={token}" in client.get("/tags/python").get_data(as_text=True)


def test_search_feed(client, world):
    member = _feed(client, f"/search/feed.atom?q=canaryprivatebody&token={_token(world['member'])}")
    assert _titles(member) == ["CanaryPrivate thread"]
    outsider = _feed(client, f"/search/feed.atom?q=canaryprivatebody&token={_token(world['outsider'])}")
    assert _titles(outsider) == []
    assert _titles(_feed(client, "/search/feed.atom?q=canaryprivatebody")) == []  # anonymous: empty, valid
    assert _titles(_feed(client, "/search/feed.atom")) == []
    assert client.get("/search/feed.atom?q=x&token=bad").status_code == 404


def test_search_feed_control_characters_in_query(client, world):
    root = _feed(client, f"/search/feed.atom?q=canaryprivatebody%00%07&token={_token(world['member'])}")
    assert _titles(root) == ["CanaryPrivate thread"]
