"""Listening: the mood of a community's posts (sentiment) for the sponsor report.

Read-only query functions in the style of ``cop.oversight.metrics``: every
count and average is computed in SQL with expressions that run unchanged on
SQLite and PostgreSQL, and nothing here writes.

Definitions, shown on the report page too:

* Each post carries VADER's compound score in [-1, 1] and a label: positive
  at 0.05 and above, negative at -0.05 and below, neutral between
  (``cop.discussions.sentiment``). Posts are counted as in the report (neither
  deleted nor hidden, in threads that are not deleted); posts not scored yet
  (before a backfill) are counted apart as *not scored*.
* **Needs attention**: open threads (not announcements) opened before the
  end of the period that nobody but their author has answered yet, whose
  opening post reads negative; the most negative first.
* **The 5 W's**: of the questions and problems started in the period (not
  deleted), the share opened with the 5 W's template, and the median time to
  first reply (by someone other than the author) of those with and without it.
* **Sentiment of the voice**: on the community's domain tags, the mix of the
  posts written here beside the mix of all posts on those tags in the
  communities the viewer may read.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import DateTime, Integer, bindparam, case, func, or_, select

from cop.communities.models import community_domain_tags
from cop.discussions.models import FIVE_WS_KINDS, Post, Thread, ThreadFiveWs, thread_tags
from cop.discussions.sentiment import LIMITS_TEXT
from cop.extensions import db
from cop.oversight.metrics import Figure, percent, to_hours
from cop.oversight.periods import Period, trend_window
from cop.oversight.sections import ShareOfVoice
from cop.oversight.sql import (
    flag,
    is_current,
    median_ranked,
    readable_ids,
    seconds_between,
    visible_post,
    whole_weeks,
    within,
)

ATTENTION_LIMIT = 10


@dataclass(frozen=True)
class SentimentMix:
    """Posts by sentiment label, with the mean score of the scored ones."""

    negative: int = 0
    neutral: int = 0
    positive: int = 0
    unscored: int = 0
    score_sum: float = 0.0  # of the scored posts' compound scores

    @property
    def scored(self) -> int:
        return self.negative + self.neutral + self.positive

    @property
    def mean(self) -> float | None:
        """Mean compound score of the scored posts (two decimals), None when none is scored."""
        return round(self.score_sum / self.scored, 2) if self.scored else None

    def __add__(self, other: SentimentMix) -> SentimentMix:
        return SentimentMix(
            self.negative + other.negative,
            self.neutral + other.neutral,
            self.positive + other.positive,
            self.unscored + other.unscored,
            self.score_sum + other.score_sum,
        )

    def share(self, label: str) -> float | None:
        """Percent of the scored posts with ``label`` (one decimal), None when none is scored."""
        return percent(getattr(self, label), self.scored)


@dataclass(frozen=True)
class SentimentWeek:
    start: datetime
    end: datetime
    mix: SentimentMix


@dataclass(frozen=True)
class AttentionThread:
    thread_id: int
    title: str
    kind: str
    created_at: datetime
    sentiment: float
    author_name: str | None


@dataclass(frozen=True)
class VoiceSentiment:
    tags: list[str]
    here: SentimentMix
    everywhere: SentimentMix


@dataclass(frozen=True)
class FiveWsUse:
    """Questions and problems started in a period, and those opened with the 5 W's."""

    threads: int = 0
    with_template: int = 0
    median_first_reply_with: float | None = None  # hours
    median_first_reply_without: float | None = None

    @property
    def share(self) -> float | None:
        return percent(self.with_template, self.threads)


@dataclass(frozen=True)
class ListeningReport:
    period: Period
    current: SentimentMix
    previous: SentimentMix
    trend: list[SentimentWeek]
    needs_attention: list[AttentionThread]
    voice: VoiceSentiment
    five_ws: FiveWsUse = FiveWsUse()
    five_ws_previous: FiveWsUse = FiveWsUse()
    limits: str = LIMITS_TEXT

    @property
    def five_ws_figure(self) -> Figure:
        return Figure(
            "five_ws_share",
            "Questions and problems opened with the 5 W's",
            "percent",
            "higher",
            self.five_ws.share,
            self.five_ws_previous.share,
        )

    @property
    def figures(self) -> list[Figure]:
        """Positive share, negative share and mean score, beside the previous period."""
        return [
            Figure(
                "sentiment_positive",
                "Positive posts",
                "percent",
                "higher",
                self.current.share("positive"),
                self.previous.share("positive"),
                "Share of the scored posts that read positive.",
            ),
            Figure(
                "sentiment_negative",
                "Negative posts",
                "percent",
                "lower",
                self.current.share("negative"),
                self.previous.share("negative"),
                "Share of the scored posts that read negative.",
            ),
            Figure(
                "sentiment_mean",
                "Mean sentiment score",
                "ratio",
                "higher",
                self.current.mean,
                self.previous.mean,
                "VADER compound score from -1 (most negative) to +1 (most positive).",
            ),
        ]


