"""The synthetic data set (``flask cop seed``) at ``small`` size: integrity, realism, determinism."""

import collections
import statistics

import pytest
from sqlalchemy import func, select, text

from cop import create_app
from cop.accounts.models import User
from cop.communities.models import Community, Membership, VisibilityVersion
from cop.discussions.models import MAX_DEPTH, PATH_STEP, Post, Thread
from cop.events.models import Event, Rsvp
from cop.extensions import db
from cop.library.models import Resource, ResourceVersion
from cop.markup import render_markdown
from cop.search.models import SearchLog, SearchOutbox
from cop.seed import data
from tests.conftest import make_config


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """One small data set for the whole module (it takes about half a second)."""
    folder = tmp_path_factory.mktemp("seed")
    app = create_app(
        make_config(f"sqlite:///{folder / 'seed.db'}", str(folder / "instance"), SEARCH_INDEX_DIR=str(folder / "index"))
    )
    with app.app_context():
        db.create_all()
        timings = data.load("small", seed=3, echo=lambda *_: None)
        yield app, timings
        db.session.remove()
        db.engine.dispose()


def _rows(statement):
    return db.session.execute(statement).all()


def test_sizes_and_no_outbox_rows(seeded):
    spec = data.SIZES["small"]
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    assert count(User) == spec.users
    assert count(Community) == spec.communities
    assert count(Thread) == spec.threads
    assert abs(count(Post) - spec.posts) < spec.posts * 0.1
    assert count(Resource) == spec.resources
    assert count(Event) == spec.events and count(Rsvp) > 0
    assert count(SearchLog) == spec.search_logs
    assert count(ResourceVersion) > 0
    # Bulk Core inserts never go through the ORM hook: the index is built in one pass instead.
    assert count(SearchOutbox) == 0
    # ... nor through the visibility hook: the seed counts its communities itself, so running workers
    # do not keep a map of visibilities from before it.
    assert db.session.scalar(select(VisibilityVersion.value)) >= 1


def test_the_experts_evidence_is_filled(seeded):
    from cop.tags import evidence

    connection = db.session.connection()
    stored = evidence.stored(connection)
    assert len(stored) > 1000 and {key[3] for key in stored} >= {"post", "accepted", "resource"}
    assert stored == evidence.computed(connection)


def test_referential_integrity(seeded):
    assert _rows(text("PRAGMA foreign_key_check")) == []
    assert _rows(text("PRAGMA integrity_check")) == [("ok",)]


def test_every_thread_and_post_author_was_an_active_member(seeded):
    active = set(_rows(select(Membership.community_id, Membership.user_id).where(Membership.status == "active")))
    threads = _rows(select(Thread.community_id, Thread.author_id))
    assert all((c, a) in active for c, a in threads)
    posts = _rows(select(Thread.community_id, Post.author_id).join(Thread, Thread.id == Post.thread_id))
    assert all((c, a) in active for c, a in posts)
    # ... and had joined by the time they wrote.
    joined = dict(
        ((c, u), j) for c, u, j in _rows(select(Membership.community_id, Membership.user_id, Membership.joined_at))
    )
    for community_id, author_id, created_at in _rows(select(Thread.community_id, Thread.author_id, Thread.created_at)):
        assert joined[(community_id, author_id)] <= created_at


def test_denormalised_thread_columns_match_the_posts(seeded):
    posts = collections.defaultdict(list)
    for post in db.session.scalars(select(Post).order_by(Post.id)):
        posts[post.thread_id].append(post)
    for thread in db.session.scalars(select(Thread)):
        mine = posts[thread.id]
        opening = [p for p in mine if p.parent_id is None]
        replies = [p for p in mine if p.parent_id is not None]
        assert [p.id for p in opening] == [thread.opening_post_id]
        assert thread.reply_count == len(replies)
        assert thread.last_activity_at == max(p.created_at for p in mine)
        others = [p.created_at for p in replies if p.author_id != thread.author_id]
        assert thread.first_reply_at == (min(others) if others else None)
        if thread.accepted_post_id is not None:
            accepted = next(p for p in replies if p.id == thread.accepted_post_id)
            assert accepted.is_visible and thread.kind == "question" and thread.status in ("answered", "closed")


def test_post_paths_are_built_as_the_discussion_service_builds_them(seeded):
    by_id = {p.id: p for p in db.session.scalars(select(Post))}
    for post in by_id.values():
        own = str(post.id).zfill(PATH_STEP)
        if post.parent_id is None:
            assert (post.path, post.depth) == (own, 0)
            continue
        parent = by_id[post.parent_id]
        if parent.depth < MAX_DEPTH:
            assert (post.path, post.depth) == (f"{parent.path}.{own}", parent.depth + 1)
        else:
            assert (post.path, post.depth) == (f"{parent.path.rsplit('.', 1)[0]}.{own}", parent.depth)
    assert max(p.depth for p in by_id.values()) == MAX_DEPTH


def test_member_counts_and_roles(seeded):
    active = dict(
        _rows(
            select(Membership.community_id, func.count())
            .where(Membership.status == "active")
            .group_by(Membership.community_id)
        )
    )
    for community in db.session.scalars(select(Community)):
        assert community.member_count == active[community.id]
    coordinators = dict(
        _rows(
            select(Membership.community_id, func.count())
            .where(Membership.status == "active", Membership.role == "coordinator")
            .group_by(Membership.community_id)
        )
    )
    assert set(coordinators) == set(active) and all(1 <= n <= 3 for n in coordinators.values())
    statuses = {s for (s,) in _rows(select(Membership.status).distinct())}
    assert {"active", "left", "pending"} <= statuses
    # Zipf-sized communities: the largest is a few times the median.
    sizes = sorted(active.values())
    assert sizes[-1] > 2 * statistics.median(sizes)


