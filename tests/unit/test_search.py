"""Search: the permission filter (leak canaries), the outbox, recovery, concurrent writers, gaps.

Every test gets its own index directory (``<tmp>/instance/search_index``, from the ``app`` fixture), and
every test of the app runs on both engines (``search_engine``: Whoosh and Tantivy); the tests of Whoosh's
own machinery (segments, its spelling automaton, its phrase candidates) run on Whoosh only.
"""

import io
import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from cop.communities import services as communities
from cop.discussions import services as discussions
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.library import services as library
from cop.search import index, outbox, services as search
from cop.search.engine import ENGINES, get_engine
from cop.search.models import SearchLog, SearchOutbox
from tests.builders import add_membership, make_community, make_user

ROOT = Path(__file__).resolve().parents[2]

# Unique words hidden where only members of the private or restricted community may look.
CANARIES = (
    "zqprivtitle",
    "zqprivpost",
    "zqprivtag",
    "zqprivfile",
    "zqprivdesc",
    "zqrestitle",
    "zqrespost",
    "zqresdesc",
    "zqresdoc",
)
# Words no one may ever find: in a hidden (moderated) post and a deleted thread.
BURIED = ("zqhiddenpost", "zqdeletedthread")


def build_world():
    """Open, restricted and private communities with canaries, and people in every relation to them."""
    admin = make_user("root@example.com", "Root Admin", admin=True)
    member = make_user("member@example.com", "Mira Member")
    outsider = make_user("outsider@example.com", "Oscar Outsider")
    removed = make_user("removed@example.com", "Remy Removed")
    other_coord = make_user("othercoord@example.com", "Otto Coordinator")
    open_c = make_community("open-circle", visibility="open", coordinators=[member], members=[outsider])
    restricted = make_community("rest-circle", visibility="restricted", coordinators=[member])
    private = make_community("priv-circle", visibility="private", coordinators=[member])
    make_community("other-circle", visibility="private", coordinators=[other_coord])
    add_membership(private, removed, "removed")
    add_membership(restricted, removed, "removed")

    common = discussions.create_thread(
        member, open_c, title="Common kettle practice", body="Everyone shares kettle tips here.", tags="kettle"
    )
    discussions.create_thread(
        member, private, title="Kettle zqprivtitle secrets", body="kettle plans", tags="zqprivtag"
    )
    secret = discussions.create_thread(member, private, title="Budget", body="Budget talk")
    discussions.reply(member, secret, secret.opening_post, "The kettle zqprivpost figure")
    library.add_file(
        member,
        private,
        stream=io.BytesIO(b"kettle notes zqprivfile inside\n"),
        filename="notes.txt",
        description="zqprivdesc kettle",
    )
    restricted_thread = discussions.create_thread(
        member, restricted, title="Kettle zqrestitle review", body="kettle review"
    )
    discussions.reply(member, restricted_thread, restricted_thread.opening_post, "zqrespost kettle")
    library.add_document(
        member, restricted, title="Kettle checklist", body="zqresdoc kettle steps", description="zqresdesc"
    )

    hidden_thread = discussions.create_thread(member, open_c, title="Open talk", body="kettle zqopeners")
    bad = discussions.reply(outsider, hidden_thread, hidden_thread.opening_post, "zqhiddenpost kettle rant")
    flag = discussions.flag_post(member, bad, "add-value")
    discussions.decide_flag(member, flag, hide=True)
    gone = discussions.create_thread(member, open_c, title="zqdeletedthread kettle", body="to be removed")
    discussions.delete_post(member, gone.opening_post)
    return dict(
        admin=admin,
        member=member,
        outsider=outsider,
        removed=removed,
        other_coord=other_coord,
        open=open_c,
        restricted=restricted,
        private=private,
        common=common,
        secret=secret,
        restricted_thread=restricted_thread,
    )


@pytest.fixture(params=ENGINES)
def search_engine(request):
    """The search engine the ``app`` fixture is configured with."""
    return request.param


@pytest.fixture
def app_config(search_engine):
    return {"SEARCH_ENGINE": search_engine}


WHOOSH_ONLY = pytest.mark.parametrize("search_engine", ["whoosh"])


def _break_index(path: str, everything: bool = False) -> None:
    """Write garbage over the index's table of contents (Whoosh's ``.toc``, Tantivy's ``meta.json``), or over
    every file of it; this thread's reader is dropped first: its files are memory-mapped (a bus error, not an
    exception, if it read them)."""
    get_engine().forget(path)
    for name in os.listdir(path):
        if name in (index.LOCK_FILE, index.STATE_FILE):
            continue
        if everything or name.endswith(".toc") or name == "meta.json":
            Path(path, name).write_bytes(b"garbage")


def _indexed_keys() -> set[str]:
    """The keys of every document in the index (straight from the engine)."""
    if get_engine().name == "tantivy":
        from tantivy import Query

        searcher = get_engine()._searcher()
        found = searcher.search(Query.all_query(), limit=100_000, count=False)
        return {searcher.doc(address).to_dict()["key"][0] for _score, address in found.hits}
    return {fields["key"] for fields in index.get_searcher(index.index_dir()).all_stored_fields()}


def _close_cached_searcher(path: str) -> None:
    """Close this thread's cached searcher on ``path``: its files are memory-mapped, so one left open
    would read the garbage a test writes into them (a bus error, not an exception)."""
    entry = index._local.searchers.pop(path, None)
    if entry:
        entry[1].close()


@pytest.fixture
def world(app):
    return build_world()


def _everything_shown(results) -> str:
    """All text a results page derives from the index: hits, snippets, facet labels and values, suggestion."""
    parts = [str(results.total), results.suggestion or ""]
    for hit in results.hits:
        parts += [hit.type, str(hit.id), str(hit.title), str(hit.snippet)]
    for facet in results.facets:
        parts += [f"{value} {label} {count}" for value, label, count in facet.options]
    return " ".join(parts).lower()


