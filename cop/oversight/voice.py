"""Share of voice, precomputed: the visible posts of live threads per tag, community and UTC day.

A community's *share of voice* (``cop.oversight.sections.share_of_voice``) is its part of the posts, in
the communities the reader may read, of every thread carrying one of its domain tags. Counted from the
posts, a large community's tags (thousands of threads) cost a lookup per thread on every report
(~100 ms of SQL of a ~125 ms report on the large data set). Here one ``voice_days`` row holds, for one
tag, one community and one UTC day, the posts written that day in the community's live threads with the
tag, by sentiment label (``""``: not scored), with the sum of their scores in ten-thousandths (scores
have four decimals, so sums stay exact). Community 0 holds every community's sum.

Exact from these sums, for tags ``T``, communities ``R`` (readable) and whole days:

* every community's rows minus those of the communities not in ``R`` count each post ``k`` times, ``k``
  the number of tags of ``T`` its thread has; the threads with ``k >= 2`` (a few per cent) are read
  and their posts taken away ``k - 1`` times (``_overlap``);
* the hours of a period that do not fill a UTC day (a report of "the last 30 days") are counted from
  the posts directly, found by date (``_edges``).

Kept current in the transaction of every write by ``cop.rollups`` (a post written, removed, hidden,
moved or scored again; a thread moved, retagged or removed); a tag merge rebuilds its tags
(``rebuild_tags``); ``rebuild`` recomputes the table (the seed, the demo, the migration).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    ForeignKey,
    Integer,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column

from cop import rollups
from cop.communities.models import Community
from cop.database import in_bound_ids
from cop.discussions.models import Post, Thread, thread_tags
from cop.extensions import Model
from cop.oversight.periods import Period
from cop.oversight.sql import flag

EVERY_COMMUNITY = 0
UNSCORED = ""
SCORE_SCALE = 10_000  # sentiment scores have four decimals (``cop.discussions.sentiment.score``)


class VoiceDay(Model):
    """The visible posts of live threads tagged ``tag_id`` in ``community_id`` (0: every community),
    written on ``day`` (UTC) with sentiment ``label``; ``score``: their scores' sum in ten-thousandths."""

    __tablename__ = "voice_days"
    # The primary key is the report's range: a tag, a community, the period's days. On SQLite the table is
    # the index (no rowid), so the range holds the counts too.
    __table_args__ = ({"sqlite_with_rowid": False},)

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    label: Mapped[str] = mapped_column(String(8), primary_key=True)
    posts: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(BigInteger)


KEY = ("tag_id", "community_id", "day", "label")
Key = tuple[int, int, date, str]


def day_of(column: Any, dialect: str) -> Any:
    """SQL for the UTC day of a naive UTC timestamp column (SQLite keeps a ``Date`` as ``YYYY-MM-DD``)."""
    return func.date(column) if dialect == "sqlite" else cast(column, Date)


def scaled(column: Any) -> Any:
    """SQL for a sentiment score in ten-thousandths (0 when not scored)."""
    return func.coalesce(cast(func.round(column * SCORE_SCALE), BigInteger), 0)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# --- from the rows ----------------------------------------------------------------------------------


def _visible() -> Any:
    return and_(Post.is_deleted.is_(False), Post.is_hidden.is_(False), Thread.is_deleted.is_(False))


def _source(dialect: str, where: list[Any]) -> Any:
    """``(tag, community, day, label, posts, score)`` per community and per every community, from the rows."""
    day = day_of(Post.created_at, dialect)
    label = func.coalesce(Post.sentiment_label, UNSCORED)
    rows = (
        select(
            thread_tags.c.tag_id.label("tag_id"),
            Thread.community_id.label("community_id"),
            day.label("day"),
            label.label("label"),
            func.count().label("posts"),
            func.sum(scaled(Post.sentiment)).label("score"),
        )
        .select_from(Post)
        .join(Thread, Thread.id == Post.thread_id)
        .join(thread_tags, thread_tags.c.thread_id == Thread.id)
        .where(_visible(), *where)
        .group_by(thread_tags.c.tag_id, Thread.community_id, day, label)
        .subquery()
    )
    every = select(
        rows.c.tag_id,
        literal(EVERY_COMMUNITY, Integer),
        rows.c.day,
        rows.c.label,
        func.sum(rows.c.posts),
        func.sum(rows.c.score),
    ).group_by(rows.c.tag_id, rows.c.day, rows.c.label)
    return union_all(select(*rows.c), every)