def test_documents_have_versions_as_the_library_service_writes_them(seeded):
    for resource in db.session.scalars(select(Resource)):
        numbers = sorted(v.number for v in resource.versions)
        if resource.kind == "document":
            assert numbers == list(range(1, resource.latest_version + 1))
        else:
            assert resource.kind == "link" and numbers == [] and resource.latest_version == 0
            assert resource.url.startswith("https://")


def test_stored_html_is_what_render_markdown_makes_of_the_body(seeded):
    sample = list(db.session.scalars(select(Post).order_by(Post.id).limit(60)))
    sample += list(db.session.scalars(select(ResourceVersion).limit(20)))
    for item in sample:
        assert item.body_html == render_markdown(item.body_md)
    for community in db.session.scalars(select(Community)):
        assert community.charter_html == render_markdown(community.charter_md)
        assert community.guidelines_html == render_markdown(community.guidelines_md)


def test_text_is_zipf_like_and_posts_are_20_to_300_words(seeded):
    bodies = list(db.session.scalars(select(Post.body_md)))
    lengths = [len(body.split()) for body in bodies]
    assert min(lengths) >= 20 and max(lengths) <= 300
    assert 40 <= statistics.median(lengths) <= 90
    words = collections.Counter(w.strip(".,").lower() for body in bodies for w in body.split())
    ranked = [n for _w, n in words.most_common()]
    # Zipf: frequency falls roughly as 1/rank, and most word types are rare.
    assert 1.3 < ranked[0] / ranked[1] < 3.5 and 5 < ranked[0] / ranked[9] < 20
    assert sum(1 for n in ranked if n <= 3) > len(ranked) / 3


def test_reply_counts_are_heavy_tailed_and_timestamps_span_two_years(seeded):
    counts = sorted(db.session.scalars(select(Thread.reply_count)))
    assert counts[-1] == max(data.SHOWCASE_REPLIES) and 50 in counts
    assert statistics.median(counts) < 12 and counts[-3] > 40
    first, last = db.session.execute(select(func.min(Post.created_at), func.max(Post.created_at))).one()
    assert (last - first).days > 500


def test_same_seed_same_data_and_refuses_a_non_empty_database(seeded, tmp_path):
    app, timings = seeded
    assert set(timings) >= {"users", "threads", "resources"}
    with pytest.raises(data.SeedError):
        data.load("small", seed=3, echo=lambda *_: None)
    first = _rows(select(Thread.title, Thread.reply_count).order_by(Thread.id).limit(20))
    other = create_app(make_config(f"sqlite:///{tmp_path / 'again.db'}", str(tmp_path / "instance")))
    with other.app_context():
        db.create_all()
        data.load("small", seed=3, echo=lambda *_: None)
        again = db.session.execute(select(Thread.title, Thread.reply_count).order_by(Thread.id).limit(20)).all()
        db.session.remove()
        db.engine.dispose()
    assert again == first


def test_seed_command_builds_the_index(tmp_path):
    app = create_app(
        make_config(
            f"sqlite:///{tmp_path / 'cli.db'}", str(tmp_path / "instance"), SEARCH_INDEX_DIR=str(tmp_path / "index")
        )
    )
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["cop", "seed", "--size", "small"])
        assert result.exit_code == 0, result.output
        assert "Data loaded in" in result.output and "Indexed" in result.output
        again = app.test_cli_runner().invoke(args=["cop", "seed", "--size", "small", "--no-index"])
        assert again.exit_code == 1 and "not empty" in again.output
        from cop.search import index

        assert index.status()["documents"] == (
            data.SIZES["small"].threads
            + data.SIZES["small"].communities
            + db.session.scalar(select(func.count()).select_from(User).where(User.is_disabled.is_(False)))
            + db.session.scalar(select(func.count()).select_from(Resource).where(Resource.is_deleted.is_(False)))
        )
        db.session.remove()
        db.engine.dispose()


def test_postgresql_gets_the_same_data_vacuumed_and_analysed(seeded, tmp_path):
    """The same seed on PostgreSQL: the same rows, and the tables vacuumed (visibility map set, so
    index-only scans work as on a database in steady use) and analysed after the bulk load."""
    from tests.conftest import temporary_postgres_database

    app, _timings = seeded
    first = _rows(select(Thread.title, Thread.reply_count).order_by(Thread.id).limit(20))
    with temporary_postgres_database() as url:
        other = create_app(make_config(url, str(tmp_path / "instance")))
        with other.app_context():
            db.create_all()
            data.load("small", seed=3, echo=lambda *_: None)
            again = db.session.execute(select(Thread.title, Thread.reply_count).order_by(Thread.id).limit(20)).all()
            vacuumed = (
                db.session.execute(
                    text(
                        "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('posts', 'threads', 'resources') "
                        "AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL ORDER BY relname"
                    )
                )
                .scalars()
                .all()
            )
            db.session.remove()
            db.engine.dispose()
    assert again == first
    assert vacuumed == ["posts", "resources", "threads"]


def test_every_post_has_the_sentiment_the_analyser_gives_its_text(seeded):
    from cop.discussions import sentiment

    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.sentiment.is_(None))) == 0
    for body, score, label in db.session.execute(
        select(Post.body_md, Post.sentiment, Post.sentiment_label).order_by(Post.id).limit(40)
    ):
        assert (score, label) == sentiment.score(body)
    labels = {label for (label,) in db.session.execute(select(Post.sentiment_label).distinct())}
    assert labels == {"negative", "neutral", "positive"}