def _typo(word: str) -> str:
    return word[:-1] + ("x" if word[-1] != "x" else "y")


@pytest.mark.parametrize("who", ["outsider", "removed", "other_coord"])
def test_canaries_are_never_found_by_non_members(world, who):
    user = world[who]
    for word in CANARIES + BURIED:
        results = search.search(user, word)
        assert results.total == 0 and results.hits == [] and results.facets == [], (who, word)
        assert search.search(user, _typo(word)).suggestion is None, (who, word)
    # A word shared with permitted documents: only open content, and no canary in any part of the page.
    results = search.search(user, "kettle")
    shown = _everything_shown(results)
    assert {hit.obj.community_id for hit in results.hits if hit.type in ("thread", "resource")} == {world["open"].id}
    for word in CANARIES + BURIED:
        assert word not in shown
    community_values = {v for f in results.facets if f.name == "community" for v, _l, _n in f.options}
    assert community_values <= {"open-circle"}


def test_canaries_are_found_by_members_and_admins(world):
    for user in (world["member"], world["admin"]):
        for word in CANARIES:
            assert search.search(user, word).total >= 1, (user.email, word)
        for word in BURIED:
            assert search.search(user, word).total == 0, word
    member = world["member"]
    assert search.search(member, _typo("zqprivtitle")).suggestion == "zqprivtitle"


def test_thread_hit_names_the_post_that_matched(world):
    results = search.search(world["member"], "zqprivpost")
    (hit,) = results.hits
    assert hit.type == "thread" and hit.id == world["secret"].id
    assert hit.post is not None and "zqprivpost" in hit.post.body_md
    assert '<mark class="hl' in str(hit.snippet)


def test_snippets_escape_html(app, world):
    thread = world["common"]
    # Snippets are cut from the sanitized rendering: the script is gone, and markup shown as text
    # (the code span) is escaped again around the highlight.
    discussions.reply(
        world["member"],
        thread,
        thread.opening_post,
        "zqescape <b>bold</b> <script>x()</script> `<img src=x onerror=alert(1)>`",
    )
    (hit,) = search.search(world["outsider"], "zqescape").hits
    snippet = str(hit.snippet)
    assert "<script>" not in snippet and "<img" not in snippet and "&lt;img" in snippet


def test_anonymous_users_get_nothing(world):
    from flask_login import AnonymousUserMixin

    assert search.search(AnonymousUserMixin(), "kettle").total == 0


INJECTIONS = [
    "alpha) OR (community_id:1",
    "community_id:1",
    "type:person",
    "community_id:*",
    "*",
    "*ettle",
    "kett*",
    '"unbalanced',
    "(unbalanced",
    "unbalanced)",
    "NOT NOT NOT",
    "AND",
    "OR OR",
    "kettle NOT",
    "NOT kettle",
    "kettle AND (zqprivtitle OR community_id:3)",
    "title:zqprivtitle",
    "body:zqprivpost",
    "tags:zqprivtag",
    "[a TO z]",
    "kettle^100",
    "key:thread*",
    "*:*",
    "zqprivtitle~2",
    "'kettle'",
    "kettle\x00",
    "ünïcödé ✓",
    "a" * 199,
    "x " * 40,
    "b" * 500,
]


@pytest.mark.parametrize("who", ["outsider", "removed", "other_coord"])
def test_query_corpus_never_leaks_or_errors(world, who):
    user = world[who]
    forbidden = {world["private"].id, world["restricted"].id}
    for text in INJECTIONS:
        try:
            results = search.search(user, text)
        except search.QueryError as exc:
            assert exc.message
            continue
        for hit in results.hits:
            assert getattr(hit.obj, "community_id", None) not in forbidden or hit.type in ("community", "person"), text
            if hit.type == "community":
                assert hit.obj.visibility != "private", text
        shown = _everything_shown(results)
        for word in CANARIES:
            assert word not in shown, (text, word)


def test_field_syntax_is_plain_text(world):
    # "type:person" must not name the field: it searches for the words "type" and "person".
    assert search.search(world["member"], "type:person").total == 0
    with pytest.raises(search.QueryError):
        search.parse_query("x" * 201)
    with pytest.raises(search.QueryError):
        search.parse_query(" ".join(["word"] * 13))
    with pytest.raises(search.QueryError):
        search.parse_query("NOT NOT NOT")


def test_visibility_membership_and_moves_take_effect_at_once(app, world):
    member, outsider = world["member"], world["outsider"]
    assert search.search(outsider, "zqprivtitle").total == 0
    world["private"].visibility = "open"
    db.session.commit()
    assert search.search(outsider, "zqprivtitle").total == 1
    world["open"].visibility = "private"
    db.session.commit()
    assert search.search(outsider, "zqopeners").total == 1  # still an active member of open-circle
    communities.remove_member(member, world["open"], outsider)
    assert search.search(outsider, "zqopeners").total == 0
    # Move the restricted thread into the (now open) private circle: found by everyone at once.
    thread = world["restricted_thread"]
    assert search.search(outsider, "zqrestitle").total == 0
    discussions.move_thread(member, thread, world["private"])
    results = search.search(outsider, "zqrestitle")
    assert [h.id for h in results.hits] == [thread.id]


