"""Writing aids: preview, drafts and suggestions. Services own their transactions."""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, case, delete, func, select

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.database import rowcount
from cop.discussions import services as discussions
from cop.discussions.models import FIVE_WS, FIVE_WS_MAX, Post
from cop.errors import DomainError
from cop.extensions import db, utcnow
from cop.markup import MAX_MARKDOWN_CHARS, MarkupError, candidate_mentions, render_markdown
from cop.permissions import Viewer
from cop.writing.models import PLACE_KINDS, Draft

MAX_DRAFTS_PER_USER = 100
TITLE_MAX = 200
EXTRA_FIELDS = {
    "kind": 12,
    "priority": 1,
    "tags": 500,
    "parent_id": 12,
    **{key: FIVE_WS_MAX for key, _label in FIVE_WS},
}
MENTION_SUGGESTIONS = 8


# --- Preview ---------------------------------------------------------------------------------------


def preview(text: str, limit: int = MAX_MARKDOWN_CHARS) -> str:
    """The HTML that saving ``text`` would store: same renderer, sanitiser and limits, @mentions of
    active people linked. ``limit`` is the field's own maximum length (never above the renderer's).

    :raise DomainError: too long, or refused by the renderer (the message is fit to show).
    """
    text = (text or "").replace("\r\n", "\n")
    limit = min(limit, MAX_MARKDOWN_CHARS)
    if len(text) > limit:
        raise DomainError(f"This text is too long: at most {limit:,} characters (it has {len(text):,}).")
    handles = candidate_mentions(text)
    links = {}
    if handles:
        rows = db.session.scalars(
            select(User.handle).where(func.lower(User.handle).in_(handles), User.is_disabled.is_(False))
        )
        links = {handle.lower(): url_for("accounts.profile", handle=handle) for handle in rows}
    try:
        return render_markdown(text, mentions=links)
    except MarkupError as exc:
        raise DomainError(exc.args[0]) from None


# --- Drafts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a draft belongs: its key, its community, a label and the page to continue writing on."""

    key: str
    community: Community
    label: str
    url: str


def resolve_place(user: Viewer, key: str) -> Place | None:
    """The place ``key`` names if ``user`` may write there now, else None (missing and forbidden alike)."""
    kind, _, raw_id = (key or "").partition(":")
    if kind not in PLACE_KINDS or not raw_id.isdigit() or len(raw_id) > 12:
        return None
    object_id = int(raw_id)
    if kind == "thread":
        community = db.session.get(Community, object_id)
        if community is None or not permissions.can_view(user, community) or not permissions.can_post(user, community):
            return None
        return Place(
            key, community, f"New thread in {community.name}", url_for("discussions.new_thread", slug=community.slug)
        )
    if kind == "reply":
        thread = discussions.get_thread_or_none(object_id)
        if (
            thread is None
            or not permissions.can_view(user, thread.community)
            or not permissions.can_post(user, thread.community)
        ):
            return None
        return Place(
            key, thread.community, f"Reply to “{thread.title}”", url_for("discussions.reply", thread_id=thread.id)
        )
    post = db.session.get(Post, object_id)
    if post is None or not permissions.can_edit_post(user, post) or post.thread.is_deleted:
        return None
    return Place(
        key,
        post.thread.community,
        f"Edit of your post in “{post.thread.title}”",
        url_for("discussions.edit_post", post_id=post.id),
    )