def _mixes(rows, key_count: int) -> dict[tuple, SentimentMix]:
    """Fold ``(*keys, label, count, sum of scores)`` rows into one ``SentimentMix`` per key."""
    grouped: dict[tuple, dict] = {}
    for row in rows:
        keys, (label, count, total) = tuple(int(k) for k in row[:key_count]), row[key_count:]
        entry = grouped.setdefault(keys, {"counts": {}, "unscored": 0, "sum": 0.0})
        if label is None:
            entry["unscored"] += int(count)
        else:
            entry["counts"][label] = int(count)
            entry["sum"] += float(total or 0)
    return {
        keys: SentimentMix(
            e["counts"].get("negative", 0),
            e["counts"].get("neutral", 0),
            e["counts"].get("positive", 0),
            e["unscored"],
            e["sum"],
        )
        for keys, e in grouped.items()
    }


def _bound(name: str) -> datetime:
    """A bound parameter standing for one end of a ``Period`` in the statements cached below: the time is
    given when the statement runs (mypy is told it is the datetime it stands for)."""
    return cast(datetime, bindparam(name, type_=DateTime))


@functools.lru_cache(maxsize=8)
def _sentiment_statements(dialect: str) -> tuple:
    """``sentiment_mix``'s and ``sentiment_trend``'s statements, built once per dialect (community ``cid``,
    periods ``cur_start``/``cur_end``/``prev_start`` and the trend window ``w_start``/``w_end`` bound)."""
    cid = bindparam("cid", type_=Integer)
    current = Period(_bound("cur_start"), _bound("cur_end"))
    span = Period(_bound("prev_start"), current.end)
    rows = (
        select(
            is_current(Post.created_at, current).label("w"),
            Post.sentiment_label.label("label"),
            Post.sentiment.label("score"),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.community_id == cid, visible_post(), within(Post.created_at, span))
        .subquery()
    )
    mix = select(rows.c.w, rows.c.label, func.count(), func.sum(rows.c.score)).group_by(rows.c.w, rows.c.label)
    window = Period(_bound("w_start"), _bound("w_end"))
    rows = (
        select(
            whole_weeks(Post.created_at, window.start).label("wk"),
            Post.sentiment_label.label("label"),
            Post.sentiment.label("score"),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(Thread.community_id == cid, visible_post(), within(Post.created_at, window))
        .subquery()
    )
    trend = select(rows.c.wk, rows.c.label, func.count(), func.sum(rows.c.score)).group_by(rows.c.wk, rows.c.label)
    return mix, trend


def sentiment_mix(community, period: Period) -> tuple[SentimentMix, SentimentMix]:
    """The community's posts by sentiment in ``period`` and in the period before it: one grouped query."""
    stmt = _sentiment_statements(db.session.get_bind().dialect.name)[0]
    mixes = _mixes(
        db.session.execute(
            stmt,
            {
                "cid": community.id,
                "cur_start": period.start,
                "cur_end": period.end,
                "prev_start": period.previous().start,
            },
        ),
        1,
    )
    return mixes.get((1,), SentimentMix()), mixes.get((0,), SentimentMix())


def sentiment_trend(community, period: Period) -> list[SentimentWeek]:
    """Posts by sentiment per week over the report's trend window (the same weeks as the other trends)."""
    window, weeks = trend_window(period)
    stmt = _sentiment_statements(db.session.get_bind().dialect.name)[1]
    mixes = _mixes(db.session.execute(stmt, {"cid": community.id, "w_start": window.start, "w_end": window.end}), 1)
    return [
        SentimentWeek(
            window.start + timedelta(weeks=week),
            window.start + timedelta(weeks=week + 1),
            mixes.get((week,), SentimentMix()),
        )
        for week in range(weeks)
    ]


@functools.lru_cache(maxsize=8)
def _needs_attention_statement(dialect: str, limit: int):
    """``needs_attention``'s statement, built once (community ``cid`` and the period's end ``p_end`` bound)."""
    from cop.accounts.models import User

    return (
        select(Thread.id, Thread.title, Thread.kind, Thread.created_at, Post.sentiment, User.display_name)
        .join(Post, Post.id == Thread.opening_post_id)
        .outerjoin(User, User.id == Thread.author_id)
        .where(
            Thread.community_id == bindparam("cid", type_=Integer),
            Thread.status == "open",
            Thread.is_deleted.is_(False),
            Thread.kind != "announcement",
            Thread.first_reply_at.is_(None),
            Thread.created_at < bindparam("p_end", type_=DateTime),
            Post.is_deleted.is_(False),
            Post.is_hidden.is_(False),
            Post.sentiment_label == "negative",
        )
        .order_by(Post.sentiment, Thread.created_at, Thread.id)
        .limit(limit)
    )


def needs_attention(community, period: Period, limit: int = ATTENTION_LIMIT) -> list[AttentionThread]:
    """Open threads with no reply by anyone else yet whose opening post reads negative, most negative first."""
    stmt = _needs_attention_statement(db.session.get_bind().dialect.name, limit)
    return [
        AttentionThread(tid, title, kind, created, float(score), name)
        for tid, title, kind, created, score, name in db.session.execute(
            stmt, {"cid": community.id, "p_end": period.end}
        )
    ]


def voice_sentiment(community, period: Period, viewer=None, share: ShareOfVoice | None = None) -> VoiceSentiment:
    """Sentiment of the posts on the community's domain tags in ``period``: here, and across what ``viewer`` reads.

    ``share``: the report's share of voice for the same community, period and viewer, which already counted
    these posts by sentiment (``ShareOfVoice.sentiment``): no statement then."""
    if share is not None:
        if not share.tags:
            return VoiceSentiment([], SentimentMix(), SentimentMix())
        mixes = _mixes(share.sentiment, 1)
        here = mixes.get((1,), SentimentMix())
        return VoiceSentiment(list(share.tags), here, here + mixes.get((0,), SentimentMix()))
    tags = list(
        db.session.scalars(
            select(community_domain_tags.c.tag_id).where(community_domain_tags.c.community_id == community.id)
        )
    )
    if not tags:
        return VoiceSentiment([], SentimentMix(), SentimentMix())
    from cop.tags.models import Tag

    names = list(db.session.scalars(select(Tag.name).where(Tag.id.in_(tags)).order_by(Tag.name)))
    tagged = select(thread_tags.c.thread_id).where(thread_tags.c.tag_id.in_(tags))
    rows = (
        select(
            flag(Thread.community_id == community.id).label("own"),
            Post.sentiment_label.label("label"),
            Post.sentiment.label("score"),
        )
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Thread.id.in_(tagged),
            visible_post(),
            within(Post.created_at, period),
            or_(Thread.community_id == community.id, Thread.community_id.in_(readable_ids(viewer))),
        )
        .subquery()
    )
    mixes = _mixes(
        db.session.execute(
            select(rows.c.own, rows.c.label, func.count(), func.sum(rows.c.score)).group_by(rows.c.own, rows.c.label)
        ),
        1,
    )
    here = mixes.get((1,), SentimentMix())
    return VoiceSentiment(names, here, here + mixes.get((0,), SentimentMix()))