def test_facets_filter_and_sort(world):
    member = world["member"]
    everything = search.search(member, "kettle")
    types = {v: n for f in everything.facets if f.name == "type" for v, _l, n in f.options}
    assert types["thread"] >= 3 and types["resource"] == 2
    only_resources = search.search(member, "kettle", type="resource")
    assert {h.type for h in only_resources.hits} == {"resource"} and only_resources.total == 2
    in_private = search.search(member, "kettle", community_id=world["private"].id)
    assert in_private.total >= 1 and {h.obj.community_id for h in in_private.hits} == {world["private"].id}
    tagged = search.search(member, "kettle", tag="zqprivtag")
    assert tagged.total == 1
    by_date = search.search(member, "kettle", sort="date", date="week")
    assert by_date.total == everything.total  # everything here was written in the past week
    dates = {v: n for f in everything.facets if f.name == "date" for v, _l, n in f.options}
    assert dates == {"week": everything.total, "month": everything.total, "year": everything.total}
    newest_first = [
        hit.obj.last_activity_at for hit in search.search(member, "kettle", sort="date", type="thread").hits
    ]
    assert newest_first == sorted(newest_first, reverse=True)
    paged = search.search(member, "kettle", per_page=2, page=2)
    assert paged.page == 2 and len(paged.hits) == 2


def test_permission_filters_are_shared_by_readers_of_the_same_communities(app, world):
    from datetime import timedelta

    from cop.extensions import utcnow

    member, outsider, removed = world["member"], world["outsider"], world["removed"]
    assert search.permission_filter(outsider) is search.permission_filter(outsider)
    assert search.permission_filter(member) is not search.permission_filter(outsider)
    assert search.permission_filter(None) is None
    # The date narrowing is part of the key: an old thread is outside "past week", inside "past year".
    old = discussions.create_thread(member, world["open"], title="Zqdated kettle thread", body="old news")
    old.created_at = utcnow() - timedelta(days=10)
    db.session.commit()
    assert search.search(outsider, "zqdated").total == 1
    assert search.search(outsider, "zqdated", date="week").total == 0
    assert search.search(outsider, "zqdated", date="month").total == 1
    assert search.search(removed, "zqdated").total == 1  # open-circle: everyone signed in reads it


def test_outbox_row_commits_with_the_change_and_rolls_back_with_it(app, world):
    app.config["SEARCH_INDEX_ON_COMMIT"] = False
    before = db.session.scalar(select(func.max(SearchOutbox.id)))
    thread = world["common"]
    discussions.reply(world["member"], thread, thread.opening_post, "zqqueued reply")
    rows = db.session.execute(select(SearchOutbox.doc_type, SearchOutbox.doc_id).where(SearchOutbox.id > before)).all()
    assert ("thread", thread.id) in rows
    assert search.search(world["member"], "zqqueued").total == 0  # not applied yet
    db.session.add(Post(thread_id=thread.id, author_id=world["member"].id, body_md="x", body_html="x"))
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox).where(SearchOutbox.id > before)) == len(
        rows
    )
    assert index.catch_up() >= 1
    assert search.search(world["member"], "zqqueued").total == 1


def test_one_catch_up_applies_the_commits_inside_it_once_on_leaving(world):
    thread = world["common"]
    with outbox.one_catch_up():
        discussions.reply(world["member"], thread, thread.opening_post, "zqbatched first")
        discussions.reply(world["member"], thread, thread.opening_post, "zqbatched second")
        assert search.search(world["member"], "zqbatched").total == 0  # committed, waiting in the outbox
    assert index.read_mark(index.index_dir()) == db.session.scalar(select(func.max(SearchOutbox.id)))
    assert search.search(world["member"], "zqbatched").total == 1  # the thread, both replies in it
    discussions.reply(world["member"], thread, thread.opening_post, "zqafterwards")
    assert search.search(world["member"], "zqafterwards").total == 1  # each commit applied again


def _results(user, words):
    return {w: sorted((h.type, h.id) for h in search.search(user, w).hits) for w in words}


