"""Tag services against a real database: visibility-respecting pages and counts, suggestions, rename and merge."""

import pytest
from sqlalchemy import func, select

from cop.accounts.models import User, user_expertise
from cop.admin.models import AuditEntry
from cop.communities.models import community_domain_tags
from cop.discussions import services as discussions
from cop.discussions.models import thread_tags
from cop.errors import DomainError
from cop.extensions import db
from cop.library import services as library
from cop.library.models import resource_tags
from cop.tags import services
from cop.tags.models import Tag, TagWatch, get_or_create_tags
from tests.builders import add_membership, make_community, make_user


@pytest.fixture
def world(app):
    """An open and a private community, both using #python; the private one's coordinator and an outsider."""
    people = {n: make_user(f"{n}@example.com", n.title()) for n in ("coord", "insider", "outsider", "admin")}
    people["admin"].is_admin = True
    open_c = make_community("open-c", coordinators=[people["coord"]])
    private = make_community(
        "secret-c", visibility="private", coordinators=[people["coord"]], members=[people["insider"]]
    )
    restricted = make_community("restricted-c", visibility="restricted", coordinators=[people["coord"]])
    private.domain_tags = get_or_create_tags(["python", "canaryprivatedomain"])
    restricted.domain_tags = get_or_create_tags(["python"])
    db.session.commit()
    discussions.create_thread(people["coord"], open_c, title="Open python thread", body="hi", tags="python")
    discussions.create_thread(people["coord"], private, title="Private canary", body="hi", tags="python, canarytag")
    discussions.create_thread(people["coord"], restricted, title="Restricted canary", body="hi", tags="python")
    library.add_link(people["coord"], private, title="Private link", url="https://example.com", tags="python")
    library.add_link(people["coord"], open_c, title="Open link", url="https://example.com", tags="python")
    return people, open_c, private, restricted


def _python():
    return db.session.scalar(select(Tag).where(Tag.name == "python"))


def test_tag_page_counts_respect_visibility(world):
    people, open_c, private, restricted = world
    tag = _python()
    outsider = services.tag_page(people["outsider"], tag)
    assert [t.title for t in outsider.threads.items] == ["Open python thread"]
    assert (outsider.threads.total, outsider.resources.total) == (1, 1)
    # Restricted communities are listed (name, domain) but their content is not readable.
    assert outsider.communities.total == 1 and [c.slug for c in outsider.communities.items] == ["restricted-c"]
    assert [(c.slug, n) for c, n in outsider.threads.by_community] == [("open-c", 1)]

    insider = services.tag_page(people["insider"], tag)
    assert insider.threads.total == 2 and insider.resources.total == 2
    assert {c.slug for c in insider.communities.items} == {"secret-c", "restricted-c"}

    admin = services.tag_page(people["admin"], tag)
    assert admin.threads.total == 3


def test_tags_only_used_in_private_content_are_unknown_to_outsiders(world):
    people = world[0]
    assert services.visible_tag_or_none(people["outsider"], "canarytag") is None
    assert services.visible_tag_or_none(people["outsider"], "canaryprivatedomain") is None
    assert services.visible_tag_or_none(people["insider"], "canarytag").name == "canarytag"
    assert services.visible_tag_or_none(people["outsider"], "Python").name == "python"
    outsider_names = {t.name for t, _ in services.popular_tags(people["outsider"])}
    assert "python" in outsider_names and not outsider_names & {"canarytag", "canaryprivatedomain"}


def test_popular_counts_are_per_viewer(world):
    people = world[0]
    counts = dict((t.name, n) for t, n in services.popular_tags(people["outsider"]))
    # open thread + open link + restricted community's domain
    assert counts["python"] == 3
    insider = dict((t.name, n) for t, n in services.popular_tags(people["insider"]))
    # + private thread + private link + private domain (restricted thread stays hidden: not a member)
    assert insider["python"] == 6