Totals = dict[Key, tuple[int, int]]


def _totals(rows: Iterable[Any]) -> Totals:
    return {(t, c, _as_date(d), lb): (int(n), int(s or 0)) for t, c, d, lb, n, s in rows}


def _read(connection: Connection, where: list[Any]) -> Totals:
    return _totals(connection.execute(_source(connection.dialect.name, where)))


@functools.lru_cache(maxsize=4)
def _scope_statement(dialect: str) -> Any:
    """What the threads bound as ``ids`` contribute, built once per dialect (a write reads it twice)."""
    return _source(dialect, [Thread.id.in_(bindparam("ids", expanding=True))])


def _read_scopes(connection: Connection, threads: set[int], _resources: set[int]) -> Totals:
    if not threads:
        return {}
    return _totals(connection.execute(_scope_statement(connection.dialect.name), {"ids": sorted(threads)}))


def _apply(connection: Connection, before: Totals, after: Totals) -> None:
    """Add ``after - before`` to the stored rows (upserts adding to what a row holds when they run, so
    concurrent writers on other threads each add theirs); rows left with no post go."""
    changes: list[dict[str, Any]] = []
    for key in sorted(after.keys() | before.keys()):
        (n1, s1), (n0, s0) = after.get(key, (0, 0)), before.get(key, (0, 0))
        if (n1, s1) != (n0, s0):
            changes.append(dict(zip(KEY, key), posts=n1 - n0, score=s1 - s0))
    if not changes:
        return
    connection.execute(rollups.upsert_adding(connection, VoiceDay, list(KEY), ("posts", "score")), changes)
    table = VoiceDay.__table__
    fewer = [{f"k_{name}": c[name] for name in KEY} for c in changes if c["posts"] < 0]
    if fewer:
        match = [table.c[name] == bindparam(f"k_{name}") for name in KEY]
        connection.execute(delete(table).where(*match, table.c.posts <= 0), fewer)


def register() -> None:
    """Keep the table current with every write (``cop.rollups`` follows the session)."""
    rollups.register(rollups.Rollup("voice_days", _read_scopes, _apply))


def _refill(connection: Connection, tags: list[int] | None) -> None:
    """Recompute the rows of ``tags`` (None: every row) from the posts, in the caller's transaction
    (PostgreSQL: the table locked against other writers' changes first)."""
    table = VoiceDay.__table__
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE voice_days IN SHARE ROW EXCLUSIVE MODE")
    if tags is None:
        connection.execute(delete(table))
        where = []
    else:
        connection.execute(delete(table).where(table.c.tag_id.in_(tags)))
        where = [thread_tags.c.tag_id.in_(tags)]
    connection.execute(table.insert().from_select([*KEY, "posts", "score"], _source(connection.dialect.name, where)))


def rebuild_tags(connection: Connection, tag_ids: Iterable[int]) -> None:
    """Recompute the rows of ``tag_ids`` from the posts, in the caller's transaction."""
    tags = sorted(set(tag_ids))
    if tags:
        _refill(connection, tags)


def rebuild(connection: Connection) -> None:
    """Recompute the whole table, in the caller's transaction."""
    _refill(connection, None)


def stored(connection: Connection) -> Totals:
    """Every stored row (for tests and checks)."""
    table = VoiceDay.__table__
    return {
        (t, c, _as_date(d), lb): (n, s)
        for t, c, d, lb, n, s in connection.execute(
            select(*(table.c[name] for name in KEY), table.c.posts, table.c.score)
        )
    }


def computed(connection: Connection) -> Totals:
    """What the table should hold, computed from the posts (for tests and checks)."""
    return _read(connection, [])


# --- the share of voice -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Split:
    """A period as the whole UTC days it covers (``first`` up to ``end``, exclusive; None: none) and the
    hours before and after them (``edges``: half-open spans, possibly empty)."""

    first: date | None
    end: date | None
    edges: tuple[tuple[datetime, datetime], ...]


def _split(period: Period) -> _Split:
    first = period.start.date() + timedelta(days=0 if period.start.time() == time() else 1)
    end = period.end.date()
    if first >= end:
        return _Split(None, None, ((period.start, period.end),))
    edges = ((period.start, datetime.combine(first, time())), (datetime.combine(end, time()), period.end))
    return _Split(first, end, tuple((a, b) for a, b in edges if a < b))