@pytest.mark.parametrize("damage", ["delete", "corrupt"])
def test_missing_or_corrupt_index_reports_unavailable_and_reindex_restores(app, runner, world, damage):
    words = ("kettle", "zqprivpost", "zqresdoc", "member")
    before = _results(world["member"], words)
    path = index.index_dir()
    if damage == "delete":
        get_engine().forget(path)
        shutil.rmtree(path)
    else:
        _break_index(path, everything=True)
    with pytest.raises(search.SearchUnavailable):
        search.search(world["member"], "kettle")
    assert search.similar_threads(world["member"], "kettle") == []
    result = runner.invoke(args=["cop", "search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed" in result.output
    assert _results(world["member"], words) == before
    status = runner.invoke(args=["cop", "search", "status"])
    assert "Outbox backlog: 0" in status.output and "available" in status.output


def test_posting_works_while_the_index_is_broken(app, world):
    _break_index(index.index_dir())
    thread = world["common"]
    post = discussions.reply(world["member"], thread, thread.opening_post, "zqduringoutage")
    assert db.session.get(Post, post.id) is not None
    index.rebuild()
    assert search.search(world["member"], "zqduringoutage").total == 1


def _script(app, body: str) -> str:
    """A Python program that runs ``body`` with an app on this test's database and index."""
    return textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.conftest import make_config
        from cop import create_app
        from cop.extensions import db
        app = create_app(make_config({app.config["SQLALCHEMY_DATABASE_URI"]!r}, {app.instance_path!r},
                                     SEARCH_INDEX_ON_COMMIT=os.environ.get("ON_COMMIT") == "1",
                                     SEARCH_ENGINE={app.config["SEARCH_ENGINE"]!r}))
        with app.app_context():
    """) + textwrap.indent(textwrap.dedent(body), "    ")


def test_a_crash_between_commit_and_index_write_loses_nothing(app, world):
    thread_id = world["common"].id
    code = _script(
        app,
        f"""
        from cop.discussions import services as d
        from cop.discussions.models import Thread
        from cop.accounts.models import User
        thread = db.session.get(Thread, {thread_id})
        user = db.session.get(User, {world["member"].id})
        d.reply(user, thread, thread.opening_post, "zqcrashproof reply")
        os._exit(3)  # dies after the commit, before any index write
    """,
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "ON_COMMIT": "0"}, timeout=120, capture_output=True, text=True
    )
    assert done.returncode == 3, done.stderr
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.body_md == "zqcrashproof reply")) == 1
    assert search.search(world["member"], "zqcrashproof").total == 0
    index.catch_up()  # what the next commit (or a restart's catch-up) does
    assert [h.id for h in search.search(world["member"], "zqcrashproof").hits] == [thread_id]


def test_concurrent_writers_lose_no_post(app, world):
    writers, posts_each = 4, 10
    thread_ids = [
        discussions.create_thread(world["member"], world["open"], title=f"Writer {n} thread", body=f"zqwriter{n}").id
        for n in range(writers)
    ]
    processes = []
    for n, thread_id in enumerate(thread_ids):
        code = _script(
            app,
            f"""
            from cop.discussions import services as d
            from cop.discussions.models import Thread
            from cop.accounts.models import User
            user = db.session.get(User, {world["member"].id})
            for i in range({posts_each}):
                thread = db.session.get(Thread, {thread_id})
                d.reply(user, thread, thread.opening_post, f"zqw{n}p{{i}}x reply")
        """,
        )
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", code], env={**os.environ, "ON_COMMIT": "1"}, stderr=subprocess.PIPE, text=True
            )
        )
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    index.catch_up()
    member = world["member"]
    for n, thread_id in enumerate(thread_ids):
        for i in range(posts_each):
            assert [h.id for h in search.search(member, f"zqw{n}p{i}x").hits] == [thread_id], (n, i)
    # The index equals the database: every visible thread once, nothing else.
    db.session.expire_all()
    visible_threads = set(db.session.scalars(select(Thread.id).where(Thread.is_deleted.is_(False))))
    indexed = {int(key.split(":")[1]) for key in _indexed_keys() if key.startswith("thread:")}
    assert indexed == visible_threads
    assert index.status()["backlog"] == 0


def test_similar_and_related_threads_respect_permissions(world):
    outsider, member = world["outsider"], world["member"]
    assert [t.id for t in search.similar_threads(outsider, "kettle practice")][:1] == [world["common"].id]
    assert all(t.community_id == world["open"].id for t in search.similar_threads(outsider, "kettle zqprivtitle"))
    assert any(t.community_id == world["private"].id for t in search.similar_threads(member, "kettle zqprivtitle"))
    related = search.related_threads(outsider, world["common"])
    assert world["common"] not in related and all(t.community_id == world["open"].id for t in related)


def test_knowledge_gaps_are_logged_listed_and_closed(world):
    open_c = world["open"]
    search.record_search(world["outsider"], "How to  Descale", open_c, 0)
    search.record_search(world["member"], "how to descale", open_c, 0)
    search.record_search(world["member"], "kettle", open_c, 4)
    search.record_search(world["member"], "unscoped nothing", None, 0)
    gaps = search.knowledge_gaps(open_c)
    assert [(g.query, g.times) for g in gaps] == [("how to descale", 2)]
    assert search.close_gap(open_c, "How to descale") == 2
    assert search.knowledge_gaps(open_c) == []
    assert db.session.scalar(select(func.count()).select_from(SearchLog)) == 4


def test_person_documents_follow_profile_changes_not_logins(app, world):
    member = world["member"]
    before = db.session.scalar(select(func.max(SearchOutbox.id)))
    member.last_login_at = member.created_at
    db.session.commit()
    assert db.session.scalar(select(func.max(SearchOutbox.id))) == before
    member.department = "Zqdepartment"
    db.session.commit()
    assert [h.id for h in search.search(world["outsider"], "zqdepartment").hits] == [member.id]


def test_renamed_and_merged_tags_are_found_by_their_new_name(app, world):
    from cop.tags import services as tags
    from cop.tags.models import Tag

    admin = world["admin"]
    kettle = db.session.scalar(select(Tag).where(Tag.name == "kettle"))
    tags.rename_tag(admin, kettle, "zqrenamedtag")
    assert [h.id for h in search.search(world["outsider"], "zqrenamedtag").hits] == [world["common"].id]
    # Merging the private tag into the renamed one: members find the private thread by the target's name,
    # outsiders still only the open one.
    private_tag = db.session.scalar(select(Tag).where(Tag.name == "zqprivtag"))
    target = db.session.scalar(select(Tag).where(Tag.name == "zqrenamedtag"))
    tags.merge_tags(admin, private_tag, target)
    member_hits = {h.obj.community_id for h in search.search(world["member"], "zqrenamedtag").hits}
    assert member_hits == {world["open"].id, world["private"].id}
    assert [h.id for h in search.search(world["outsider"], "zqrenamedtag").hits] == [world["common"].id]


def test_searcher_refresh_reuses_unchanged_segments_and_sees_new_deletions(tmp_path, monkeypatch):
    from whoosh import index as whoosh_index, query as wq

    path = str(tmp_path / "ix")
    os.makedirs(path)
    ix = whoosh_index.create_in(path, index.make_schema())
    writer = ix.writer()
    for n in range(5):
        writer.add_document(**index._clean({"key": f"thread:{n}", "type": "thread", "title": f"zqold{n}"}))
    writer.commit()
    searcher = index.get_searcher(path)
    first_reader = searcher.reader()
    assert len(searcher.search(wq.Term("title", "zqold2"))) == 1
    writer = ix.writer()
    writer.update_document(**index._clean({"key": "thread:2", "type": "thread", "title": "zqnew2"}))
    writer.commit()
    # Another process's commit: seen only after REFRESH_SECONDS...
    assert index.get_searcher(path) is searcher
    monkeypatch.setattr(index, "REFRESH_SECONDS", 0.0)
    fresh = index.get_searcher(path)
    assert fresh is not searcher
    leaves = [reader for reader, _offset in fresh.reader().leaf_readers()]
    assert len(leaves) == 2 and leaves[0]._terms is first_reader._terms  # the old segment was not reopened
    assert len(fresh.search(wq.Term("title", "zqold2"))) == 0  # its deletion is seen
    assert [hit["key"] for hit in fresh.search(wq.Term("title", "zqnew2"))] == ["thread:2"]
    assert fresh.doc_count() == 5
    # ...and this process's own writes at the next search.
    monkeypatch.setattr(index, "REFRESH_SECONDS", 3600.0)
    writer = ix.writer()
    writer.delete_by_term("key", "thread:4")
    writer.commit()
    index.note_local_write()
    assert index.get_searcher(path).doc_count() == 4
    _close_cached_searcher(path)
    ix.close()


def test_cached_related_threads_are_rechecked_on_every_load(app, world):
    member, outsider = world["member"], world["outsider"]
    first = discussions.create_thread(member, world["open"], title="Zqrelated kettle descaling", body="how?")
    second = discussions.create_thread(member, world["open"], title="Zqrelated kettle descaling again", body="and?")
    assert second.id in [t.id for t in search.related_threads(outsider, first)]
    # The suggestion ids stay cached across index changes; the thread's removal still hides it at once.
    discussions.delete_post(member, second.opening_post)
    assert second.id not in [t.id for t in search.related_threads(outsider, first)]


def test_cached_related_threads_follow_a_move_to_a_private_community(app, world):
    """Suggestions are cached per set of readable communities; a thread moved out of that set drops out at once."""
    member, outsider = world["member"], world["outsider"]
    first = discussions.create_thread(member, world["open"], title="Zqmoved kettle descaling", body="how?")
    second = discussions.create_thread(member, world["open"], title="Zqmoved kettle descaling again", body="and?")
    assert second.id in [t.id for t in search.related_threads(outsider, first)]
    discussions.move_thread(member, second, world["private"])
    assert second.id not in [t.id for t in search.related_threads(outsider, first)]
    assert second.id in [t.id for t in search.related_threads(member, first)]


def test_snippets_follow_edits_and_moderation(app, world):
    """An edit, then hiding the post, must show in the hit's snippet on the next search."""
    thread, member, outsider = world["common"], world["member"], world["outsider"]
    post = discussions.reply(outsider, thread, thread.opening_post, "zqsnippet first wording")
    (hit,) = search.search(member, "zqsnippet").hits
    assert "first wording" in str(hit.snippet) and hit.post.id == post.id
    (again,) = search.search(member, "zqsnippet").hits  # the same snippet, cut again
    assert str(again.snippet) == str(hit.snippet) and again.post.id == post.id
    discussions.edit_post(outsider, post, "zqsnippet second wording")
    (edited,) = search.search(member, "zqsnippet").hits
    assert "second wording" in str(edited.snippet) and "first" not in str(edited.snippet)
    discussions.decide_flag(member, discussions.flag_post(member, post, "add-value"), hide=True)
    assert search.search(member, "zqsnippet").total == 0


def _writer_lock_held(path: str) -> bool:
    """Whether some process holds the index directory's writer lock (read from /proc/locks, without taking it)."""
    inode = os.stat(os.path.join(path, index.LOCK_FILE)).st_ino
    with open("/proc/locks", encoding="ascii") as locks:
        return any(f":{inode} " in line for line in locks)


def test_a_post_committed_while_another_process_indexes_is_found_without_a_later_commit(app, world):
    """The post search never returned under write load: its commit's catch-up found the writer lock taken by
    another process that had read the outbox before that commit, and nothing applied it until the next commit.
    Here no commit follows the probe; it must be found, polled from this process, once the other writer is done."""
    member, thread = world["member"], world["common"]
    words = [f"zqfiller{n}" for n in range(4000)]
    app.config["SEARCH_INDEX_ON_COMMIT"] = False
    for n in range(12):  # a backlog that keeps the other process's catch-up busy for a while
        discussions.reply(member, thread, thread.opening_post, " ".join(words[n::3]) * 3)
    app.config["SEARCH_INDEX_ON_COMMIT"] = True
    path = index.index_dir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _script(
                app,
                """
        from cop.search import index
        assert index.catch_up()
    """,
            ),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    polls = 0
    while not _writer_lock_held(path) and holder.poll() is None:
        polls += 1
    assert holder.poll() is None, "the other writer finished before the probe could be posted"
    discussions.reply(member, world["secret"], world["secret"].opening_post, "zqprobe under load")
    assert _writer_lock_held(path)  # so this commit's own catch-up found the lock taken, and skipped
    _out, err = holder.communicate(timeout=120)
    assert holder.returncode == 0, err
    found, polls = [], 0
    deadline = time.monotonic() + 5 * index.REFRESH_SECONDS + 5
    while not found and time.monotonic() < deadline:
        polls += 1
        found = [h.id for h in search.search(member, "zqprobe").hits]
        db.session.rollback()
        time.sleep(index.REFRESH_SECONDS / 5)
    assert found == [world["secret"].id], f"not found after {polls} searches"
    assert index.status()["backlog"] == 0


def test_did_you_mean_walks_an_automaton_not_every_word(tmp_path):
    """Spelling candidates come from a Levenshtein automaton over the sorted spelling words: on an index of
    several segments (where Whoosh's own corrector measures the distance to every word) the words read
    are a small fraction of the vocabulary."""
    from whoosh import index as whoosh_index

    path = str(tmp_path / "ix")
    os.makedirs(path)
    ix = whoosh_index.create_in(path, index.make_schema())
    syllables = ("ka", "ri", "to", "mu", "le", "sa", "vo", "ne", "di", "po", "ra", "ti", "lo", "ma", "ze")
    vocabulary = sorted(
        {a + b + c + d for a in syllables for b in syllables for c in syllables[:6] for d in syllables[:4]}
    )
    for segment in range(3):
        writer = ix.writer()
        for n, word in enumerate(vocabulary[segment::3]):
            writer.add_document(
                **index._clean({"key": f"thread:{segment}-{n}", "type": "thread", "title": word, "body": word})
            )
        writer.commit(merge=False)
    searcher = index.get_searcher(path)
    assert len(list(searcher.reader().leaf_readers())) == 3
    stats = {}
    assert search.spelling_candidates(searcher, "body", "karitomx", stats=stats)[0] == "karitomu"
    assert 0 < stats["visited"] < len(vocabulary) / 20, (stats, len(vocabulary))
    assert search.spelling_candidates(searcher, "title", "qqqqqqqq") == []
    _close_cached_searcher(path)
    ix.close()


def test_did_you_mean_only_when_nothing_is_found(app, world):
    member = world["member"]
    discussions.create_thread(member, world["open"], title="Zqalpha kettle", body="one")
    for n in range(2):
        discussions.create_thread(member, world["open"], title=f"Zqalphb kettle {n}", body="two")
    assert search.search(member, "zqalpha").total == 1
    assert search.search(member, "zqalpha").suggestion is None  # one hit: no correction offered
    assert search.search(member, "zqalphc").suggestion in ("zqalpha", "zqalphb")


def test_related_threads_are_stored_by_the_indexer_and_updated_on_change(app, world):
    from cop.search.models import RelatedThread

    member, outsider, open_c = world["member"], world["outsider"], world["open"]
    first = discussions.create_thread(member, open_c, title="Zqstored descaling method", body="how?")
    second = discussions.create_thread(member, open_c, title="Zqstored descaling again", body="and?")
    stored = db.session.get(RelatedThread, first.id)
    assert stored is not None and second.id in stored.ids  # the older thread learnt of the newer one
    assert second.id in [t.id for t in search.related_threads(outsider, first)]
    signature = stored.signature
    discussions.reply(member, first, first.opening_post, "a reply changes neither title nor tags")
    db.session.expire_all()
    assert db.session.get(RelatedThread, first.id).signature == signature  # not recomputed for a reply
    third = discussions.create_thread(member, open_c, title="Zqnewtopic calibration", body="x")
    first.title = "Zqnewtopic calibration drift"  # no service retitles a thread yet; the indexer sees the row
    db.session.commit()
    db.session.expire_all()
    changed = db.session.get(RelatedThread, first.id)
    assert changed.signature != signature and third.id in changed.ids and second.id not in changed.ids
    # The page reads the stored list: a thread moved where the viewer may not read drops out at once.
    discussions.move_thread(member, third, world["private"])
    assert third.id not in [t.id for t in search.related_threads(outsider, first)]
    assert third.id in [t.id for t in search.related_threads(member, first)]


def test_snippets_come_from_the_rendered_text_not_the_markdown(world):
    member, thread = world["member"], world["common"]
    discussions.reply(
        member,
        thread,
        thread.opening_post,
        "Use **zqboldword** with [the guide](https://example.com/zqlinked) & `x < y`",
    )
    (hit,) = search.search(member, "zqboldword").hits
    snippet = str(hit.snippet)
    assert '<mark class="hl term0">zqboldword</mark>' in snippet
    assert "**" not in snippet and "https://example.com" not in snippet and "](" not in snippet
    assert "the guide" in snippet and "x &lt; y" in snippet


def test_phrases_are_checked_among_the_best_candidates(app, world, monkeypatch, search_engine):
    member, open_c = world["member"], world["open"]
    adjacent = [
        discussions.create_thread(member, open_c, title=f"Zqphrase{n}", body=f"zqdelta zqomega {n}").id
        for n in range(3)
    ]
    discussions.create_thread(member, open_c, title="Apart", body="zqomega then zqdelta, never together")
    results = search.search(member, '"zqdelta zqomega"')
    assert sorted(h.id for h in results.hits) == sorted(adjacent) and results.total == 3 and not results.capped
    assert search.search(world["outsider"], '"zqdelta zqomega"').total == 3
    assert search.search(member, '"zqomega zqdelta"').total == 0
    if search_engine != "whoosh":
        return  # Tantivy checks the positions of every match: nothing is capped
    monkeypatch.setattr(search, "PHRASE_CANDIDATES", 2)
    capped = search.search(member, '"zqdelta zqomega" zqphrase1')
    assert capped.total == 1 and [h.id for h in capped.hits] == [adjacent[1]]
    capped = search.search(member, '"zqdelta zqomega"', sort="date")
    assert capped.capped and capped.total == 2 and len(capped.hits) == 2


def test_segment_files_are_read_from_the_shared_mapping_not_copied():
    """Whoosh copied each file of a compound segment (BytesIO over the mmap) into every worker's heap."""
    from whoosh.filedb.structfile import BufferFile

    data = bytearray(b"0123456789\nabc")
    segment_file = BufferFile(memoryview(data))
    assert segment_file.read(3) == b"012" and segment_file.tell() == 3
    segment_file.seek(-3, 2)
    assert segment_file.read() == b"abc"
    segment_file.seek(0)
    assert segment_file.readline() == b"0123456789\n"
    data[0:1] = b"X"  # reads go to the mapping itself, not a private copy
    segment_file.seek(0)
    assert segment_file.read(1) == b"X"


def test_related_command_stores_the_missing_lists(app, runner, world):
    from sqlalchemy import delete

    from cop.search.models import RelatedThread

    db.session.execute(delete(RelatedThread))
    db.session.commit()
    result = runner.invoke(args=["cop", "search", "related"])
    assert result.exit_code == 0, result.output
    live = set(db.session.scalars(select(Thread.id).where(Thread.is_deleted.is_(False))))
    assert set(db.session.scalars(select(RelatedThread.thread_id))) == live
    assert world["common"].id in db.session.get(RelatedThread, world["restricted_thread"].id).ids


def test_the_outbox_is_pruned_of_applied_rows_past_the_retention_margin(app, runner, world):
    """Applied rows older than the margin go; rows newer than it, or past this index's mark, stay."""
    app.config["SEARCH_INDEX_ON_COMMIT"] = False
    thread = world["common"]
    index.catch_up()
    applied = db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)).all()
    discussions.reply(world["member"], thread, thread.opening_post, "zqpending reply")  # past the mark
    pending = db.session.scalars(select(SearchOutbox.id).where(SearchOutbox.id > applied[-1])).all()
    old, recent = applied[:-2], applied[-2:]
    two_days_ago = index.utcnow() - timedelta(days=2)
    db.session.execute(
        update(SearchOutbox).where(SearchOutbox.id.in_([*old, *pending])).values(created_at=two_days_ago)
    )
    db.session.commit()

    assert index.prune_outbox() == len(old)
    left = db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)).all()
    assert left == [*recent, *pending]
    result = runner.invoke(args=["cop", "search", "prune-outbox", "--keep-hours", "0"])
    assert result.exit_code == 0 and f"Deleted {len(recent)} applied" in result.output
    assert db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)).all() == pending
    assert index.catch_up() >= 1  # the pending row was kept, and is applied
    assert search.search(world["member"], "zqpending").total == 1