def test_people_section_skips_disabled_accounts(world):
    people = world[0]
    people["insider"].expertise = get_or_create_tags(["python"])
    people["outsider"].expertise = get_or_create_tags(["python"])
    people["outsider"].is_disabled = True
    db.session.commit()
    page = services.tag_page(people["coord"], _python())
    assert [p.handle for p in page.people.items] == ["insider"] and page.people.total == 1


def test_suggest_prefix_most_used_first_names_only(world):
    people = world[0]
    get_or_create_tags(["pytest"])  # exists but unused: not suggested
    people["outsider"].expertise = get_or_create_tags(["pyramid"])
    db.session.commit()
    assert services.suggest(people["outsider"], "flask, Py") == ["python", "pyramid"]
    assert services.suggest(people["outsider"], "") == []
    assert services.suggest(people["outsider"], "canary") == []
    assert services.suggest(people["insider"], "canary") == ["canaryprivatedomain", "canarytag"]
    # "_" is not a wildcard
    get_or_create_tags(["a_b"])
    people["outsider"].expertise = get_or_create_tags(["axb", "a_b"])
    db.session.commit()
    assert services.suggest(people["outsider"], "a_") == ["a_b"]


def test_watch_is_idempotent(world):
    people = world[0]
    tag = _python()
    services.watch(people["outsider"], tag)
    services.watch(people["outsider"], tag)
    assert services.is_watching(people["outsider"], tag)
    assert [t.name for t in services.watched_tags(people["outsider"])] == ["python"]
    services.unwatch(people["outsider"], tag)
    services.unwatch(people["outsider"], tag)
    assert services.watched_tags(people["outsider"]) == []


def test_rename_normalises_and_is_audited(world):
    people = world[0]
    tag, merged = services.rename_tag(people["admin"], _python(), "  Python 3 ")
    assert (tag.name, merged) == ("python-3", False)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "tag.rename"))
    assert entry.detail == "python → python-3" and entry.actor_id == people["admin"].id
    with pytest.raises(DomainError):
        services.rename_tag(people["admin"], tag, "!!!")
    with pytest.raises(DomainError):
        services.rename_tag(people["admin"], tag, "Python-3")


def _rows(table, tag_id):
    return db.session.scalar(select(func.count()).select_from(table).where(table.c.tag_id == tag_id))


def test_merge_repoints_everything_without_duplicates(world):
    people, open_c, private, restricted = world
    source = _python()
    target = get_or_create_tags(["py"])[0]
    db.session.commit()
    # Things tagged with both: the merge must keep one row each, never collide.
    thread = discussions.create_thread(people["coord"], open_c, title="Both", body="x", tags="python, py")
    link = library.add_link(people["coord"], open_c, title="Both link", url="https://example.com/b", tags="py, python")
    people["insider"].expertise = get_or_create_tags(["python", "py"])
    people["outsider"].expertise = get_or_create_tags(["python"])
    private.domain_tags = get_or_create_tags(["python", "py"])
    db.session.commit()
    services.watch(people["insider"], source)
    services.watch(people["insider"], target)
    services.watch(people["outsider"], source)
    source_id, target_id = source.id, target.id

    result, merged = services.rename_tag(people["admin"], source, "PY")
    assert merged and result.id == target_id
    assert db.session.get(Tag, source_id) is None
    for table in (thread_tags, resource_tags, user_expertise, community_domain_tags, TagWatch.__table__):
        assert _rows(table, source_id) == 0
    assert _rows(thread_tags, target_id) == 4  # three python threads + "Both"
    assert _rows(resource_tags, target_id) == 3
    assert _rows(user_expertise, target_id) == 2
    assert _rows(community_domain_tags, target_id) == 2  # private + restricted
    assert _rows(TagWatch.__table__, target_id) == 2
    db.session.expire_all()
    assert [t.name for t in db.session.get(type(thread), thread.id).tags] == ["py"]
    assert [t.name for t in db.session.get(type(link), link.id).tags] == ["py"]
    assert [t.name for t in db.session.get(User, people["insider"].id).expertise] == ["py"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "tag.merge"))
    assert entry.detail == "python → py" and entry.target_id == target_id


