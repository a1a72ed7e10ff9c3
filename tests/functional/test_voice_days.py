"""The share of voice per tag and day (``voice_days``) follows every write that changes it, in the write's
transaction, and the share read from it equals the posts counted one by one, for periods on and off
day boundaries, threads with several of the tags and readers who may not read every community
(SQLite and PostgreSQL).
"""

import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from cop import permissions
from cop.discussions import sentiment, services as discussions
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.oversight import voice
from cop.oversight.periods import Period
from cop.oversight.sections import share_of_voice
from cop.tags import services as tags
from cop.tags.models import Tag, get_or_create_tags
from tests.builders import make_community, make_user

START = datetime(2026, 3, 1, 9, 30)


def _voice() -> Counter:
    """Stored posts as (tag name, community slug or "*", label) -> posts over all days, checked against
    a recomputation from the posts first."""
    connection = db.session.connection()
    stored = voice.stored(connection)
    assert stored == voice.computed(connection)
    names = {t.id: t.name for t in db.session.scalars(select(Tag))}
    from cop.communities.models import Community

    slugs = {c.id: c.slug for c in db.session.scalars(select(Community))} | {voice.EVERY_COMMUNITY: "*"}
    out: Counter = Counter()
    for (tag_id, community_id, _day, label), (posts, _score) in stored.items():
        out[(names[tag_id], slugs[community_id], label)] += posts
    return out


@pytest.fixture
def world(app):
    ann, bob, coordinator = make_user(name="Ann"), make_user(name="Bob"), make_user(name="Coord")
    guild = make_community("guild", members=[ann, bob], coordinators=[coordinator])
    other = make_community("other", members=[ann, bob], coordinators=[coordinator])
    return dict(ann=ann, bob=bob, coordinator=coordinator, guild=guild, other=other)


def test_every_write_keeps_the_days_current(world):
    ann, bob, guild, other = world["ann"], world["bob"], world["guild"], world["other"]
    thread = discussions.create_thread(ann, guild, title="Fixtures?", body="I love fixtures.", tags="pytest")
    assert _voice() == {("pytest", "guild", "positive"): 1, ("pytest", "*", "positive"): 1}

    answer = discussions.reply(bob, thread, thread.opening_post, "Plain text.")
    assert _voice()[("pytest", "guild", "neutral")] == 1

    discussions.edit_post(bob, answer, "This is awful and terrible.")  # scored again
    got = _voice()
    assert got[("pytest", "guild", "negative")] == 1 and ("pytest", "guild", "neutral") not in got

    flag = discussions.flag_post(ann, answer, discussions.guideline_choices(guild)[0][0])
    discussions.decide_flag(world["coordinator"], flag, hide=True)
    assert ("pytest", "guild", "negative") not in _voice()

    second = discussions.reply(bob, thread, thread.opening_post, "Plain again.")
    discussions.move_thread(world["coordinator"], thread, other)
    got = _voice()
    assert got[("pytest", "other", "neutral")] == 1 and not any(key[1] == "guild" for key in got)

    thread.tags = get_or_create_tags(["pytest", "unittest"])  # a retag, as an edit would make it
    db.session.commit()
    assert _voice()[("unittest", "other", "neutral")] == 1

    post = db.session.get(Post, second.id)
    post.created_at = post.created_at - timedelta(days=3)  # another day
    db.session.commit()
    assert sum(1 for key in voice.stored(db.session.connection()) if key[2] == post.created_at.date()) == 4

    discussions.delete_post(bob, second)
    assert ("unittest", "other", "neutral") not in _voice()

    discussions.delete_post(ann, thread.opening_post)  # the whole thread goes
    assert _voice() == {}


def test_a_tag_merge_and_scores_written_in_bulk(world):
    ann, guild = world["ann"], world["guild"]
    discussions.create_thread(ann, guild, title="One", body="Fine words.", tags="py-test")
    kept = discussions.create_thread(ann, guild, title="Two", body="Fine words.", tags="pytest, py-test")
    admin = make_user(name="Admin", admin=True)
    tags.merge_tags(admin, tags.get_tag("py-test"), tags.get_tag("pytest"))
    assert _voice() == {("pytest", "guild", "positive"): 2, ("pytest", "*", "positive"): 2}

    # Posts written before sentiment existed, scored by the backfill's bulk UPDATE.
    db.session.execute(update(Post).where(Post.thread_id == kept.id).values(sentiment=None, sentiment_label=None))
    voice.rebuild(db.session.connection())
    db.session.commit()
    assert _voice()[("pytest", "guild", "")] == 1
    assert sentiment.backfill() == 1
    assert _voice() == {("pytest", "guild", "positive"): 2, ("pytest", "*", "positive"): 2}