def test_catch_up_prunes_the_outbox_at_most_once_an_hour(app, world):
    app.config["SEARCH_INDEX_ON_COMMIT"] = False
    thread = world["common"]
    db.session.execute(update(SearchOutbox).values(created_at=index.utcnow() - timedelta(days=2)))
    db.session.commit()
    newest = db.session.scalar(select(func.max(SearchOutbox.id)))
    index._last_pruned.clear()  # as in a fresh process
    index.catch_up()
    # The newest row stays, so SQLite never hands out an id at or below an index's mark again.
    assert db.session.scalars(select(SearchOutbox.id)).all() == [newest]
    discussions.reply(world["member"], thread, thread.opening_post, "zqlater reply")
    db.session.execute(update(SearchOutbox).values(created_at=index.utcnow() - timedelta(days=2)))
    db.session.commit()
    queued = db.session.scalar(select(func.count()).select_from(SearchOutbox))
    assert queued > 1
    assert index.catch_up() >= 1  # applied, but pruned less than an hour ago: the rows stay for now
    assert db.session.scalar(select(func.count()).select_from(SearchOutbox)) == queued
    assert search.search(world["member"], "zqlater").total == 1


@pytest.mark.parametrize("search_engine", ["tantivy"])
def test_tantivy_did_you_mean_looks_up_the_words_edits_not_every_word(app, world, monkeypatch):
    """Tantivy's candidates are the misspelt word's single edits looked up in the dictionary: the lookups
    grow with the word's length, not with the vocabulary (here: thousands of indexed words)."""
    from cop.search import tantivy_engine

    member = world["member"]
    discussions.create_thread(
        member, world["open"], title="Zqcalibrate", body=" ".join(f"zq{n:05d}word" for n in range(3000))
    )
    engine = get_engine()
    real = engine._searcher
    lookups = []

    class Counting:
        def __init__(self, searcher):
            self._searcher = searcher

        def doc_freq(self, fieldname, word):
            lookups.append(word)
            return self._searcher.doc_freq(fieldname, word)

        def __getattr__(self, name):
            return getattr(self._searcher, name)

    monkeypatch.setattr(engine, "_searcher", lambda path=None: Counting(real(path)))
    assert search.search(member, "zqcalibrxte").suggestion == "zqcalibrate"
    assert 0 < len(lookups) <= len(tantivy_engine._edits("zqcalibrxte")) < 1000
    lookups.clear()
    assert search.search(world["outsider"], "zqprivtitlx").suggestion is None  # exists only where they may not look
    assert len(lookups) <= len(tantivy_engine._edits("zqprivtitlx"))


