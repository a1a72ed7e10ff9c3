"""Sentiment of a post: VADER's compound score and a label, computed offline.

VADER (``vaderSentiment``) is a lexicon- and rule-based analyser tuned for
short, informal English; its lexicon ships inside the package, so nothing is
downloaded at run time. Its limits (stated on the report page): English only,
no sarcasm or irony, no domain knowledge ("the build is green" reads neutral),
and negation or contrast across long sentences is approximate.

What is scored is the post's own words: fenced and inline code, block quotes
(someone else's words) and link targets are left out first.
"""

from __future__ import annotations

import re
from functools import lru_cache

# VADER's authors' thresholds for the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
LABELS = ("negative", "neutral", "positive")
# Scoring is linear in the text; a very long post is judged on its beginning.
MAX_SCORED_CHARS = 5_000
LIMITS_TEXT = (
    "Scores come from VADER, a word-list analyser for English: it does not understand other "
    'languages, sarcasm or irony, or what is good news in a field ("the build is green" reads '
    "neutral), and quotes and code are left out. Read the figures as a trend, not a verdict on a post."
)

_FENCED = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\([^)\s]*\)")
_BARE_URL = re.compile(r"https?://\S+")


@lru_cache(maxsize=1)
def _analyser():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def own_words(markdown: str) -> str:
    """The text of a post worth scoring: without code, quoted lines and link targets."""
    text = _FENCED.sub(" ", markdown or "")
    text = _QUOTE_LINE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _LINK_TARGET.sub("]", text)
    text = _BARE_URL.sub(" ", text)
    return text[:MAX_SCORED_CHARS]


def label_for(compound: float) -> str:
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def score(markdown: str) -> tuple[float, str]:
    """``(compound score in [-1, 1], label)`` of a post's Markdown."""
    text = own_words(markdown)
    compound = round(float(_analyser().polarity_scores(text)["compound"]), 4) if text.strip() else 0.0
    return compound, label_for(compound)


def apply(post) -> None:
    """Set ``post.sentiment`` and ``post.sentiment_label`` from its Markdown (write time and edits)."""
    post.sentiment, post.sentiment_label = score(post.body_md)


# --- scoring posts written before sentiment existed ---------------------------------------------

BACKFILL_BATCH = 500


def unscored_count() -> int:
    """How many posts have no sentiment yet."""
    from sqlalchemy import func, select

    from cop.discussions.models import Post
    from cop.extensions import db

    return db.session.scalar(select(func.count()).select_from(Post).where(Post.sentiment.is_(None))) or 0


def backfill(*, batch: int = BACKFILL_BATCH, limit: int | None = None, progress=None) -> int:
    """Score the posts that have no sentiment yet, ``batch`` at a time, committing after each batch.

    Resumable and idempotent: only unscored posts are read (in id order, from
    the last id done), so a run stopped halfway loses at most one batch of
    work and a second run finds nothing to do. ``limit``: stop after that many
    posts. ``progress(n)`` is called after each batch. Returns the number scored.
    """
    from sqlalchemy import bindparam, select, update

    from cop import rollups
    from cop.discussions.models import Post
    from cop.extensions import db

    done, after = 0, 0
    stmt = (
        update(Post)
        .where(Post.id == bindparam("pid"))
        .values(sentiment=bindparam("score"), sentiment_label=bindparam("label"))
    )
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        rows = db.session.execute(
            select(Post.id, Post.body_md).where(Post.sentiment.is_(None), Post.id > after).order_by(Post.id).limit(size)
        ).all()
        if not rows:
            break
        values = []
        for pid, body in rows:
            compound, label = score(body)
            values.append({"pid": pid, "score": compound, "label": label})
        connection = db.session.connection()
        threads = set(connection.scalars(select(Post.thread_id).where(Post.id.in_([pid for pid, _body in rows]))))
        with rollups.track(connection, threads):  # a Core UPDATE: the session's hooks do not see it
            connection.execute(stmt, values)
        db.session.commit()
        after = rows[-1][0]
        done += len(rows)
        if progress:
            progress(len(rows))
    return done
