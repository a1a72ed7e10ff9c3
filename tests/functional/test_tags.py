"""Tag pages, watching, suggestions and the administrators' rename and merge, through the views (both backends)."""

import re

import pytest
from sqlalchemy import select

from cop.admin.models import AuditEntry
from cop.communities.models import Community
from cop.discussions import services as discussions
from cop.extensions import db
from cop.library import services as library
from cop.tags.models import Tag, TagWatch, get_or_create_tags
from tests.builders import add_membership, make_community, make_user

CANARIES = (
    "CanaryPrivateThread",
    "CanaryRestrictedThread",
    "CanaryPrivateResource",
    "CanaryRestrictedResource",
    "CanaryPrivateCommunity",
    "canary-private-domain",
)


@pytest.fixture
def world(app):
    """#python is used in an open, a restricted and a private community (threads, resources, domains),
    and by people; private and restricted titles carry canary words."""
    people = {
        n: make_user(f"{n}@example.com", n.title())
        for n in ("coord", "member", "outsider", "removed", "other_coord", "expert")
    }
    people["admin"] = make_user("admin@example.com", "Admin", admin=True)
    open_c = make_community("open-c", name="Open Guild", coordinators=[people["coord"]], members=[people["member"]])
    restricted = make_community(
        "restricted-c",
        name="Restricted Guild",
        visibility="restricted",
        coordinators=[people["coord"]],
        members=[people["member"]],
    )
    private = make_community(
        "private-c",
        name="CanaryPrivateCommunity",
        visibility="private",
        coordinators=[people["coord"]],
        members=[people["member"]],
    )
    add_membership(private, people["removed"], "removed")
    add_membership(restricted, people["removed"], "removed")
    make_community("other-c", coordinators=[people["other_coord"]])
    private.domain_tags = get_or_create_tags(["python", "canary-private-domain"])
    restricted.domain_tags = get_or_create_tags(["python"])
    people["expert"].expertise = get_or_create_tags(["python"])
    db.session.commit()
    discussions.create_thread(people["coord"], open_c, title="Open python question", body="x", tags="Python")
    discussions.create_thread(people["coord"], private, title="CanaryPrivateThread", body="x", tags="python")
    discussions.create_thread(people["coord"], restricted, title="CanaryRestrictedThread", body="x", tags="python")
    library.add_link(people["coord"], open_c, title="Open python link", url="https://example.com", tags="python")
    library.add_link(people["coord"], private, title="CanaryPrivateResource", url="https://example.com", tags="python")
    library.add_link(
        people["coord"], restricted, title="CanaryRestrictedResource", url="https://example.com", tags="python"
    )
    return people


def _page(client, path="/tags/python"):
    response = client.get(path)
    return response.status_code, response.get_data(as_text=True)


def _count_line(html, what):
    """The "N discussions" style summary count on a tag page."""
    match = re.search(r'href="#' + what + r'-h">(\d+) ', html)
    assert match, f"no {what} count"
    return int(match.group(1))


def test_anonymous_is_sent_to_log_in(client, world):
    response = client.get("/tags/python")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/tags/suggest?q=py").status_code == 302


@pytest.mark.parametrize("who", ["outsider", "removed", "other_coord"])
def test_outsiders_see_and_count_only_open_content(client, login_as, world, who):
    login_as(world[who])
    status, html = _page(client)
    assert status == 200
    for canary in CANARIES:
        assert canary not in html, f"{canary} leaked to {who}"
    assert "Open python question" in html and "Open python link" in html
    assert _count_line(html, "threads") == 1
    assert _count_line(html, "resources") == 1
    assert _count_line(html, "communities") == 1  # the restricted one is listed (its domain is public)
    assert _count_line(html, "people") == 1
    # A tag used only inside the private community does not exist for them.
    assert client.get("/tags/canary-private-domain").status_code == 404
    assert client.get("/tags/suggest?q=canary").get_json() == {"tags": []}
    index = client.get("/tags").get_data(as_text=True)
    assert "canary-private-domain" not in index