@pytest.mark.parametrize("search_engine", ["tantivy"])
def test_tantivy_permission_filter_is_a_term_set_on_community_ids(app, world):
    """The filter reaches Tantivy as a query object built from the ids, whatever the user typed."""
    from cop.search import tantivy_engine
    from cop.search.filters import permission_filter

    flt = permission_filter(world["outsider"])
    built = tantivy_engine.filter_query(flt)
    community_term = 'Term(field=2, type=Str, "{}")'  # field 2: community_id
    assert "TermSetQuery" in repr(built) and community_term.format(world["open"].id) in repr(built)
    assert community_term.format(world["private"].id) not in repr(built)
    assert tantivy_engine.filter_query(flt) is built  # shared by the readers of the same communities
    assert tantivy_engine.content_query("community_id:1 OR type:person") is not None
    assert search.search(world["outsider"], "community_id:1 OR type:person").total == 0


@WHOOSH_ONLY
def test_changing_the_engine_needs_a_reindex_and_never_mixes_two_indexes(app, runner, world):
    """A Whoosh directory is not read as Tantivy's, nor written into by it (a partial index of the changes
    since the switch); search reports itself unavailable until the reindex, and the other way round."""
    path = index.index_dir()
    app.config["SEARCH_ENGINE"] = "tantivy"
    with pytest.raises(search.SearchUnavailable):
        search.search(world["member"], "kettle")
    thread = world["common"]
    discussions.reply(world["member"], thread, thread.opening_post, "zqafterswitch")
    assert "meta.json" not in os.listdir(path) and index.status()["backlog"] >= 1
    assert runner.invoke(args=["cop", "search", "reindex"]).exit_code == 0
    assert [h.id for h in search.search(world["member"], "zqafterswitch").hits] == [thread.id]
    app.config["SEARCH_ENGINE"] = "whoosh"
    with pytest.raises(search.SearchUnavailable):
        search.search(world["member"], "kettle")
    assert index.catch_up() is None  # refused: the outbox keeps the change
    assert runner.invoke(args=["cop", "search", "reindex"]).exit_code == 0
    assert search.search(world["member"], "zqafterswitch").total == 1