def _spans(prefix: str, count: int) -> list[tuple[Any, Any]]:
    """``count`` half-open spans of time bound as ``{prefix}{i}_start`` / ``{prefix}{i}_end``."""
    kind = Post.created_at.type
    return [
        (bindparam(f"{prefix}{i}_start", type_=kind), bindparam(f"{prefix}{i}_end", type_=kind)) for i in range(count)
    ]


def _in_spans(spans: list[tuple[Any, Any]]) -> Any:
    return or_(*(and_(Post.created_at >= a, Post.created_at < b) for a, b in spans))


def _bind_spans(prefix: str, spans: list[tuple[datetime, datetime]], count: int) -> dict[str, datetime]:
    """Parameters for ``_spans(prefix, count)``: ``spans``, then empty ones."""
    empty = (datetime(1970, 1, 1), datetime(1970, 1, 1))
    padded = [*spans, *[empty] * (count - len(spans))]
    return {f"{prefix}{i}_{end}": value for i, span in enumerate(padded) for end, value in zip(("start", "end"), span)}


@functools.lru_cache(maxsize=8)
def _statements(dialect: str, scoped: bool) -> dict[str, Any]:
    """The share's statements, built once per dialect and reading scope. Bound: ``tags``; ``cid``, the
    report's community; ``readable`` (when ``scoped``), the communities the reader may read; the whole days
    of both periods (``p_first`` / ``p_end``, ``c_first`` / ``c_end``; an empty span when equal; ``lo`` /
    ``hi`` around both) and the same as times (``d0``, ``d1``); the hours counted from the posts (``e0`` ..
    ``e3``); ``c_start``, where the current period starts. Each gives ``(community, current or not, label,
    posts, score)`` rows."""
    table = VoiceDay.__table__
    cid = bindparam("cid", type_=Integer)
    # The communities whose rows are taken away from every community's, read in the same statement (so in
    # the same snapshot) as the rows: one created meanwhile is either in both or in neither.
    unreadable = select(Community.id).where(
        Community.id != cid, in_bound_ids(Community.id, "readable", dialect, negate=True)
    )
    days = {name: bindparam(name, type_=Date) for name in ("p_first", "p_end", "c_first", "c_end")}
    in_previous = and_(table.c.day >= days["p_first"], table.c.day < days["p_end"])
    in_current = flag(and_(table.c.day >= days["c_first"], table.c.day < days["c_end"]))

    def rows_of(communities: Any) -> Any:
        # The days as one range the primary key can seek (``lo``..``hi``), then exactly the two spans.
        return (
            select(table.c.community_id, in_current, table.c.label, func.sum(table.c.posts), func.sum(table.c.score))
            .where(
                in_bound_ids(table.c.tag_id, "tags", dialect),
                table.c.community_id.in_(communities),
                table.c.day >= bindparam("lo", type_=Date),
                table.c.day < bindparam("hi", type_=Date),
                or_(in_previous, in_current == 1),
            )
            .group_by(table.c.community_id, in_current, table.c.label)
        )

    # The report's own community and every community's sums; for a reader who may not read every
    # community, apart, the rows of those they may not (a community read per row: one range each).
    own_and_all = rows_of([EVERY_COMMUNITY, cid])
    rolled = union_all(own_and_all, rows_of(unreadable)) if scoped else own_and_all

    def per_community(where: list[Any], weight: Any, stmt: Any) -> Any:
        current = flag(Post.created_at >= bindparam("c_start", type_=Post.created_at.type))
        label = func.coalesce(Post.sentiment_label, UNSCORED)
        return (
            stmt.add_columns(
                Thread.community_id, current, label, func.sum(weight), func.sum(weight * scaled(Post.sentiment))
            )
            .join(Thread, Thread.id == Post.thread_id)
            .where(_visible(), *where)
            .group_by(Thread.community_id, current, label)
        )

    tagged = in_bound_ids(thread_tags.c.tag_id, "tags", dialect)
    # Threads with two or more of the tags, and how many more than one: their posts were summed once per tag.
    repeated = (
        select(thread_tags.c.thread_id.label("thread_id"), (func.count() - 1).label("extra"))
        .where(tagged)
        .group_by(thread_tags.c.thread_id)
        .having(func.count() > 1)
        .subquery()
    )
    overlap = per_community(
        [_in_spans(_spans("d", 2))],
        repeated.c.extra,
        select().select_from(Post).join(repeated, repeated.c.thread_id == Post.thread_id),
    )
    # The hours outside whole days are found by date (a few thousand posts a day on the large set), each
    # post's thread then looked up among the tagged ones: ``thread_id + 0`` keeps both databases from
    # driving this by the tagged threads instead (every post of each, thousands of threads).
    edges = per_community(
        [_in_spans(_spans("e", 4)), (Post.thread_id + 0).in_(select(thread_tags.c.thread_id).where(tagged))],
        literal(1, Integer),
        select().select_from(Post),
    )
    return {"rolled": rolled, "overlap": overlap, "edges": edges}


