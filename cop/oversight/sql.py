"""Portable SQL building blocks of the oversight figures.

Expressions that run unchanged on SQLite and PostgreSQL (time differences, whole weeks, medians by
ROW_NUMBER), the filters every figure shares (a period, some communities, visible posts) and the
communities a viewer may read. Only statements are built here; nothing runs but ``medians``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    select,
    true,
)

from cop import permissions
from cop.communities.models import Community
from cop.database import in_bound_ids
from cop.discussions.models import Post, Thread
from cop.extensions import db
from cop.oversight.periods import Period


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def datetime_literal(moment: datetime):
    """``moment`` as an SQL literal, typed as a datetime on both databases."""
    return literal(moment, DateTime)


def seconds_between(later, earlier):
    """SQL for ``later - earlier`` in seconds (a float), on SQLite or PostgreSQL."""
    if is_postgres():
        return cast(extract("epoch", later - earlier), Float)
    return (func.julianday(later, type_=Float) - func.julianday(earlier, type_=Float)) * 86400.0


def whole_weeks(later, earlier):
    """SQL for the number of whole weeks from ``earlier`` to ``later`` (``later >= earlier``)."""
    weeks = seconds_between(later, earlier) / 604800.0
    if is_postgres():
        return cast(func.floor(weeks), Integer)
    return cast(weeks, Integer)  # truncation is floor for the non-negative values asked for


def within(column, period: Period):
    """``column`` falls in ``period`` (half-open)."""
    return and_(column >= period.start, column < period.end)


def flag(condition):
    """SQL 1 where ``condition`` holds, else 0 (to be summed)."""
    return case((condition, 1), else_=0)


def is_current(column, current: Period):
    """1 for a row in the current period, 0 for one in the previous (the WHERE keeps only those)."""
    return flag(column >= current.start)


def _one(value: str = "1"):
    return literal_column(value, Integer)


def medians_statement(values, keys: tuple[str, ...]):
    rows = values.subquery()
    group = [rows.c[k] for k in keys]
    ranked = select(
        *group,
        rows.c.x,
        func.row_number().over(partition_by=group, order_by=rows.c.x).label("rn"),
        func.count().over(partition_by=group).label("cnt"),
    ).subquery()
    middle = and_(ranked.c.rn * 2 >= ranked.c.cnt, ranked.c.rn * 2 <= ranked.c.cnt + 2)
    out = [ranked.c[k] for k in keys]
    return select(*out, func.avg(ranked.c.x)).where(middle).group_by(*out)


def medians(values, keys: tuple[str, ...]) -> dict[tuple, float]:
    """The median of column ``x`` of the select ``values`` for each group of its ``keys`` columns.

    Portable: ROW_NUMBER and COUNT over the group pick the middle row (odd
    count) or the two middle rows (even count), which are then averaged.
    """
    return {tuple(row[:-1]): float(row[-1]) for row in db.session.execute(medians_statement(values, keys))}


def median_ranked(rows, keys: tuple[str, ...]):
    """For a median computed beside other aggregates of the same rows, in one statement.

    ``rows``: a subquery with the columns ``keys`` and ``x`` (NULL on the rows the median leaves out).
    Returns ``(ranked, median)``: ``ranked`` is ``rows`` with each row's rank by ``x`` in its group of
    ``keys`` and the number of non-NULL ``x`` in the group; ``median`` the aggregate, over ``ranked``
    grouped by ``keys``, that picks and averages the middle row(s) as ``medians`` does (NULL when no ``x``).
    """
    group = [rows.c[k] for k in keys]
    ranked = select(
        rows,
        func.row_number().over(partition_by=[*group, rows.c.x.is_(None)], order_by=rows.c.x).label("rn"),
        func.count(rows.c.x).over(partition_by=group).label("cnt"),
    ).subquery()
    middle = and_(ranked.c.x.is_not(None), ranked.c.rn * 2 >= ranked.c.cnt, ranked.c.rn * 2 <= ranked.c.cnt + 2)
    return ranked, func.avg(case((middle, ranked.c.x)))


def in_communities(column, ids):
    """``column`` is one of the communities ``ids`` (every community when None)."""
    return column.in_(ids) if ids is not None else true()


def visible_post():
    """A post that counts: neither deleted nor hidden, in a thread that is not deleted (join Thread)."""
    return and_(Post.is_deleted.is_(False), Post.is_hidden.is_(False), Thread.is_deleted.is_(False))


def marks(*names_and_values) -> list:
    """Literal 0/1 columns that tag the rows of one branch of a UNION ALL."""
    return [_one(str(value)).label(name) for name, value in names_and_values]


def datetime_param(name: str):
    """A bound datetime parameter, for statements built once and run with each period's bounds."""
    return bindparam(name, type_=DateTime)


def readable_ids(viewer):
    """Ids of the communities ``viewer`` may read (open ones without a viewer: the anonymous reader)."""
    return permissions.visible_communities(viewer).with_only_columns(Community.id)


def readable_scope(viewer) -> tuple[bool, dict]:
    """How a statement built once with ``in_readable`` is told what ``viewer`` may read: (scoped, parameters).
    Not scoped for an administrator, who reads every community; else the ids bound as ``readable``."""
    if viewer is not None and permissions.is_admin(viewer):
        return False, {}
    return True, {"readable": sorted(permissions.readable_community_ids(viewer))}


def in_readable(column, scoped: bool, dialect: str):
    """``column`` is a community the viewer may read (``readable_scope``): the ids bound as ``readable`` (on
    PostgreSQL one array, not hundreds of parameters: ``cop.database.in_bound_ids``)."""
    return in_bound_ids(column, "readable", dialect) if scoped else true()
