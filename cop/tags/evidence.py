"""Who knows what, precomputed: evidence counts per tag, community, person, kind and month.

One ``expert_evidence`` row holds how many items of one kind a person has on a tag in one community
in one calendar month (``month`` = year * 12 + month - 1):

``post``       their visible posts in live threads with the tag (by the post's month)
``accepted``   of those, the ones accepted as the thread's answer (by the post's month)
``helpful``    *helpful* reactions by someone else on those posts (by the reaction's month)
``resource``   their live resources carrying the tag (by the resource's month)

Declared expertise is not here: it is read from ``user_expertise``. Disabled accounts keep their rows
(the ranking leaves them out when it reads), so enabling one again needs no rebuild.

Beside it, ``expert_bounds`` holds per tag and person the most their evidence can be worth to anyone
(every community, recency as of a month; ``ExpertBound``). The ranking (``cop.tags.experts``) takes the
people with the highest bounds, sums their rows in the communities the viewer may read (one primary-key
range per person) and reads further only when someone left out could still make the list: a popular
tag's thousands of posters are not summed on its page.

Kept current in the transaction of every write by ``cop.rollups``: it reads a flush's *scopes* (a
thread: its posts, accepted answer and helpful marks; a resource) before and after the flush and this
module applies the difference (an upsert of the changed counts, and of the bounds), so every write
that changes them counts (a post written, removed, hidden, moved; an answer accepted or not; a helpful
mark added or taken back; a thread moved, retagged or removed; a resource written, retagged, moved or
removed) whichever service made it. Writes the ORM does not see (a tag merge) call ``rebuild_tags``; ``flask cop experts
rebuild`` recomputes every row and bound from scratch (idempotent; it also makes the bounds tight again,
which writes only ever loosen).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    extract,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import BindParameter

from cop import rollups
from cop.discussions.models import Post, Thread, thread_tags
from cop.extensions import Model, in_list, utcnow
from cop.library.models import Resource, resource_tags
from cop.reactions.models import Reaction

KINDS = ("accepted", "helpful", "resource", "post")
# What one item of each kind weighs in the ranking (and declared expertise, which is not stored here).
WEIGHTS = {"accepted": 5, "helpful": 2, "resource": 3, "post": 1, "declared": 4}
DECAY_DAYS = 180.0
MONTH_DAYS = 365.2425 / 12


def recency_at(month: Any, months_now: Any) -> Any:
    """SQL for a month bucket's recency weight ``1 / (1 + days / DECAY_DAYS)`` at ``months_now`` (a time on
    the month scale, ``cop.tags.experts.months_at``): ``days`` is the age of the bucket's midpoint in
    months of ``MONTH_DAYS`` days, 0 while it is still ahead."""
    days = (months_now - 0.5 - month) * MONTH_DAYS
    return case((days > 0, 1.0 / (1.0 + days / DECAY_DAYS)), else_=1.0)


def current_month() -> int:
    now = utcnow()
    return now.year * 12 + now.month - 1


class ExpertEvidence(Model):
    """How many items of ``kind`` ``user_id`` has on ``tag_id`` in ``community_id`` in ``month``."""

    __tablename__ = "expert_evidence"
    __table_args__ = (
        CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        # The primary key is the ranking's index: a tag's rows person by person (the readable communities
        # are filtered row by row), so a ranking sums them in order and a person's rows are one range. On
        # SQLite the table is the index (no rowid), so the range holds the counts too.
        {"sqlite_with_rowid": False},
    )

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)


class ExpertBound(Model):
    """The most a person's evidence on a tag can be worth to anyone from ``as_of`` on: every community's
    items, each weighed by kind and by its recency at the start of month ``as_of`` (recency only falls
    as time goes by); items counted since then weigh fully.

    A ranking reads only the people with the highest bounds (``cop.tags.experts``), so a popular tag's
    thousands of posters are never summed. The rebuild makes the bounds tight again (as of its month).
    """

    __tablename__ = "expert_bounds"
    __table_args__ = (
        Index("ix_expert_bounds_tag_bound", "tag_id", "bound"),
        {"sqlite_with_rowid": False},
    )

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    bound: Mapped[float] = mapped_column(Float)
    as_of: Mapped[int] = mapped_column(Integer)


KEY = ("tag_id", "community_id", "user_id", "kind", "month")
Key = tuple[int, int, int, str, int]


def month_of(column: Any) -> ColumnElement[int]:
    """SQL for the month bucket of a timestamp column: ``year * 12 + month - 1`` (both databases)."""
    return cast(extract("year", column), Integer) * 12 + cast(extract("month", column), Integer) - 1


# --- where evidence comes from --------------------------------------------------------------------


def _thread_sources(where: Callable[[], list[ColumnElement[bool]]]) -> list[Select[Any]]:
    """The three thread kinds, grouped by key; ``where()`` narrows them (threads or tags)."""
    visible = and_(
        Post.is_deleted.is_(False), Post.is_hidden.is_(False), Post.author_id.is_not(None), Thread.is_deleted.is_(False)
    )

    def grouped(kind: str, when: Any, stmt: Select[Any]) -> Select[Any]:
        month = month_of(when)
        return (
            stmt.add_columns(
                thread_tags.c.tag_id, Thread.community_id, Post.author_id, literal(kind), month, func.count()
            )
            .join(thread_tags, thread_tags.c.thread_id == Thread.id)
            .where(visible, *where())
            .group_by(thread_tags.c.tag_id, Thread.community_id, Post.author_id, month)
        )

    return [
        grouped("post", Post.created_at, select().select_from(Post).join(Thread, Thread.id == Post.thread_id)),
        grouped(
            "accepted", Post.created_at, select().select_from(Thread).join(Post, Post.id == Thread.accepted_post_id)
        ),
        grouped(
            "helpful",
            Reaction.created_at,
            select()
            .select_from(Reaction)
            .join(Post, Post.id == Reaction.post_id)
            .join(Thread, Thread.id == Post.thread_id)
            .where(Reaction.kind == "helpful", Reaction.user_id != Post.author_id),
        ),
    ]


def _resource_source(where: Callable[[], list[ColumnElement[bool]]]) -> Select[Any]:
    month = month_of(Resource.created_at)
    return (
        select(
            resource_tags.c.tag_id, Resource.community_id, Resource.author_id, literal("resource"), month, func.count()
        )
        .join(resource_tags, resource_tags.c.resource_id == Resource.id)
        .where(Resource.is_deleted.is_(False), Resource.author_id.is_not(None), *where())
        .group_by(resource_tags.c.tag_id, Resource.community_id, Resource.author_id, month)
    )


def sources(tag_ids: Iterable[int]) -> list[Select[Any]]:
    """Selects of ``(tag_id, community_id, user_id, kind, month, count)`` computed from the rows of every
    thread and resource with one of ``tag_ids`` (for the rebuild; a write's scopes: ``_scope_statements``)."""
    tags = sorted(set(tag_ids))
    return [
        *_thread_sources(lambda: [thread_tags.c.tag_id.in_(tags)]),
        _resource_source(lambda: [resource_tags.c.tag_id.in_(tags)]),
    ]


def _read(connection: Connection, selects: list[Select[Any]]) -> Counter[Key]:
    if not selects:
        return Counter()
    return Counter({(t, c, u, k, m): n for t, c, u, k, m, n in connection.execute(union_all(*selects))})


# --- applying changes ----------------------------------------------------------------------------


def apply_delta(connection: Connection, delta: Counter[Key]) -> None:
    """Add ``delta`` (key -> change, either sign) to the stored counts and bounds; rows left at 0 go.

    Increments are upserts and decrements UPDATEs, each adding to whatever the row holds when it runs,
    so concurrent writers on different threads counting for the same person, tag and month each add
    theirs. A decrement takes away at most what the row holds (nothing from a row that is missing: a
    table not rebuilt since the migration), from the count and from the bound alike.
    """
    changes: list[dict[str, Any]] = [dict(zip(KEY, key), count=n) for key, n in sorted(delta.items()) if n]
    if not changes:
        return
    table, bounds = ExpertEvidence.__table__, ExpertBound.__table__
    added = [c for c in changes if c["count"] > 0]
    if added:
        connection.execute(rollups.upsert_adding(connection, ExpertEvidence, list(KEY), ("count",)), added)
        # An item added weighs fully in the bound (its recency can only fall from now on).
        weights: Counter[tuple[int, int]] = Counter()
        for c in added:
            weights[(c["tag_id"], c["user_id"])] += c["count"] * WEIGHTS[c["kind"]]
        month = current_month()
        connection.execute(
            rollups.upsert_adding(connection, ExpertBound, ["tag_id", "user_id"], ("bound",)),
            [{"tag_id": t, "user_id": u, "bound": float(n), "as_of": month} for (t, u), n in sorted(weights.items())],
        )
    removed = [
        {f"k_{name}": c[name] for name in KEY} | {"k_taken": -c["count"], "k_weight": WEIGHTS[c["kind"]]}
        for c in changes
        if c["count"] < 0
    ]
    if removed:
        match = [table.c[name] == bindparam(f"k_{name}") for name in KEY]
        held = func.coalesce(select(table.c["count"]).where(*match).scalar_subquery(), 0)
        taken = case((held < bindparam("k_taken"), held), else_=bindparam("k_taken"))
        # An item taken away weighs its recency as of the bound's month: never more than it was added with.
        weighed = (
            taken * bindparam("k_weight", type_=Float) * recency_at(bindparam("k_month", type_=Integer), bounds.c.as_of)
        )
        on_bound = [bounds.c.tag_id == bindparam("k_tag_id"), bounds.c.user_id == bindparam("k_user_id")]
        connection.execute(bounds.update().where(*on_bound).values(bound=bounds.c.bound - weighed), removed)
        connection.execute(table.update().where(*match).values(count=table.c["count"] - bindparam("k_taken")), removed)
        keys = [{f"k_{name}": r[f"k_{name}"] for name in KEY} for r in removed]
        connection.execute(delete(table).where(*match, table.c["count"] <= 0), keys)
        connection.execute(delete(bounds).where(*on_bound, bounds.c.bound <= BOUND_EPSILON), keys)


BOUND_EPSILON = 1e-6  # below this a bound is rounding left over: the row goes


# --- following the session (cop.rollups) ---------------------------------------------------------


@functools.cache
def _scope_statements() -> dict[str, Any]:
    """What threads and resources (the ids bound as ``ids``) contribute, built once: a write's flush reads
    its scopes twice, and building these unions cost more Python than running them."""
    ids: BindParameter[Any] = bindparam("ids", expanding=True)
    return {
        "threads": union_all(*_thread_sources(lambda: [Thread.id.in_(ids)])),
        "resources": _resource_source(lambda: [Resource.id.in_(ids)]),
    }


def _read_scopes(connection: Connection, threads: set[int], resources: set[int]) -> Counter[Key]:
    out: Counter[Key] = Counter()
    for name, ids in (("threads", threads), ("resources", resources)):
        if ids:
            rows = connection.execute(_scope_statements()[name], {"ids": sorted(ids)})
            out.update({(t, c, u, k, m): n for t, c, u, k, m, n in rows})
    return out


def _apply(connection: Connection, before: Counter[Key], after: Counter[Key]) -> None:
    delta: Counter[Key] = Counter()
    for key in after.keys() | before.keys():
        delta[key] = after[key] - before[key]
    apply_delta(connection, delta)


def register() -> None:
    """Keep the table current with every write (``cop.rollups`` follows the session)."""
    rollups.register(rollups.Rollup("expert_evidence", _read_scopes, _apply))


# --- from scratch --------------------------------------------------------------------------------


def rebuild_tags(connection: Connection, tag_ids: Iterable[int]) -> int:
    """Recompute every row of ``tag_ids`` from the rows, in the caller's transaction; the rows written.

    PostgreSQL: the table is locked against other writers' counts first (``SHARE ROW EXCLUSIVE``), so a
    write that commits meanwhile is either in what is read here or adds its change afterwards.
    """
    tags = sorted(set(tag_ids))
    if not tags:
        return 0
    table = ExpertEvidence.__table__
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE expert_evidence IN SHARE ROW EXCLUSIVE MODE")
    connection.execute(delete(table).where(table.c.tag_id.in_(tags)))
    written = 0
    for source in sources(tags):
        written += connection.execute(table.insert().from_select(list(KEY) + ["count"], source)).rowcount or 0
    bounds = ExpertBound.__table__
    connection.execute(delete(bounds).where(bounds.c.tag_id.in_(tags)))
    connection.execute(bounds.insert().from_select(["tag_id", "user_id", "bound", "as_of"], _bounds_of(tags)))
    return written


def _bounds_of(tag_ids: list[int] | None = None, as_of: Any = None) -> Select[Any]:
    """The bounds as the evidence rows give them as of ``as_of`` (of ``tag_ids``, or every tag)."""
    ev = ExpertEvidence
    as_of = literal(current_month(), Integer) if as_of is None else as_of
    weight = case(*((ev.kind == kind, float(WEIGHTS[kind])) for kind in KINDS))
    stmt = select(ev.tag_id, ev.user_id, func.sum(ev.count * weight * recency_at(ev.month, as_of)), as_of).group_by(
        ev.tag_id, ev.user_id
    )
    return stmt.where(ev.tag_id.in_(tag_ids)) if tag_ids is not None else stmt


def rebuild(
    connection: Connection, *, chunk: int = 20, progress: Callable[[int], Any] | None = None, commit: bool = True
) -> int:
    """Recompute the whole table, ``chunk`` tags per transaction (idempotent); the rows written.

    Also removes the rows of tags that no longer exist. ``progress(n)`` is told of each chunk's tags.
    """
    from cop.tags.models import Tag

    table = ExpertEvidence.__table__
    tag_ids = list(connection.scalars(select(Tag.id).order_by(Tag.id)))
    connection.execute(delete(table).where(table.c.tag_id.not_in(select(Tag.id))))
    connection.execute(delete(ExpertBound.__table__).where(ExpertBound.__table__.c.tag_id.not_in(select(Tag.id))))
    written = 0
    for start in range(0, len(tag_ids), chunk):
        part = tag_ids[start : start + chunk]
        written += rebuild_tags(connection, part)
        if commit:
            connection.commit()
        if progress is not None:
            progress(len(part))
    if commit:
        connection.commit()
    return written


def stored(connection: Connection) -> Counter[Key]:
    """Every stored row as key -> count (for tests and checks)."""
    table = ExpertEvidence.__table__
    return Counter(
        {
            (t, c, u, k, m): n
            for t, c, u, k, m, n in connection.execute(select(*(table.c[name] for name in KEY), table.c["count"]))
        }
    )


def bounds_hold(connection: Connection) -> bool:
    """Is every stored bound at least what the stored evidence rows give as of its ``as_of`` (and is there
    one for everyone with evidence)? For tests and checks."""
    table = ExpertBound.__table__
    stored_bounds = {
        (t, u): (b, a)
        for t, u, b, a in connection.execute(select(table.c.tag_id, table.c.user_id, table.c.bound, table.c.as_of))
    }
    ev = ExpertEvidence
    weight = case(*((ev.kind == kind, float(WEIGHTS[kind])) for kind in KINDS))
    truth = connection.execute(
        select(ev.tag_id, ev.user_id, func.sum(ev.count * weight * recency_at(ev.month, table.c.as_of)))
        .join(table, and_(table.c.tag_id == ev.tag_id, table.c.user_id == ev.user_id), isouter=True)
        .group_by(ev.tag_id, ev.user_id, table.c.as_of)
    )
    return all((t, u) in stored_bounds and stored_bounds[(t, u)][0] >= worth - BOUND_EPSILON for t, u, worth in truth)


def computed(connection: Connection) -> Counter[Key]:
    """What the table should hold, computed from the rows (for tests and checks)."""
    from cop.tags.models import Tag

    return _read(connection, sources(connection.scalars(select(Tag.id))))
