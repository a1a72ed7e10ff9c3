"""Who knows what: people ranked by their evidence of knowing a tag, as one viewer may see it.

Evidence on a tag, each item weighted by its kind and by how recent it is:

=====================  ======  ============================================================
accepted answer          5     a post of theirs accepted as the answer, in a thread with the tag
helpful reaction         2     someone else marked a post of theirs in such a thread *helpful*
resource written         3     a live resource of theirs carrying the tag
post                     1     a visible post of theirs in a thread with the tag
declared expertise       4     the tag is on their profile (no recency: it is a statement)
=====================  ======  ============================================================

Recency: an item ``d`` days old counts ``1 / (1 + d / 180)`` of its weight (a year-old answer counts a
third). Items are counted per calendar month (``cop.tags.evidence``, a table kept current by every
write), so ``d`` is approximated by the age of the item's month's *midpoint*: on a scale of equal
months of 365.2425 / 12 days, ``d = (now in months - month - 0.5) * 30.44``, and 0 (full weight) while
the midpoint is not yet past. The midpoint is at most a day from the true middle of the month, and an
item is at most half a month from it. Every discussion counts, however old.

Visibility: only evidence from communities the viewer may read counts, so the ranking a person sees
never reflects activity they cannot see (a private community's answers do not lift anyone for an
outsider). Disabled accounts are left out. Several tags ("Ask an expert"): the evidence on each tag is
added up, so a post in a thread carrying two of them counts for both.

Read in SQL from ``cop.tags.evidence``'s tables, usually in three small queries per ranking: the 100
people with the highest bounds on the tag, their evidence rows in the viewer's readable communities
with the declared expertise, summed per person; more people only when one left out could still win.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    bindparam,
    case,
    func,
    literal,
    select,
    union_all,
)

from cop import permissions
from cop.accounts.models import User, user_expertise
from cop.database import in_bound_ids
from cop.extensions import db, utcnow
from cop.tags.evidence import WEIGHTS, ExpertBound, ExpertEvidence, recency_at

CANDIDATES = (100, 1000)  # people read by bound before the ranking reads everyone's evidence on the tags
EXPERTS_SHOWN = 5
ASK_LIMIT = 3


@dataclass(frozen=True)
class Expert:
    user_id: int
    name: str
    handle: str
    score: float
    accepted: int
    helpful: int
    resources: int
    posts: int
    declared: bool

    @property
    def why(self) -> str:
        """The evidence in words: "3 accepted answers, 1 resource, declared expertise"."""
        parts = []
        for count, one, many in (
            (self.accepted, "accepted answer", "accepted answers"),
            (self.helpful, "helpful mark", "helpful marks"),
            (self.resources, "resource", "resources"),
            (self.posts, "post", "posts"),
        ):
            if count:
                parts.append(f"{count} {one if count == 1 else many}")
        if self.declared:
            parts.append("declared expertise")
        return ", ".join(parts)


def months_at(now: datetime) -> float:
    """``now`` on the evidence table's month scale: its month bucket plus the fraction of it gone by."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    length = calendar.monthrange(now.year, now.month)[1] * 86400.0
    return now.year * 12 + now.month - 1 + (now - start).total_seconds() / length


def _scope(viewer) -> tuple[str, list[int]]:
    """How the evidence is limited to the communities ``viewer`` may read (this request's sets, no query):
    ``("all", [])`` for an administrator, else the shorter of ``("in", readable)`` and ``("not_in",
    unreadable)`` (a member of the large set reads 748 of 1,000 communities)."""
    if permissions.is_admin(viewer):
        return "all", []
    readable = permissions.readable_community_ids(viewer)
    unreadable = permissions.known_community_ids() - readable
    if not unreadable:
        return "all", []
    if len(unreadable) < len(readable):
        return "not_in", sorted(unreadable)
    return "in", sorted(readable)


