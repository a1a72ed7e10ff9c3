"""Who knows what: people ranked by their evidence of knowing a tag, as one viewer may see it.

Evidence on a tag, each item weighted by its kind and by how recent it is:

=====================  ======  ============================================================
accepted answer          5     a post of theirs accepted as the answer, in a thread with the tag
helpful reaction         2     someone else marked a post of theirs in such a thread *helpful*
resource written         3     a live resource of theirs carrying the tag
post                     1     a visible post of theirs in a thread with the tag
declared expertise       4     the tag is on their profile (no recency: it is a statement)
=====================  ======  ============================================================

Recency: an item ``d`` days old counts ``1 / (1 + d / 180)`` of its weight (a
year-old answer counts a third), a decay any SQL database computes. Discussions:
the ``EVIDENCE_THREADS`` most recently opened on the tag that the viewer may read
(older ones would weigh little, and reading every post of a popular tag would
make its page slow); resources and declared expertise: all.

Visibility: only evidence from communities the viewer may read counts, so the
ranking a person sees never reflects activity they cannot see (a private
community's answers do not lift anyone for an outsider). Disabled accounts are
left out. Everything is aggregated in SQL, one query per ranking.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, case, cast, func, literal, literal_column, select, union_all

from cop import permissions
from cop.accounts.models import User, user_expertise
from cop.discussions.models import Post, Thread, thread_tags
from cop.extensions import db, utcnow
from cop.library.models import Resource, resource_tags
from cop.reactions.models import Reaction

WEIGHTS = {"accepted": 5.0, "helpful": 2.0, "resource": 3.0, "post": 1.0, "declared": 4.0}
DECAY_DAYS = 180.0
EVIDENCE_THREADS = 300  # the most recent discussions on the tag read for evidence
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
        for count, one, many in ((self.accepted, "accepted answer", "accepted answers"),
                                 (self.helpful, "helpful mark", "helpful marks"),
                                 (self.resources, "resource", "resources"), (self.posts, "post", "posts")):
            if count:
                parts.append(f"{count} {one if count == 1 else many}")
        if self.declared:
            parts.append("declared expertise")
        return ", ".join(parts)


def _age_factor(column, now: datetime):
    """SQL for ``1 / (1 + age in days / DECAY_DAYS)`` (age at ``now``; future items count fully)."""
    from cop.oversight.sql import datetime_literal, seconds_between

    days = seconds_between(datetime_literal(now), column) / 86400.0
    return 1.0 / (1.0 + case((days > 0, days), else_=0.0) / DECAY_DAYS)


def _marks(kind: str):
    return [literal_column("1" if kind == k else "0").label(k) for k in ("accepted", "helpful", "resource", "post")]


def _readable(viewer) -> list[int]:
    """The communities whose evidence counts for ``viewer`` (this request's set, no query)."""
    return sorted(permissions.readable_community_ids(viewer))


def ranking(viewer, tag_ids, *, limit: int = EXPERTS_SHOWN, now: datetime | None = None,
            exclude_user_id: int | None = None, department: str = "") -> list[Expert]:
    """The people who know the tags ``tag_ids`` best as ``viewer`` may see it, best first (ties by name)."""
    tag_ids = list(tag_ids)
    if not tag_ids:
        return []
    now = now or utcnow()
    readable = _readable(viewer)
    # The most recent discussions on the tags that the viewer may read: older ones would weigh little
    # after the recency decay, and reading every post of a popular tag would cost the tag page ~1 s.
    recent = (select(Thread.id).join(thread_tags, thread_tags.c.thread_id == Thread.id)
              .where(thread_tags.c.tag_id.in_(tag_ids), Thread.is_deleted.is_(False),
                     Thread.community_id.in_(readable))
              .order_by(Thread.created_at.desc(), Thread.id.desc()).limit(EVIDENCE_THREADS))
    visible_post = and_(Post.is_deleted.is_(False), Post.is_hidden.is_(False), Thread.id.in_(recent))
    posts = (select(Post.author_id.label("uid"), _age_factor(Post.created_at, now).label("w"), *_marks("post"))
             .join(Thread, Thread.id == Post.thread_id).where(visible_post))
    accepted = (select(Post.author_id, _age_factor(Post.created_at, now), *_marks("accepted"))
                .select_from(Thread).join(Post, Post.id == Thread.accepted_post_id).where(visible_post))
    # Driven from the posts of those discussions (their reactions found by post id), not from every helpful
    # mark there is: ``kind || ''`` keeps SQLite's planner off the (kind, created_at) index.
    helpful = (select(Post.author_id, _age_factor(Reaction.created_at, now), *_marks("helpful"))
               .select_from(Thread).join(Post, Post.thread_id == Thread.id)
               .join(Reaction, and_(Reaction.post_id == Post.id, Reaction.kind.concat("") == "helpful"))
               .where(Reaction.user_id != Post.author_id, visible_post))
    resources = (select(Resource.author_id, _age_factor(Resource.created_at, now), *_marks("resource"))
                 .where(Resource.is_deleted.is_(False), Resource.community_id.in_(readable),
                        Resource.id.in_(select(resource_tags.c.resource_id)
                                        .where(resource_tags.c.tag_id.in_(tag_ids)))))
    declared = select(user_expertise.c.user_id, literal(0.0, Float), *_marks("declared")).where(
        user_expertise.c.tag_id.in_(tag_ids))
    rows = union_all(posts, accepted, helpful, resources, declared).subquery()
    is_declared = func.count(rows.c.uid) - func.sum(rows.c.accepted + rows.c.helpful + rows.c.resource + rows.c.post)
    weighted = sum(WEIGHTS[k] * rows.c[k] for k in ("accepted", "helpful", "resource", "post"))
    evidence = func.sum(rows.c.w * weighted)
    score = cast(evidence, Float) + case((is_declared > 0, WEIGHTS["declared"]), else_=0.0)
    stmt = (select(User.id, User.display_name, User.handle, score.label("score"), func.sum(rows.c.accepted),
                   func.sum(rows.c.helpful), func.sum(rows.c.resource), func.sum(rows.c.post), is_declared)
            .join(rows, rows.c.uid == User.id).where(User.is_disabled.is_(False))
            .group_by(User.id, User.display_name, User.handle)
            .order_by(score.desc(), User.display_name, User.id).limit(limit))
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    if department:
        stmt = stmt.where(User.department == department)
    return [Expert(uid, name, handle, round(float(s or 0), 3), int(a or 0), int(h or 0), int(r or 0), int(p or 0),
                   bool(d))
            for uid, name, handle, s, a, h, r, p, d in db.session.execute(stmt)]


def experts_on(viewer, tag, limit: int = EXPERTS_SHOWN, department: str = "") -> list[Expert]:
    """"People who know #tag" on its page, and the people directory sorted by who knows a tag best."""
    return ranking(viewer, [tag.id], limit=limit, department=department)


def suggest_for_question(asker, tag_names: list[str], limit: int = ASK_LIMIT) -> list[Expert]:
    """"Ask an expert": up to ``limit`` people (not the asker) who know the question's tags best."""
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
