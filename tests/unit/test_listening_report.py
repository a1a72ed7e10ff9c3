"""The report's sentiment section on a hand-built data set, with the exact numbers written out.

Runs on SQLite and PostgreSQL. Scores are set by hand (the analyser itself is
tested in ``test_sentiment.py``). Current period [2026-03-01 12:00, 2026-03-31 12:00),
previous [2026-01-30 12:00, 2026-03-01 12:00); the trend window is the 12 weeks
from 2026-01-06 12:00, so week 5 starts 02-10 12:00, week 7 02-24, week 8 03-03,
week 9 03-10, week 10 03-17 and week 11 03-24.
"""

import csv
import io
from datetime import datetime, timedelta

import pytest

from cop.discussions.models import Post, Thread, ThreadFiveWs
from cop.extensions import db
from cop.oversight.export import listening_csv
from cop.oversight.listening import listening_report, voice_sentiment
from cop.oversight.periods import Period
from cop.tags.models import get_or_create_tags
from tests.builders import add_membership, make_community, make_user
from tests.conftest import fresh_app_context

NOW = datetime(2026, 3, 31, 12, 0)
PERIOD = Period.last(30, NOW)


def at(month, day, hour=12):
    return datetime(2026, month, day, hour)


def thread(community, author, created, score, label, kind="question", status="open", tags=()):
    t = Thread(
        community_id=community.id,
        author_id=author.id,
        title=f"{kind} {score}",
        kind=kind,
        status=status,
        created_at=created,
        last_activity_at=created,
    )
    t.tags = get_or_create_tags(list(tags))
    db.session.add(t)
    db.session.flush()
    opening = Post(
        thread_id=t.id,
        author_id=author.id,
        body_md="q",
        body_html="<p>q</p>",
        created_at=created,
        sentiment=score,
        sentiment_label=label,
    )
    db.session.add(opening)
    db.session.flush()
    t.opening_post_id = opening.id
    return t


def reply(t, author, created, score, label, deleted=False):
    db.session.add(
        Post(
            thread_id=t.id,
            author_id=author.id,
            parent_id=t.opening_post_id,
            body_md="a",
            body_html="<p>a</p>",
            created_at=created,
            is_deleted=deleted,
            sentiment=score,
            sentiment_label=label,
        )
    )
    t.reply_count += 1
    if not deleted and author.id != t.author_id and t.first_reply_at is None:
        t.first_reply_at = created


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request, tmp_path_factory):
    with fresh_app_context(request.param, tmp_path_factory.mktemp("listening")):
        yield _build()


def _build():
    ann, bob, insider = make_user(name="Ann"), make_user(name="Bob"), make_user(name="Insider")
    guild = make_community("guild", members=[ann, bob])
    guild.domain_tags = get_or_create_tags(["python"])
    other = make_community("other")
    secret = make_community("secret", visibility="private")
    add_membership(secret, insider, commit=False)
    # Previous period.
    p1 = thread(guild, ann, at(2, 10), 0.4, "positive")
    reply(p1, bob, at(2, 11), -0.2, "negative")
    thread(guild, ann, at(2, 15), -0.95, "negative", status="closed")
    # On the boundary: the first instant of the current period counts in it.
    reply(p1, bob, at(3, 1), 0.3, "positive")
    # Current period.
    t1 = thread(guild, ann, at(3, 5), -0.6, "negative")
    t2 = thread(guild, ann, at(3, 10), -0.8, "negative")
    reply(t2, bob, at(3, 11), 0.5, "positive")
    t3 = thread(guild, ann, at(3, 20), 0.0, "neutral", kind="discussion")
    reply(t3, bob, at(3, 21), 0.9, "positive")
    reply(t3, bob, at(3, 22), -0.9, "negative", deleted=True)  # deleted: not counted
    reply(t3, bob, at(3, 31), -0.5, "negative")  # the end of the period: not in it
    t4 = thread(guild, bob, at(3, 25), -0.3, "negative", kind="problem", tags=["python"])
    thread(guild, bob, at(3, 26), None, None)  # written before scoring: not scored yet
    thread(guild, bob, at(3, 27), -0.9, "negative", kind="announcement")
    # The voice on #python elsewhere: an open community and a private one.
    thread(other, ann, at(3, 15), 0.6, "positive", tags=["python"])
    thread(secret, insider, at(3, 15), -0.7, "negative", tags=["python"])
    # The 5 W's, in a community of their own.
    asks = make_community("asks")
    for created, kind, with_ws, reply_hours in (
        (at(3, 2), "question", True, 2),
        (at(3, 3), "problem", True, 4),
        (at(3, 4), "question", False, 10),
        (at(3, 5), "question", False, None),
        (at(3, 6), "idea", False, 1),
        (at(2, 20), "question", True, None),
    ):
        t = thread(asks, ann, created, 0.0, "neutral", kind=kind)
        if with_ws:
            db.session.add(ThreadFiveWs(thread_id=t.id, who="Night shift", what="VPN drops"))
        if reply_hours is not None:
            t.first_reply_at = created + timedelta(hours=reply_hours)
    db.session.commit()
    return dict(guild=guild, t1=t1, t4=t4, insider=insider, ann=ann, asks=asks)