def ranking(
    viewer,
    tag_ids,
    *,
    limit: int = EXPERTS_SHOWN,
    now: datetime | None = None,
    exclude_user_id: int | None = None,
    department: str = "",
) -> list[Expert]:
    """The people who know the tags ``tag_ids`` best as ``viewer`` may see it, best first (ties by name).

    Exact, read in steps: the ``CANDIDATES`` people with the highest bounds on each tag (``ExpertBound``:
    the most their evidence can be worth to anyone) are ranked first; when the last of the ``limit``
    best scores more than anyone left out could (the sum of the tags' first bounds left out, plus
    declared expertise), that is the ranking. Otherwise more people are read, in the end every one (a
    tag with few people goes there at once: it is as cheap).
    """
    tag_ids = sorted(set(tag_ids))
    if not tag_ids:
        return []
    now = now or utcnow()
    people = _People(exclude_user_id is not None, bool(department))
    params = {"exclude": exclude_user_id or 0, "department": department}
    scope, communities = _scope(viewer)
    dialect = db.session.get_bind().dialect.name
    ranked_params = params | {"tags": tag_ids, "communities": communities, "months": months_at(now), "limit": limit}
    for size in CANDIDATES:
        candidates, threshold = _candidates(tag_ids, size, people, params)
        if threshold is None:  # all the people with evidence are few: the full ranking reads no more
            break
        ranked = _ranked(_ranked_statement(dialect, scope, people, True), ranked_params | {"only": candidates})
        # Anyone left out has evidence worth ``threshold`` at most, and may have declared a tag.
        if len(ranked) == limit and ranked[-1].score > threshold + WEIGHTS["declared"] + 0.001:
            return ranked
    return _ranked(_ranked_statement(dialect, scope, people, False), ranked_params)


@dataclass(frozen=True)
class _People:
    """Which conditions on the people ranked the statements carry (their values are bound)."""

    exclude: bool  # everyone but one person (``exclude``: the asker)
    department: bool  # people of one department (``department``)

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [User.is_disabled.is_(False)]
        if self.exclude:
            found.append(User.id != bindparam("exclude", type_=Integer))
        if self.department:
            found.append(User.department == bindparam("department", type_=String))
        return found


@functools.lru_cache(maxsize=8)
def _candidates_statement(people: _People) -> Select[tuple[int, float]]:
    return (
        select(ExpertBound.user_id, ExpertBound.bound)
        .join(User, User.id == ExpertBound.user_id)
        .where(ExpertBound.tag_id == bindparam("tag", type_=Integer), *people.conditions())
        .order_by(ExpertBound.bound.desc())
        .limit(bindparam("size", type_=Integer))
    )


def _candidates(tag_ids: list[int], size: int, people: _People, params: dict) -> tuple[list[int], float | None]:
    """The ``size`` people with the highest bounds on each tag, and the most anyone else's evidence on
    the tags can be worth (the sum of the next bound of each tag); None when no one else has any."""
    found: set[int] = set()
    threshold, beyond = 0.0, False
    for tag_id in tag_ids:
        rows = db.session.execute(_candidates_statement(people), params | {"tag": tag_id, "size": size + 1}).all()
        found.update(uid for uid, _b in rows[:size])
        if len(rows) > size:
            threshold, beyond = threshold + rows[-1][1], True
    return sorted(found), threshold if beyond else None


