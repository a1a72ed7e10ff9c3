"""Post sentiment: exact labels for hand-written posts at write time and on edit, and the backfill."""

from sqlalchemy import select

from cop.discussions import sentiment, services as discussions
from cop.discussions.models import Post, Thread
from cop.extensions import db
from tests.builders import make_community, make_user

POSTS = [
    ("Thanks a lot, this fixed it! Great answer.", 0.807, "positive"),
    ("The deploy failed again and the logs are useless. Very frustrating.", -0.8516, "negative"),
    ("The meeting is on Tuesday at 10:00 in room 4.", 0.0, "neutral"),
    ("This is not good at all.", -0.3412, "negative"),
    ("Good progress, but the tests are still broken.", -0.3182, "negative"),
    # Quoted text and code are someone else's words or machine output: not scored.
    ("> This is terrible\n\nI agree it works well now.", 0.5574, "positive"),
    ("```\nerror: fatal failure\n```\nHow do I read this output?", 0.0, "neutral"),
]


def test_hand_written_posts_get_exact_scores_and_labels():
    for text, expected_score, expected_label in POSTS:
        assert sentiment.score(text) == (expected_score, expected_label), text


def test_labels_follow_the_vader_thresholds():
    assert [sentiment.label_for(x) for x in (-1, -0.05, -0.0499, 0, 0.0499, 0.05, 1)] == [
        "negative",
        "negative",
        "neutral",
        "neutral",
        "neutral",
        "positive",
        "positive",
    ]


def test_posts_are_scored_when_written_and_when_edited(app):
    author, other = make_user(), make_user()
    community = make_community(members=[author, other])
    thread = discussions.create_thread(author, community, title="Deploys", body=POSTS[1][0], kind="problem")
    opening = thread.opening_post
    assert (opening.sentiment, opening.sentiment_label) == (-0.8516, "negative")
    answer = discussions.reply(other, thread, opening, POSTS[0][0])
    assert (answer.sentiment, answer.sentiment_label) == (0.807, "positive")
    discussions.edit_post(author, opening, POSTS[2][0])
    db.session.expire_all()
    assert db.session.execute(select(Post.sentiment, Post.sentiment_label).where(Post.id == opening.id)).one() == (
        0.0,
        "neutral",
    )


def _unscored_posts(texts):
    author = make_user()
    community = make_community(members=[author])
    thread = Thread(community_id=community.id, author_id=author.id, title="Old thread")
    db.session.add(thread)
    db.session.flush()
    posts = [Post(thread_id=thread.id, author_id=author.id, body_md=text, body_html="<p>x</p>") for text in texts]
    db.session.add_all(posts)
    db.session.commit()
    return [p.id for p in posts]


def _scores(ids):
    db.session.expire_all()
    rows = dict(
        (pid, (score, label))
        for pid, score, label in db.session.execute(
            select(Post.id, Post.sentiment, Post.sentiment_label).where(Post.id.in_(ids))
        )
    )
    return [rows[i] for i in ids]


def test_backfill_is_resumable_and_idempotent(app):
    ids = _unscored_posts([text for text, _s, _l in POSTS[:3]])
    assert sentiment.unscored_count() == 3
    calls = []
    # A run stopped after two posts (one per transaction) keeps what it scored...
    assert sentiment.backfill(batch=1, limit=2, progress=calls.append) == 2
    assert calls == [1, 1]
    assert _scores(ids) == [(0.807, "positive"), (-0.8516, "negative"), (None, None)]
    # ...and the next run scores only the rest.
    assert sentiment.backfill() == 1
    assert _scores(ids) == [(s, label) for _t, s, label in POSTS[:3]]
    # Nothing left: a third run changes nothing.
    db.session.execute(Post.__table__.update().where(Post.id == ids[0]).values(sentiment=0.5))
    db.session.commit()
    assert sentiment.backfill() == 0
    assert _scores(ids)[0] == (0.5, "positive")


def test_backfill_command_shows_progress_and_goes_on_where_it_stopped(app, runner):
    ids = _unscored_posts([text for text, _s, _l in POSTS[3:6]])
    first = runner.invoke(args=["cop", "sentiment", "backfill", "--limit", "1"])
    assert first.exit_code == 0, first.output
    assert "Scoring posts" in first.output and "Scored 1 posts; 2 left to score." in first.output
    second = runner.invoke(args=["cop", "sentiment", "backfill"])
    assert "Scored 2 posts; all done." in second.output
    again = runner.invoke(args=["cop", "sentiment", "backfill"])
    assert "Scored 0 posts; all done." in again.output
    assert _scores(ids) == [(s, label) for _t, s, label in POSTS[3:6]]