def test_best_post_is_the_one_with_most_terms_as_the_stemmer_counts_them():
    """The post a thread hit links to has the most of the query's terms, each word stemmed as the index
    stems it; only words that could stem to a term are stemmed, with the same answer as stemming them all."""
    import re

    from cop.search.hits import _best_post, _stem

    posts = list(
        enumerate(
            [
                "Nothing to see here.",
                "Our abilities grew; the ability to relate, relational thinking, happily.",
                "Happiness and a happy team: teams running, ran, runner.",
                "Sensibility is sensible; organization, organizing, organs.",
                "Version 1.2.3 of e.g. the happy.path tool, and conflated conflation.",
                "Connect, connected, connection, connections, connective, hopping, hopped.",
            ],
            start=1,
        )
    )
    words = {w for _i, text in posts for w in re.findall(r"[\w*]+(?:\.?[\w*]+)*", text.lower())}

    def reference(terms):  # every word of every post stemmed
        best, best_score = None, 0
        for post in posts:
            found = {_stem(w) for w in re.findall(r"[\w*]+(?:\.?[\w*]+)*", post[1].lower())}
            if len(terms & found) > best_score:
                best, best_score = post, len(terms & found)
        return best

    checked = 0
    for word in sorted(words):
        for other in ("happi", "team", "abil", "connect", "organ", "zq"):
            terms = {_stem(word), other}
            assert _best_post(posts, terms) == reference(terms), terms
            checked += 1
    assert checked > 100
    assert _best_post(posts, {_stem("happy"), _stem("teams")})[0] == 3
    assert _best_post(posts, {"zqnothing"}) is None


