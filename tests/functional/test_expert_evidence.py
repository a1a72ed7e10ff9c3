"""The experts' evidence table follows every write that changes it, in the write's transaction, and the
rebuild (``flask cop experts rebuild``) computes the same rows (SQLite and PostgreSQL).

After each write the table is compared with the rows it summarises *and* with the change expected, so
a write whose hook is missing (the table left behind) fails twice over.
"""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from cop.discussions import services as discussions
from cop.discussions.models import Post
from cop.extensions import db
from cop.library import services as library
from cop.reactions import services as reactions
from cop.tags import evidence, services as tags
from cop.tags.models import Tag, get_or_create_tags
from tests.builders import make_community, make_user


def _evidence(check: bool = True) -> Counter:
    """Stored evidence as (user name, tag, community slug, kind) -> count over all months; checked
    against a recomputation first (and the bounds against the evidence)."""
    connection = db.session.connection()
    stored = evidence.stored(connection)
    assert evidence.bounds_hold(connection)
    assert not check or stored == evidence.computed(connection)
    names = {t.id: t.name for t in db.session.scalars(select(Tag))}
    from cop.accounts.models import User
    from cop.communities.models import Community

    people = {u.id: u.display_name for u in db.session.scalars(select(User))}
    slugs = {c.id: c.slug for c in db.session.scalars(select(Community))}
    out: Counter = Counter()
    for (tag_id, community_id, user_id, kind, _month), n in stored.items():
        out[(people[user_id], names[tag_id], slugs[community_id], kind)] += n
    return out


@pytest.fixture
def world(app):
    asker, ann, bob = make_user(name="Asker"), make_user(name="Ann"), make_user(name="Bob")
    coordinator = make_user(name="Coord")
    guild = make_community("guild", members=[asker, ann, bob], coordinators=[coordinator])
    other = make_community("other", members=[asker, ann, bob], coordinators=[coordinator])
    question = discussions.create_thread(asker, guild, title="Fixtures?", body="How?", kind="question", tags="pytest")
    return dict(asker=asker, ann=ann, bob=bob, coordinator=coordinator, guild=guild, other=other, question=question)


def test_posts_answers_and_helpful_marks(world):
    asker, ann, bob, question = world["asker"], world["ann"], world["bob"], world["question"]
    assert _evidence() == {("Asker", "pytest", "guild", "post"): 1}

    answer = discussions.reply(ann, question, question.opening_post, "Use a fixture.")
    assert _evidence()[("Ann", "pytest", "guild", "post")] == 1

    discussions.set_accepted(asker, question, answer)
    assert _evidence()[("Ann", "pytest", "guild", "accepted")] == 1

    reactions.toggle(bob, answer, "helpful")
    reactions.toggle(bob, answer, "thumbs_up")  # not evidence
    assert _evidence()[("Ann", "pytest", "guild", "helpful")] == 1

    reactions.toggle(bob, answer, "helpful")  # taken back
    assert ("Ann", "pytest", "guild", "helpful") not in _evidence()

    discussions.set_accepted(asker, question, None)
    assert ("Ann", "pytest", "guild", "accepted") not in _evidence()

    discussions.delete_post(ann, answer)
    assert _evidence() == {("Asker", "pytest", "guild", "post"): 1}


def test_a_hidden_post_and_a_removed_thread(world):
    ann, question, coordinator = world["ann"], world["question"], world["coordinator"]
    answer = discussions.reply(ann, question, question.opening_post, "Use a fixture.")
    discussions.set_accepted(world["asker"], question, answer)
    flag = discussions.flag_post(world["bob"], answer, discussions.guideline_choices(world["guild"])[0][0])
    discussions.decide_flag(coordinator, flag, hide=True)
    assert _evidence() == {("Asker", "pytest", "guild", "post"): 1}

    discussions.delete_post(world["asker"], question.opening_post)  # the whole thread goes
    assert _evidence() == {}