@functools.lru_cache(maxsize=32)
def _ranked_statement(dialect: str, scope: str, people: _People, only: bool) -> Select[Any]:
    """The ranking's statement, built once per database dialect and shape (its values bound): the tags
    ``tags``, the communities ``communities`` (``scope``: "in", "not_in" or "all"), the time ``months``
    (``months_at``), the people ``only`` (when ``only``) and ``limit``. Building and compiling it with its
    lists as literals took most of a tag page's ranking (7 of 9 ms); the long lists (communities, people)
    are one array each on PostgreSQL (``in_bound_ids``)."""
    ev = ExpertEvidence
    weight = case(
        *((ev.kind == kind, float(WEIGHTS[kind])) for kind in ("accepted", "helpful", "resource")),
        else_=float(WEIGHTS["post"]),
    )

    def counted(kind):
        return func.sum(case((ev.kind == kind, ev.count), else_=0))

    tags: BindParameter[Any] = bindparam("tags", expanding=True)
    evidence = (
        select(
            ev.user_id.label("uid"),
            func.sum(ev.count * weight * recency_at(ev.month, bindparam("months", type_=Float))).label("w"),
            counted("accepted").label("accepted"),
            counted("helpful").label("helpful"),
            counted("resource").label("resource"),
            counted("post").label("post"),
            literal(0).label("declared"),
        )
        .where(ev.tag_id.in_(tags))
        .group_by(ev.user_id)
    )
    # ``+ 0``: the communities are checked row by row, never looked up one by one for each person (a
    # product of the two lists).
    if scope in ("in", "not_in"):
        evidence = evidence.where(in_bound_ids(ev.community_id + 0, "communities", dialect, negate=scope == "not_in"))
    declared = (
        select(
            user_expertise.c.user_id, literal(0.0, Float), literal(0), literal(0), literal(0), literal(0), literal(1)
        )
        .where(user_expertise.c.tag_id.in_(tags))
        .distinct()
    )
    if only:
        evidence = evidence.where(in_bound_ids(ev.user_id, "only", dialect))
        declared = declared.where(in_bound_ids(user_expertise.c.user_id, "only", dialect))
    rows = union_all(evidence, declared).subquery()
    is_declared = func.max(rows.c.declared)
    score = func.coalesce(func.sum(rows.c.w), 0.0) + case((is_declared > 0, float(WEIGHTS["declared"])), else_=0.0)
    return (
        select(
            User.id,
            User.display_name,
            User.handle,
            score.label("score"),
            func.sum(rows.c.accepted),
            func.sum(rows.c.helpful),
            func.sum(rows.c.resource),
            func.sum(rows.c.post),
            is_declared,
        )
        .join(rows, rows.c.uid == User.id)
        .where(*people.conditions())
        .group_by(User.id, User.display_name, User.handle)
        .order_by(score.desc(), User.display_name, User.id)
        .limit(bindparam("limit", type_=Integer))
    )


def _ranked(stmt: Select[Any], params: dict) -> list[Expert]:
    return [
        Expert(uid, name, handle, round(float(s or 0), 3), int(a or 0), int(h or 0), int(r or 0), int(p or 0), bool(d))
        for uid, name, handle, s, a, h, r, p, d in db.session.execute(stmt, params)
    ]


def experts_on(viewer, tag, limit: int = EXPERTS_SHOWN, department: str = "") -> list[Expert]:
    """ "People who know #tag" on its page, and the people directory sorted by who knows a tag best."""
    return ranking(viewer, [tag.id], limit=limit, department=department)


def suggest_for_question(asker, tag_names: list[str], limit: int = ASK_LIMIT) -> list[Expert]:
    """ "Ask an expert": up to ``limit`` people (not the asker) who know the question's tags best."""
    from cop.tags.models import Tag

    if not tag_names:
        return []
    ids = list(db.session.scalars(select(Tag.id).where(Tag.name.in_(tag_names))))
    return ranking(asker, ids, limit=limit, exclude_user_id=getattr(asker, "id", None))


DIRECTORY_LIMIT = 30


def directory_ranking(viewer, tag_name: str, department: str = "", limit: int = DIRECTORY_LIMIT) -> list[Expert]:
    """The people directory sorted by who knows ``tag_name`` best (none when the viewer cannot see the tag)."""
    from cop.tags.services import visible_tag_or_none

    found = visible_tag_or_none(viewer, tag_name)
    return experts_on(viewer, found, limit=limit, department=department) if found is not None else []
