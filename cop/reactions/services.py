"""Reactions: toggling them, showing them on a page of posts, and counting *helpful* for reports.

Who may react is decided by ``cop.permissions.can_react``: active members of the post's community,
never on a removed or hidden post, and never *helpful* on one's own post. What a page shows is read
for all its posts in one query (``summaries``); reports read ``helpful_received``, which only counts
in the communities its caller passes (the caller decides what the viewer may see).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cop import permissions
from cop.accounts.models import User
from cop.discussions.models import Post, Thread, thread_tags
from cop.errors import DomainError, NotAllowed
from cop.extensions import db
from cop.reactions.models import EMOJI, KINDS, LABELS, Reaction

NAMES_SHOWN = 12  # "who" lists at most this many names per kind, then "and N others"


@dataclass(frozen=True)
class Summary:
    """One kind of reaction on one post, as a page shows it."""

    kind: str
    count: int
    names: tuple[str, ...]  # the first NAMES_SHOWN reactors, oldest first
    mine: bool

    @property
    def emoji(self) -> str:
        return EMOJI[self.kind]

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def others(self) -> int:
        return self.count - len(self.names)


def toggle(user: User, post: Post, kind: str) -> bool:
    """Add ``user``'s reaction of ``kind`` to ``post``, or take it back if it is there.

    Returns whether the reaction is now on. A double submit (two tabs, a double click) that races the
    unique constraint ends with the reaction on, never twice.
    :raise DomainError: unknown kind, *helpful* on one's own post, or a removed post.
    :raise NotAllowed: not an active member of the post's community.
    """
    if not permissions.is_member(user, post.thread.community):
        raise NotAllowed("Only members of this community can react to its posts.")
    if kind not in KINDS:
        raise DomainError("Choose one of the reactions shown under the post.")
    if kind == "helpful" and post.author_id == user.id:
        raise DomainError("You cannot mark your own post as helpful.")
    if not permissions.can_react(user, post, kind):
        raise DomainError("This post has been removed; it takes no reactions.")
    existing = db.session.scalar(
        select(Reaction).where(Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == kind)
    )
    if existing is not None:
        db.session.delete(existing)
        db.session.commit()
        return False
    db.session.add(Reaction(post_id=post.id, user_id=user.id, kind=kind))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return True


def summaries(post_ids: Iterable[int], viewer_id: int | None) -> dict[int, tuple[Summary, ...]]:
    """The reactions on ``post_ids`` by post, each kind in ``KINDS`` order: one query for a page.

    The caller passes only posts the viewer may read.
    """
    post_ids = list(post_ids)
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(Reaction.post_id, Reaction.kind, Reaction.user_id, User.display_name)
        .join(User, User.id == Reaction.user_id)
        .where(Reaction.post_id.in_(post_ids))
        .order_by(Reaction.post_id, Reaction.id)
    )
    gathered: dict[int, dict[str, list[Any]]] = {}
    for post_id, kind, user_id, name in rows:
        entry = gathered.setdefault(post_id, {}).setdefault(kind, [0, [], False])
        entry[0] += 1
        if len(entry[1]) < NAMES_SHOWN:
            entry[1].append(name)
        entry[2] = entry[2] or user_id == viewer_id
    order = {kind: i for i, kind in enumerate(KINDS)}
    return {
        post_id: tuple(
            Summary(kind, count, tuple(names), mine)
            for kind, (count, names, mine) in sorted(kinds.items(), key=lambda kv: order[kv[0]])
        )
        for post_id, kinds in gathered.items()
    }


def helpful_received(
    community_ids: Iterable[int],
    *,
    user_ids: Iterable[int] | None = None,
    tag_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, int]:
    """Helpful reactions received by each author on their visible posts, by author id (read-only).

    Only posts of live threads in ``community_ids`` count (pass what the report's viewer may read, or
    the one community of a report); ``user_ids`` and ``tag_ids`` narrow it to those authors or to threads
    with any of those tags; ``since``/``until`` bound when the reaction was given (``until`` excluded).
    """
    helpful = func.count(Reaction.id)
    stmt = (
        select(Post.author_id, helpful)
        .select_from(Reaction)
        .join(Post, Post.id == Reaction.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(
            Reaction.kind == "helpful",
            Thread.community_id.in_(community_ids),
            Thread.is_deleted.is_(False),
            Post.is_deleted.is_(False),
            Post.is_hidden.is_(False),
            Post.author_id.is_not(None),
        )
        .group_by(Post.author_id)
    )
    if user_ids is not None:
        stmt = stmt.where(Post.author_id.in_(user_ids))
    if tag_ids is not None:
        stmt = stmt.where(Thread.id.in_(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id.in_(tag_ids))))
    if since is not None:
        stmt = stmt.where(Reaction.created_at >= since)
    if until is not None:
        stmt = stmt.where(Reaction.created_at < until)
    return {author_id: int(n) for author_id, n in db.session.execute(stmt)}