@pytest.mark.parametrize("search_engine", ["tantivy"])
def test_tantivy_excludes_the_unreadable_communities_when_they_are_fewer(app, world):
    """A reader of most communities is filtered by the few they may not read (a shorter term set); the
    canaries stay hidden, and what they may read is found as before."""
    from cop.search import tantivy_engine
    from cop.search.filters import permission_filter

    outsider = world["outsider"]
    for n in range(4):  # the outsider now reads five communities and may not read two
        extra = make_community(f"extra-{n}", visibility="open", coordinators=[world["member"]])
        discussions.create_thread(world["member"], extra, title=f"Kettle extra {n}", body="kettle")
    flt = permission_filter(outsider)
    clauses = tantivy_engine.exclusion_clauses(flt)
    assert clauses is not None and flt.unreadable == {world["restricted"].id, world["private"].id, _other(world)}
    community_term = 'Term(field=2, type=Str, "{}")'  # field 2: community_id
    excluded = " ".join(repr(q) for _occur, q in clauses)
    assert community_term.format(world["private"].id) in excluded
    assert community_term.format(world["open"].id) not in excluded
    for word in CANARIES + BURIED:
        results = search.search(outsider, word)
        assert results.total == 0 and results.hits == [] and results.facets == [], word
    results = search.search(outsider, "kettle")
    assert results.total == 6  # the open community's two threads and four more
    shown = _everything_shown(results)
    assert not any(word in shown for word in CANARIES + BURIED)
    community_values = {v for f in results.facets if f.name == "community" for v, _l, _n in f.options}
    assert "priv-circle" not in community_values and "rest-circle" not in community_values
    restricted = search.search(outsider, "circle", type="community")  # listed, not readable: its card only
    assert world["restricted"].id in {hit.id for hit in restricted.hits}
    assert "other-circle" not in _everything_shown(search.search(outsider, "circle"))


def _other(world) -> int:
    from cop.communities.models import Community

    return db.session.scalar(select(Community.id).where(Community.slug == "other-circle"))


@pytest.mark.parametrize("search_engine", ["tantivy"])
def test_tantivy_exclusion_never_shows_a_community_the_filter_did_not_know(app, world):
    """A private community created after a filter was built is not in its list of exclusions: the search
    sees its documents among the counts and filters again by what the user may read."""
    from cop.search import tantivy_engine
    from cop.search.filters import permission_filter

    for n in range(4):
        make_community(f"extra-{n}", visibility="open", coordinators=[world["member"]])
    flt = permission_filter(world["outsider"])
    assert tantivy_engine.exclusion_clauses(flt) is not None
    late = make_community("late-circle", visibility="private", coordinators=[world["member"]])
    discussions.create_thread(world["member"], late, title="zqlatecanary", body="kettle zqlatecanary")
    index.catch_up()

    def found(text):
        return get_engine().search(text, search.parse_query(text), flt, sort="relevance", page=1, per_page=20)

    late_found = found("zqlatecanary")
    assert late_found.total == 0 and late_found.hits == [] and not late_found.facet_counts["community"]
    kettle = found("kettle")
    assert str(late.id) not in kettle.facet_counts["community"] and kettle.total == 2


def test_a_thread_hit_whose_opening_post_is_hidden_shows_its_first_visible_post(world):
    """Only the posts that may hold a term and the opening post are read for a thread hit; when neither
    gives a visible post (the opening post hidden, the word only in the title), the first visible one does."""
    member, open_c = world["member"], world["open"]
    thread = discussions.create_thread(member, open_c, title="Zqtitleonly notes", body="an opening rant")
    reply = discussions.reply(world["outsider"], thread, thread.opening_post, "a calm answer")
    flag = discussions.flag_post(member, thread.opening_post, "add-value")
    discussions.decide_flag(member, flag, hide=True)
    [hit] = search.search(member, "zqtitleonly").hits
    assert hit.post is not None and hit.post.id == reply.id and "calm answer" in str(hit.snippet)
    other = discussions.create_thread(member, open_c, title="Kettle care", body="start")
    best = discussions.reply(world["outsider"], other, other.opening_post, "descaling kettles monthly")
    hits = {h.id: h for h in search.search(member, "descaling").hits}
    assert hits[other.id].post.id == best.id