def test_thread_moved_retagged_and_a_post_moved(world):
    ann, question = world["ann"], world["question"]
    discussions.reply(ann, question, question.opening_post, "Use a fixture.")
    discussions.move_thread(world["coordinator"], question, world["other"])
    assert _evidence() == {("Asker", "pytest", "other", "post"): 1, ("Ann", "pytest", "other", "post"): 1}

    question.tags = get_or_create_tags(["pytest", "unittest"])  # a retag, as an edit would make it
    db.session.commit()
    assert _evidence()[("Ann", "unittest", "other", "post")] == 1
    assert _evidence()[("Ann", "pytest", "other", "post")] == 1

    elsewhere = discussions.create_thread(world["bob"], world["guild"], title="Java?", body="?", tags="java")
    post = db.session.scalar(select(Post).where(Post.thread_id == question.id, Post.author_id == ann.id))
    post.thread_id = elsewhere.id  # moved to another thread
    db.session.commit()
    got = _evidence()
    assert got[("Ann", "java", "guild", "post")] == 1 and ("Ann", "pytest", "other", "post") not in got


def test_resources_created_retagged_and_deleted(world):
    ann = world["ann"]
    resource = library.add_link(ann, world["guild"], title="Guide", url="https://example.com/guide", tags="pytest")
    assert _evidence()[("Ann", "pytest", "guild", "resource")] == 1

    library.update_resource(ann, resource, title="Guide", url="https://example.com/guide", tags="testing")
    got = _evidence()
    assert got[("Ann", "testing", "guild", "resource")] == 1 and ("Ann", "pytest", "guild", "resource") not in got

    library.delete_resource(world["coordinator"], resource)
    assert ("Ann", "testing", "guild", "resource") not in _evidence()


def test_a_tag_merge_moves_the_evidence(world, app):
    admin = make_user(name="Admin", admin=True)
    discussions.create_thread(world["bob"], world["guild"], title="Py?", body="?", tags="py-test")
    tags.merge_tags(admin, tags.get_tag("py-test"), tags.get_tag("pytest"))
    assert _evidence() == {("Asker", "pytest", "guild", "post"): 1, ("Bob", "pytest", "guild", "post"): 1}


def test_rebuild_command_equals_the_maintained_rows(world, runner):
    discussions.reply(world["ann"], world["question"], world["question"].opening_post, "Use a fixture.")
    library.add_link(world["ann"], world["guild"], title="Guide", url="https://example.com/g", tags="pytest")
    maintained = evidence.stored(db.session.connection())
    db.session.commit()
    result = runner.invoke(args=["cop", "experts", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "evidence rows" in result.output
    assert evidence.stored(db.session.connection()) == maintained and len(maintained) == 3
    db.session.execute(evidence.ExpertEvidence.__table__.delete())  # lost: the rebuild puts it back
    db.session.commit()
    assert runner.invoke(args=["cop", "experts", "rebuild"]).exit_code == 0
    assert evidence.stored(db.session.connection()) == maintained


@pytest.mark.parametrize("backend", ["sqlite"])  # the same SQL on both
def test_the_demo_fills_the_table(app, runner):
    assert runner.invoke(args=["cop", "demo"]).exit_code == 0
    connection = db.session.connection()
    assert len(evidence.stored(connection)) > 20 and evidence.stored(connection) == evidence.computed(connection)


def test_before_the_first_rebuild_a_removal_takes_away_only_what_was_counted(world):
    ann, question = world["ann"], world["question"]
    old = discussions.reply(ann, question, question.opening_post, "An old answer.")
    old.created_at -= timedelta(days=70)  # another month: its own row
    db.session.commit()
    db.session.execute(evidence.ExpertEvidence.__table__.delete())  # as just after the migration
    db.session.execute(evidence.ExpertBound.__table__.delete())
    db.session.commit()
    discussions.reply(ann, question, question.opening_post, "A new answer.")
    discussions.delete_post(ann, old)  # never counted: nothing to take away, the new answer's bound stays
    assert _evidence(check=False) == {("Ann", "pytest", "guild", "post"): 1}
    bound = db.session.scalar(select(evidence.ExpertBound.bound).where(evidence.ExpertBound.user_id == ann.id))
    assert bound == 1.0