def test_merge_into_itself_is_refused(world):
    people = world[0]
    with pytest.raises(DomainError):
        services.merge_tags(people["admin"], _python(), _python())


def test_admin_list_counts_every_use(world):
    people = world[0]
    services.watch(people["outsider"], _python())
    pagination, usages = services.admin_tag_list("pyth")
    assert [u.tag.name for u in usages] == ["python"]
    usage = usages[0]
    assert (usage.threads, usage.resources, usage.communities, usage.people, usage.watchers) == (3, 2, 2, 0, 1)
    _, everything = services.admin_tag_list()
    assert {u.tag.name for u in everything} >= {"python", "canarytag", "canaryprivatedomain"}


def test_add_membership_changes_visibility_immediately(world):
    people, open_c, private, restricted = world
    add_membership(restricted, people["outsider"])
    assert services.tag_page(people["outsider"], _python()).threads.total == 2


def test_a_tag_used_in_many_communities_lists_the_busiest_and_counts_the_rest(world, monkeypatch):
    people, open_c, _private, _restricted = world
    monkeypatch.setattr(services, "COMMUNITY_LIMIT", 3)
    # Four more open communities with 1..4 python threads each: the three busiest are listed, the rest counted.
    for n in range(1, 5):
        community = make_community(f"busy-{n}", coordinators=[people["coord"]])
        for i in range(n):
            discussions.create_thread(people["coord"], community, title=f"T{n}.{i}", body="hi", tags="python")
    page = services.tag_page(people["outsider"], _python())
    assert [(c.slug, count) for c, count in page.threads.by_community] == [("busy-4", 4), ("busy-3", 3), ("busy-2", 2)]
    # busy-1 and open-c are left out of the list but not out of the total; private content is in neither.
    assert page.threads.more_communities == 2
    assert page.threads.total == 4 + 3 + 2 + 1 + 1


def test_tag_page_follows_every_change_at_once_despite_its_memo(world):
    """The per-tag facts are kept for the request until a commit (here the test's one app context): each
    change below must show on the next view."""
    people, open_c, private, _restricted = world
    tag = _python()
    assert services.tag_page(people["outsider"], tag).threads.total == 1  # now kept
    thread = discussions.create_thread(people["coord"], open_c, title="Fresh python", body="hi", tags="python")
    page = services.tag_page(people["outsider"], tag)
    assert page.threads.total == 2 and page.threads.items[0].title == "Fresh python"
    discussions.move_thread(people["coord"], thread, private)
    page = services.tag_page(people["outsider"], tag)
    assert page.threads.total == 1 and "Fresh python" not in [t.title for t in page.threads.items]
    assert "Fresh python" in [t.title for t in services.tag_page(people["insider"], tag).threads.items]
    discussions.delete_post(people["coord"], thread.opening_post)
    assert "Fresh python" not in [t.title for t in services.tag_page(people["insider"], tag).threads.items]
    assert services.visible_tag_or_none(people["outsider"], "canarytag") is None


def test_tag_page_asks_the_database_when_the_newest_candidates_are_all_hidden(world, monkeypatch):
    """The newest candidates are all private: an outsider still gets the open threads, newest first."""
    people, open_c, private, _restricted = world
    monkeypatch.setattr(services, "CANDIDATES", 3)
    for i in range(4):
        discussions.create_thread(people["coord"], private, title=f"Private {i}", body="hi", tags="python")
    discussions.create_thread(people["coord"], open_c, title="Second open", body="hi", tags="python")
    for i in range(4, 8):
        discussions.create_thread(people["coord"], private, title=f"Private {i}", body="hi", tags="python")
    page = services.tag_page(people["outsider"], _python())
    assert [t.title for t in page.threads.items] == ["Second open", "Open python thread"]
    assert page.threads.total == 2
    insider = services.tag_page(people["insider"], _python(), limit=3)
    assert [t.title for t in insider.threads.items] == ["Private 7", "Private 6", "Private 5"]