def test_member_sees_everything_with_counts(client, login_as, world):
    login_as(world["member"])
    status, html = _page(client)
    assert status == 200
    for canary in CANARIES[:5]:
        assert canary in html
    assert _count_line(html, "threads") == 3 and _count_line(html, "resources") == 3
    assert _count_line(html, "communities") == 2
    assert client.get("/tags/canary-private-domain").status_code == 200


def test_a_tag_pages_facts_are_computed_once_per_request_and_anew_for_the_next(client, login_as, world, monkeypatch):
    """The view reads a tag's facts twice (``visible_tag_or_none`` for the 404, then ``tag_page``): one
    computation per request, and none kept for the next request, which sees a new thread."""
    from cop.tags import services

    computed = []
    compute = services._compute_facts
    monkeypatch.setattr(services, "_compute_facts", lambda tag_id: computed.append(tag_id) or compute(tag_id))
    login_as(world["member"])
    status, html = _page(client)
    assert status == 200 and _count_line(html, "threads") == 3
    assert len(computed) == 1
    open_c = db.session.scalar(select(Community).where(Community.slug == "open-c"))
    discussions.create_thread(world["coord"], open_c, title="Another python question", body="x", tags="python")
    status, html = _page(client)
    assert len(computed) == 2 and _count_line(html, "threads") == 4 and "Another python question" in html


def test_unknown_empty_and_odd_tag_names(client, login_as, world):
    login_as(world["member"])
    assert client.get("/tags/nothing-here").status_code == 404
    assert client.get("/tags/%20").status_code == 404
    redirect = client.get("/tags/PYTHON")
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith("/tags/python")


def test_tag_chips_link_to_the_tag_page(client, login_as, world):
    login_as(world["member"])
    html = client.get("/c/open-c/threads").get_data(as_text=True)
    assert 'href="/tags/python"' in html
    thread = db.session.scalar(select(discussions.Thread).where(discussions.Thread.title == "Open python question"))
    assert 'href="/tags/python"' in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert 'href="/tags/python"' in client.get("/people/expert").get_data(as_text=True)


def test_many_threads_are_capped_with_more_links(client, login_as, world):
    open_c = db.session.scalar(select(discussions.Community).where(discussions.Community.slug == "open-c"))
    for n in range(12):
        discussions.create_thread(world["coord"], open_c, title=f"Extra {n}", body="x", tags="python")
    login_as(world["outsider"])
    status, html = _page(client)
    assert _count_line(html, "threads") == 13
    assert html.count('class="thread-row') == 10
    assert "/c/open-c/threads?tag=python" in html


def test_watch_and_unwatch(client, login_as, world):
    login_as(world["outsider"])
    assert "Watch #python" in _page(client)[1]
    response = client.post("/tags/python/watch")
    assert response.status_code == 302
    assert db.session.scalar(select(TagWatch).where(TagWatch.user_id == world["outsider"].id)) is not None
    assert client.post("/tags/python/watch").status_code == 302  # twice is fine
    assert "Stop watching #python" in _page(client)[1]
    profile = client.get("/people/outsider").get_data(as_text=True)
    assert "Tags you watch" in profile and 'href="/tags/python"' in profile
    assert "Tags you watch" not in client.get("/people/member").get_data(as_text=True)
    response = client.post("/tags/python/unwatch", data={"back": "profile"})
    assert response.headers["Location"].endswith("/people/outsider")
    assert db.session.scalar(select(TagWatch)) is None
    # Without a CSRF token nothing happens.
    assert client.post("/tags/python/watch", csrf=False).status_code == 400
    assert db.session.scalar(select(TagWatch)) is None
    # A tag the user cannot see cannot be watched.
    assert client.post("/tags/canary-private-domain/watch").status_code == 404


def test_suggest_json(client, login_as, world):
    login_as(world["member"])
    response = client.get("/tags/suggest?q=flask,%20PY")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"tags": ["python"]}
    assert client.get("/tags/suggest?q=").get_json() == {"tags": []}
    assert client.get("/tags/suggest?q=canary").get_json() == {"tags": ["canary-private-domain"]}