@functools.lru_cache(maxsize=8)
def _five_ws_statement(dialect: str):
    """``five_ws_use``'s statement, built once (community ``cid``, periods ``cur_start``/``cur_end``/
    ``prev_start`` bound): threads with and without the template per period, and the median time to
    first reply of each group, in one pass."""
    current = Period(_bound("cur_start"), _bound("cur_end"))
    span = Period(_bound("prev_start"), current.end)
    rows = (
        select(
            is_current(Thread.created_at, current).label("w"),
            flag(ThreadFiveWs.thread_id.is_not(None)).label("t"),
            case((Thread.first_reply_at.is_not(None), seconds_between(Thread.first_reply_at, Thread.created_at))).label(
                "x"
            ),
        )
        .outerjoin(ThreadFiveWs, ThreadFiveWs.thread_id == Thread.id)
        .where(
            Thread.community_id == bindparam("cid", type_=Integer),
            Thread.is_deleted.is_(False),
            Thread.kind.in_(FIVE_WS_KINDS),
            within(Thread.created_at, span),
        )
        .subquery()
    )
    ranked, median_x = median_ranked(rows, ("w", "t"))
    return select(ranked.c.w, ranked.c.t, func.count(), median_x).group_by(ranked.c.w, ranked.c.t)


def five_ws_use(community, period: Period) -> tuple[FiveWsUse, FiveWsUse]:
    """Use of the 5 W's template in ``period`` and the period before it: one grouped query."""
    counts: dict[tuple[int, int], int] = {}
    middle: dict[tuple[int, int], float | None] = {}
    for which, has, n, median in db.session.execute(
        _five_ws_statement(db.session.get_bind().dialect.name),
        {"cid": community.id, "cur_start": period.start, "cur_end": period.end, "prev_start": period.previous().start},
    ):
        counts[(int(which), int(has))] = int(n)
        middle[(int(which), int(has))] = None if median is None else float(median)

    def use(which):
        with_template = counts.get((which, 1), 0)
        return FiveWsUse(
            counts.get((which, 0), 0) + with_template,
            with_template,
            to_hours(middle.get((which, 1))),
            to_hours(middle.get((which, 0))),
        )

    return use(1), use(0)


def listening_report(community, period: Period, viewer=None, share: ShareOfVoice | None = None) -> ListeningReport:
    """The report's listening sections for ``community`` over ``period``: a constant number of queries.
    ``share``: the sponsor report's share of voice for the same community, period and viewer, from which the
    voice section is folded without a query (``voice_sentiment``)."""
    current, previous = sentiment_mix(community, period)
    five_ws, five_ws_previous = five_ws_use(community, period)
    return ListeningReport(
        period,
        current,
        previous,
        sentiment_trend(community, period),
        needs_attention(community, period),
        voice_sentiment(community, period, viewer, share),
        five_ws,
        five_ws_previous,
    )
