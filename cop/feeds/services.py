"""Feeds: who a feed reader is, what they may read, and the Atom document.

Who reads a feed:

* ``?token=…`` — the user whose ``feed_token`` it is, for visibility only
  (nobody is logged in, and a token never authorises a POST). A token that
  matches no enabled account is refused, so resetting a token or disabling
  the account cuts off every old URL at once.
* no token, but a browser session — the signed-in user.
* neither — an anonymous reader, who gets open communities' content only.

Every feed filters through ``permissions.visible_communities`` for that
reader (membership is read at request time, so a removed member's token
stops showing the community immediately).
"""

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from sqlalchemy import Select, select

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.discussions.models import Thread, thread_tags
from cop.extensions import db, utcnow
from cop.permissions import Viewer
from cop.tags.models import Tag

FEED_LENGTH = 20

# Characters XML 1.0 forbids (everything below 0x20 except tab, newline and
# carriage return; lone surrogates; U+FFFE and U+FFFF); DEL too, as noise.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str | None) -> str:
    """``text`` with the characters that would make the feed invalid XML removed."""
    return _NOT_XML.sub("", str(text or ""))


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


def user_for_token(token: str) -> User | None:
    """The enabled user whose feed token this is, or None."""
    if not token or len(token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.feed_token == token))
    # (The row was found by this token, so it has one: the comparison is a constant-time second look.)
    if user is None or user.is_disabled or not secrets.compare_digest(user.feed_token or "", token):
        return None
    return user


def reset_feed_token(user: User) -> str:
    """Give the user a new feed token (a first one for an account made before tokens existed: the
    profile page's *Create my feed addresses*); every feed URL with the old one stops working.

    Only ever from a POST: no page creates a token while it is being read."""
    user.feed_token = new_feed_token()
    db.session.commit()
    return user.feed_token


def _readable_ids(reader: Viewer) -> Select[tuple[int]]:
    """The communities whose content ``reader`` (a user, or None: anonymous, the open ones) may read in a feed."""
    return permissions.visible_communities(reader).with_only_columns(Community.id)


def member_communities(user: User) -> list[Community]:
    """The communities where ``user`` is an active member, by name (their feed links on the settings page)."""
    return list(
        db.session.scalars(
            permissions.visible_communities(user)
            .where(
                Community.id.in_(
                    select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")
                )
            )
            .order_by(Community.name)
        )
    )


def community_for_feed(reader: Viewer, slug: str) -> Community | None:
    """The community if ``reader`` may read its content, else None (missing and forbidden alike)."""
    return db.session.scalar(permissions.visible_communities(reader).where(Community.slug == slug))


def community_threads(community: Community, limit: int = FEED_LENGTH) -> list[Thread]:
    """The community's newest live threads."""
    return list(
        db.session.scalars(
            select(Thread)
            .where(Thread.community_id == community.id, Thread.is_deleted.is_(False))
            .order_by(Thread.created_at.desc(), Thread.id.desc())
            .limit(limit)
        )
    )


def tag_threads(reader: Viewer, tag: Tag, limit: int = FEED_LENGTH) -> list[Thread]:
    """The newest live threads with ``tag`` in every community ``reader`` may read."""
    return list(
        db.session.scalars(
            select(Thread)
            .where(
                Thread.is_deleted.is_(False),
                Thread.community_id.in_(_readable_ids(reader)),
                Thread.id.in_(select(thread_tags.c.thread_id).where(thread_tags.c.tag_id == tag.id)),
            )
            .order_by(Thread.created_at.desc(), Thread.id.desc())
            .limit(limit)
        )
    )


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def atom_feed(
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    link: str,
    self_link: str,
    threads: list[Thread],
    thread_url: Callable[[Thread], str],
) -> bytes:
    """An Atom document of ``threads`` (newest first), each with its opening post's HTML when visible.

    ``thread_url(thread)`` gives an entry's absolute address. Every text
    field goes through ``xml_text`` first: one control character in a title
    would otherwise make the whole feed unreadable.
    """
    feed = FeedGenerator()
    feed.id(xml_text(feed_id))
    feed.title(xml_text(title))
    feed.subtitle(xml_text(subtitle) or "cop")
    feed.author({"name": "cop"})
    feed.link(href=link, rel="alternate")
    feed.link(href=self_link, rel="self")
    feed.generator("cop")
    newest = max((t.last_activity_at for t in threads), default=None)
    feed.updated(_aware(newest or utcnow()))
    for thread in threads:
        entry = feed.add_entry(order="append")
        url = thread_url(thread)
        entry.id(xml_text(url))
        entry.title(xml_text(thread.title))
        entry.link(href=url, rel="alternate")
        entry.published(_aware(thread.created_at))
        entry.updated(_aware(thread.last_activity_at))
        entry.author({"name": xml_text(thread.author.display_name if thread.author else "A former member")})
        for tag in thread.tags:
            entry.category(term=xml_text(tag.name))
        opening = thread.opening_post
        if opening is not None and opening.is_visible:
            entry.content(xml_text(opening.body_html), type="html")
        else:
            entry.summary(xml_text(f"{thread.kind_label} in {thread.community.name}"))
    document: bytes = feed.atom_str(pretty=True)  # feedgen has no type hints
    return document