def share_rows(
    connection: Connection,
    community_id: int,
    tag_ids: list[int],
    current: Period,
    readable: frozenset[int] | None,
) -> list[tuple[int, int, str | None, int, float]]:
    """The posts on ``tag_ids`` in ``current`` and the period before it, in ``community_id`` and the
    ``readable`` communities (None: every one), as ``(current or not, own or not, sentiment label, posts,
    sum of scores)`` rows: what ``cop.oversight.sections.share_of_voice`` folds."""
    tags = sorted(set(tag_ids))
    if not tags:
        return []
    statements = _statements(connection.dialect.name, readable is not None)
    before, now = _split(current.previous()), _split(current)
    included = None if readable is None else readable | {community_id}
    # (current or not, label) -> [posts, score], for the included communities and for the report's own.
    total: dict[tuple[int, str], list[int]] = {}
    own: dict[tuple[int, str], list[int]] = {}

    def add(into: dict[tuple[int, str], list[int]], which: Any, label: str, posts: Any, score: Any) -> None:
        cell = into.setdefault((int(which), label), [0, 0])
        cell[0] += int(posts)
        cell[1] += int(score or 0)

    def add_community(cid: int, which: Any, label: str, posts: Any, score: Any, sign: int = 1) -> None:
        if included is None or cid in included:
            add(total, which, label, sign * int(posts), sign * int(score or 0))
        if cid == community_id:
            add(own, which, label, sign * int(posts), sign * int(score or 0))

    whole = [(s.first, s.end) for s in (before, now) if s.first is not None and s.end is not None]
    if whole:
        never = date(1970, 1, 1)
        (p_first, p_end), (c_first, c_end) = (
            (before.first or never, before.end or never),
            (now.first or never, now.end or never),
        )
        params = {
            "tags": tags,
            "cid": community_id,
            **({} if readable is None else {"readable": sorted(readable)}),
            "p_first": p_first,
            "p_end": p_end,
            "c_first": c_first,
            "c_end": c_end,
            "lo": min(d for d in (before.first, now.first) if d is not None),
            "hi": max(d for d in (before.end, now.end) if d is not None),
        }
        for cid, which, label, posts, score in connection.execute(statements["rolled"], params):
            if cid == EVERY_COMMUNITY:
                add(total, which, label, posts, score)
            elif cid == community_id:
                add(own, which, label, posts, score)
            else:  # a community the reader may not read: its posts are in every community's sum
                add(total, which, label, -int(posts), -int(score or 0))
        if len(tags) > 1:
            times = [(datetime.combine(a, time()), datetime.combine(b, time())) for a, b in whole]
            overlap = {"tags": tags, "c_start": current.start, **_bind_spans("d", times, 2)}
            for cid, which, label, posts, score in connection.execute(statements["overlap"], overlap):
                add_community(cid, which, label, posts, score, sign=-1)
    edges = [*before.edges, *now.edges]
    if edges:
        spans = {"tags": tags, "c_start": current.start, **_bind_spans("e", edges, 4)}
        for cid, which, label, posts, score in connection.execute(statements["edges"], spans):
            add_community(cid, which, label, posts, score)
    rows = []
    for (which, label), (posts, score) in sorted(total.items()):
        mine = own.get((which, label), [0, 0])
        for is_own, (n, s) in ((1, mine), (0, (posts - mine[0], score - mine[1]))):
            if n:
                rows.append((which, is_own, label or None, n, s / SCORE_SCALE))
    return rows