def _counted(community, tag_ids, period: Period, readable) -> list[tuple]:
    """The share's rows counted post by post: every visible post of a live thread with one of the tags."""
    previous = period.previous()
    sums: dict[tuple, list] = {}
    for post, thread in db.session.execute(select(Post, Thread).join(Thread, Thread.id == Post.thread_id)):
        if post.is_deleted or post.is_hidden or thread.is_deleted:
            continue
        if not {t.id for t in thread.tags} & set(tag_ids):
            continue
        if readable is not None and thread.community_id not in readable and thread.community_id != community.id:
            continue
        if not previous.start <= post.created_at < period.end:
            continue
        key = (int(post.created_at >= period.start), int(thread.community_id == community.id), post.sentiment_label)
        cell = sums.setdefault(key, [0, 0.0])
        cell[0] += 1
        cell[1] += post.sentiment or 0
    return sorted((w, own, label, n, score) for (w, own, label), (n, score) in sums.items())


def _rows(community, tag_ids, period, readable):
    rows = voice.share_rows(db.session.connection(), community.id, tag_ids, period, readable)
    return sorted(rows, key=lambda r: (r[0], r[1], r[2] or ""))


def test_the_share_equals_the_posts_counted_one_by_one(world):
    ann, bob, guild, other = world["ann"], world["bob"], world["guild"], world["other"]
    hidden = make_community("hidden", visibility="private", members=[bob])
    rng = random.Random(7)
    words = ["good", "bad", "fine", "awful", "great", "plain"]
    threads = []
    for n in range(12):
        community = (guild, other, hidden)[n % 3]
        author = bob if community is hidden else ann
        chosen = rng.sample(["python", "testing", "java", "ops"], rng.randint(1, 3))
        thread = discussions.create_thread(
            author, community, title=f"Thread {n}", body=rng.choice(words), tags=", ".join(chosen)
        )
        threads.append(thread)
        for _ in range(rng.randint(0, 4)):
            discussions.reply(author, thread, thread.opening_post, f"{rng.choice(words)} {rng.choice(words)}")
    # Spread the posts over three weeks at any hour, through the ORM (the hooks follow created_at too).
    for post in db.session.scalars(select(Post)):
        post.created_at = START + timedelta(minutes=rng.randrange(0, 21 * 24 * 60))
    db.session.commit()
    discussions.delete_post(ann, threads[0].opening_post)
    _voice()

    python, testing = (tags.get_tag(name).id for name in ("python", "testing"))
    periods = [
        Period.custom(START.date() + timedelta(days=7), START.date() + timedelta(days=13)),  # whole days
        Period(START + timedelta(days=9, hours=5), START + timedelta(days=16, hours=1)),  # "the last N days"
        Period(START + timedelta(days=10, hours=2), START + timedelta(days=10, hours=20)),  # within one day
        Period(START + timedelta(days=8, hours=23), START + timedelta(days=10, hours=1)),  # a day between
    ]
    member_reads = permissions.readable_community_ids(ann)
    assert hidden.id not in member_reads
    checked = 0
    for period in periods:
        for tag_ids in ([python], [python, testing]):
            for readable in (None, member_reads):
                expected = _counted(guild, tag_ids, period, readable)
                got = _rows(guild, tag_ids, period, readable)
                assert [r[:4] for r in got] == [r[:4] for r in expected], (period, tag_ids, readable)
                assert [r[4] for r in got] == pytest.approx([r[4] for r in expected])
                checked += sum(r[3] for r in got)
    assert checked > 50  # the periods hold posts, several threads carry both tags


def test_the_report_reads_the_days(world):
    ann, guild = world["ann"], world["guild"]
    guild.domain_tags = get_or_create_tags(["python"])
    db.session.commit()
    thread = discussions.create_thread(ann, guild, title="Py", body="Fine.", tags="python")
    discussions.reply(ann, thread, thread.opening_post, "Fine again.")
    db.session.execute(update(voice.VoiceDay).values(posts=voice.VoiceDay.posts * 10))  # what is stored is read
    share = share_of_voice(guild, Period.custom(thread.created_at.date(), thread.created_at.date()))
    assert (share.posts, share.all_posts) == (20, 20)


def test_check_and_rebuild_commands(world, runner):
    ann, guild = world["ann"], world["guild"]
    discussions.create_thread(ann, guild, title="Py", body="Fine.", tags="python")
    result = runner.invoke(args=["cop", "voice", "check"])
    assert result.exit_code == 0 and "All 2 share-of-voice rows match" in result.output
    db.session.execute(update(voice.VoiceDay).values(posts=voice.VoiceDay.posts + 1))  # drifted
    db.session.commit()
    result = runner.invoke(args=["cop", "voice", "check"])
    assert result.exit_code == 1 and "2 of 2 share-of-voice rows differ" in result.output
    result = runner.invoke(args=["cop", "voice", "rebuild"])
    assert result.exit_code == 0 and "Wrote 2 share-of-voice rows" in result.output
    assert runner.invoke(args=["cop", "voice", "check"]).exit_code == 0