def test_tag_inputs_are_marked_for_autocomplete(client, login_as, world):
    login_as(world["member"])
    for path in ("/c/open-c/threads/new", "/account/profile", "/c/open-c/library/new/link"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-tag-input="/tags/suggest"' in html, path
    assert 'src="/static/tags.js" defer' in html


def test_admin_tag_page_and_403_for_others(client, login_as, world):
    login_as(world["coord"])
    assert client.get("/admin/tags").status_code == 403
    python = db.session.scalar(select(Tag).where(Tag.name == "python"))
    assert client.post(f"/admin/tags/{python.id}/rename", data={"name": "x"}).status_code == 403
    assert client.post(f"/admin/tags/{python.id}/merge", data={"target": "canary-private-domain"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Tag, python.id).name == "python"


def test_admin_rename_and_merge(client, login_as, world):
    login_as(world["admin"])
    html = client.get("/admin/tags?q=pyth").get_data(as_text=True)
    assert "python" in html and "canary-private-domain" not in html
    python = db.session.scalar(select(Tag).where(Tag.name == "python"))
    python_id = python.id

    response = client.post(f"/admin/tags/{python_id}/rename", data={"name": "  Python 3  "})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Tag, python_id).name == "python-3"

    bad = client.post(f"/admin/tags/{python_id}/rename", data={"name": "%%%"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "letters or digits" in page
    assert f'id="rename-{python_id}" name="name" value="%%%"' in page  # the form back with what was typed

    # Renaming to an existing name is a merge, and the page says so.
    member = db.session.get(type(world["member"]), world["member"].id)
    member.expertise = get_or_create_tags(["python-3", "py"])
    db.session.commit()
    py_id = db.session.scalar(select(Tag.id).where(Tag.name == "py"))
    response = client.post(f"/admin/tags/{python_id}/rename", data={"name": "PY"}, follow_redirects=True)
    assert "was merged into it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Tag, python_id) is None
    assert [t.name for t in db.session.get(type(member), member.id).expertise] == ["py"]

    unknown = client.post(f"/admin/tags/{py_id}/merge", data={"target": "no-such-tag"})
    page = unknown.get_data(as_text=True)
    assert unknown.status_code == 400 and "no tag by that name" in page
    assert f'id="merge-{py_id}" name="target" value="no-such-tag"' in page
    itself = client.post(f"/admin/tags/{py_id}/merge", data={"target": "py"})
    assert itself.status_code == 400
    canary_id = db.session.scalar(select(Tag.id).where(Tag.name == "canary-private-domain"))
    assert client.post(f"/admin/tags/{canary_id}/merge", data={"target": "py"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tag, canary_id) is None
    actions = [
        e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)) if e.action.startswith("tag.")
    ]
    assert actions == ["tag.rename", "tag.merge", "tag.merge"]
    assert "tag.merge" in client.get("/admin/audit?action=tag.merge").get_data(as_text=True)


def test_merge_through_views_with_overlapping_rows(client, login_as, world):
    """Both tags on the same thread, resource, person, community and watch: no duplicate key on either backend."""
    coord = world["coord"]
    open_c = db.session.scalar(select(discussions.Community).where(discussions.Community.slug == "open-c"))
    discussions.create_thread(coord, open_c, title="Both", body="x", tags="python, py")
    library.add_link(coord, open_c, title="Both", url="https://example.com/x", tags="python, py")
    open_c.domain_tags = get_or_create_tags(["python", "py"])
    world["expert"].expertise = get_or_create_tags(["python", "py"])
    db.session.commit()
    login_as(world["expert"])
    client.post("/tags/python/watch")
    client.post("/tags/py/watch")
    client.post("/logout")
    login_as(world["admin"])
    python_id = db.session.scalar(select(Tag.id).where(Tag.name == "python"))
    assert client.post(f"/admin/tags/{python_id}/merge", data={"target": "py"}).status_code == 302
    status, html = _page(client, "/tags/py")
    assert status == 200 and _count_line(html, "threads") == 4