def place_key(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def get_draft(user: Viewer, key: str) -> Draft | None:
    """``user``'s own draft for ``key`` (never anyone else's)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Draft).where(Draft.user_id == user.id, Draft.place == key))


def draft_extra(draft: Draft) -> dict[str, Any]:
    try:
        extra = json.loads(draft.extra or "{}")
    except ValueError:
        return {}
    return extra if isinstance(extra, dict) else {}


def save_draft(
    user: Viewer, place: Place, *, body: str, title: str = "", extra: dict[str, Any] | None = None
) -> Draft | None:
    """Keep what ``user`` typed at ``place`` (one draft per person and place, replaced each time).

    An empty draft (no title, no text) deletes the one kept, and returns None.

    :raise DomainError: text or title too long, or too many drafts kept.
    """
    body = (body or "").replace("\r\n", "\n")
    title = (title or "").strip()
    if len(body) > MAX_MARKDOWN_CHARS:
        raise DomainError(f"This draft is too long to keep: at most {MAX_MARKDOWN_CHARS:,} characters.", field="body")
    if len(title) > TITLE_MAX:
        raise DomainError(f"Keep the title under {TITLE_MAX} characters.", field="title")
    kept = {}
    for name, value in (extra or {}).items():
        if name in EXTRA_FIELDS and isinstance(value, str):
            if len(value) > EXTRA_FIELDS[name]:
                raise DomainError(f"The field “{name}” is too long.", field=name)
            kept[name] = value
    draft = get_draft(user, place.key)
    if not body.strip() and not title and not any(kept.get(key, "").strip() for key, _label in FIVE_WS):
        if draft is not None:
            db.session.delete(draft)
            db.session.commit()
        return None
    if draft is None:
        count = db.session.execute(select(func.count()).select_from(Draft).where(Draft.user_id == user.id)).scalar_one()
        if count >= MAX_DRAFTS_PER_USER:
            raise DomainError(f"You already keep {MAX_DRAFTS_PER_USER} drafts; post or discard some first.")
        draft = Draft(user_id=user.id, place=place.key, community_id=place.community.id)
        db.session.add(draft)
    draft.title, draft.body, draft.extra, draft.updated_at = title, body, json.dumps(kept), utcnow()
    db.session.commit()
    return draft


def discard_draft(user: Viewer, key: str) -> bool:
    """Delete ``user``'s draft for ``key``; whether there was one. Called on posting and by *Discard*."""
    if not getattr(user, "is_authenticated", False):
        return False
    deleted = rowcount(db.session.execute(delete(Draft).where(Draft.user_id == user.id, Draft.place == key)))
    db.session.commit()
    return bool(deleted)


@dataclass(frozen=True)
class DraftRow:
    place: str
    label: str
    url: str
    excerpt: str
    updated_at: datetime


def drafts_of(user: Viewer, limit: int = 20) -> list[DraftRow]:
    """``user``'s drafts, newest first, in places where they may still write (for the home page)."""
    if not getattr(user, "is_authenticated", False):
        return []
    readable = permissions.readable_community_ids(user)
    if not readable:
        return []
    drafts = db.session.scalars(
        select(Draft)
        .where(Draft.user_id == user.id, Draft.community_id.in_(readable))
        .order_by(Draft.updated_at.desc())
        .limit(limit)
    )
    rows = []
    for draft in drafts:
        place = resolve_place(user, draft.place)
        if place is None:
            continue
        text = " ".join((draft.title or draft.body).split())
        rows.append(
            DraftRow(
                draft.place, place.label, place.url, text[:120] + ("…" if len(text) > 120 else ""), draft.updated_at
            )
        )
    return rows


# --- Mentions ----------------------------------------------------------------------------------------


def mention_suggestions(viewer: Viewer, prefix: str, community: Community | None = None) -> list[dict[str, str]]:
    """People whose handle or name starts with ``prefix``, for ``@`` autocomplete.

    Only active people (the people directory shows the same to every signed-in user). Members of
    ``community`` come first, but only if ``viewer`` may read it: who belongs to a closed community
    is never hinted at.
    """
    prefix = (prefix or "").strip().lstrip("@").lower()[:40]
    if not prefix or not all(ch.isalnum() or ch in "_ -." for ch in prefix):
        return []
    pattern = prefix.replace("\\", "").replace("%", "").replace("_", "\\_") + "%"
    query = select(User.handle, User.display_name).where(
        User.is_disabled.is_(False),
        func.lower(User.handle).like(pattern, escape="\\")
        | func.lower(User.display_name).like(pattern, escape="\\")
        | func.lower(User.display_name).like("% " + pattern, escape="\\"),
    )
    order: list[ColumnElement[int | str]] = [func.lower(User.display_name)]
    if community is not None and permissions.can_view(viewer, community):
        member = (
            select(Membership.id)
            .where(
                Membership.community_id == community.id, Membership.user_id == User.id, Membership.status == "active"
            )
            .exists()
        )
        order.insert(0, case((member, 0), else_=1))
    rows = db.session.execute(query.order_by(*order).limit(MENTION_SUGGESTIONS))
    return [{"handle": handle, "name": name} for handle, name in rows]