def test_distribution_and_comparison(world):
    report = listening_report(world["guild"], PERIOD)
    now, before = report.current, report.previous
    assert (now.negative, now.neutral, now.positive, now.unscored) == (4, 1, 3, 1)
    assert (before.negative, before.neutral, before.positive, before.unscored) == (2, 0, 1, 0)
    assert (now.mean, before.mean) == (-0.11, -0.25)  # -0.9 / 8 and -0.75 / 3
    figures = {f.key: (f.value, f.previous, f.change, f.verdict) for f in report.figures}
    assert figures == {
        "sentiment_positive": (37.5, 33.3, 4.2, "better"),
        "sentiment_negative": (50.0, 66.7, -16.7, "better"),
        "sentiment_mean": (-0.11, -0.25, 0.14, "better"),
    }


def test_weekly_trend(world):
    trend = listening_report(world["guild"], PERIOD).trend
    assert len(trend) == 12 and trend[0].start == datetime(2026, 1, 6, 12) and trend[-1].end == NOW
    by_week = {
        i: (w.mix.negative, w.mix.neutral, w.mix.positive, w.mix.unscored)
        for i, w in enumerate(trend)
        if w.mix.scored or w.mix.unscored
    }
    assert by_week == {
        5: (2, 0, 1, 0),
        7: (0, 0, 1, 0),
        8: (1, 0, 0, 0),
        9: (1, 0, 1, 0),
        10: (0, 1, 1, 0),
        11: (2, 0, 0, 1),
    }
    assert [w.mix.share("negative") for w in trend] == [None] * 5 + [66.7, None, 0.0, 100.0, 50.0, 0.0, 100.0]


def test_needs_attention_lists_open_unanswered_negative_threads_most_negative_first(world):
    items = listening_report(world["guild"], PERIOD).needs_attention
    assert [(i.thread_id, i.sentiment) for i in items] == [(world["t1"].id, -0.6), (world["t4"].id, -0.3)]


def test_voice_sentiment_counts_only_what_the_viewer_may_read(world):
    outside = listening_report(world["guild"], PERIOD, world["ann"]).voice
    assert outside.tags == ["python"]
    assert (outside.here.negative, outside.here.positive, outside.here.mean) == (1, 0, -0.3)
    assert (outside.everywhere.negative, outside.everywhere.positive, outside.everywhere.mean) == (1, 1, 0.15)
    inside = listening_report(world["guild"], PERIOD, world["insider"]).voice
    assert (inside.everywhere.negative, inside.everywhere.positive, inside.everywhere.mean) == (2, 1, -0.13)


def test_voice_sentiment_is_folded_from_the_share_of_voice_without_a_query(world):
    """The sponsor report's share-of-voice statement also counts the posts by sentiment: the listening
    report folds its voice section from it (same figures as its own query, for each kind of viewer)."""
    from sqlalchemy import event

    from cop.oversight.sections import share_of_voice

    for viewer in (None, world["ann"], world["insider"]):
        share = share_of_voice(world["guild"], PERIOD, viewer)
        statements = []

        def listener(conn, cursor, statement, parameters, context, executemany, statements=statements):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            folded = voice_sentiment(world["guild"], PERIOD, viewer, share)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert statements == []
        assert folded == voice_sentiment(world["guild"], PERIOD, viewer)
        assert folded.everywhere.scored > 0
    inside = listening_report(
        world["guild"], PERIOD, world["insider"], share_of_voice(world["guild"], PERIOD, world["insider"])
    ).voice
    assert (inside.everywhere.negative, inside.everywhere.positive, inside.everywhere.mean) == (2, 1, -0.13)


def test_csv_blocks(world):
    rows = list(csv.reader(io.StringIO(listening_csv(listening_report(world["guild"], PERIOD)))))
    assert ["Sentiment", "Negative posts", "%", "50.0", "66.7", "-16.7"] in rows
    assert ["Sentiment mix", "This period", "4", "1", "3", "1"] in rows
    assert ["Sentiment trend", "2026-03-24 12:00", "2026-03-31 12:00", "2", "0", "0", "-0.6"] in rows


def test_five_ws_share_and_time_to_first_reply(world):
    report = listening_report(world["asks"], PERIOD)
    use, before = report.five_ws, report.five_ws_previous
    assert (use.threads, use.with_template, use.share) == (4, 2, 50.0)  # the idea is not counted
    assert (use.median_first_reply_with, use.median_first_reply_without) == (3.0, 10.0)
    assert (before.threads, before.with_template, before.share) == (1, 1, 100.0)
    assert (before.median_first_reply_with, before.median_first_reply_without) == (None, None)
    assert report.five_ws_figure.change == -50.0
