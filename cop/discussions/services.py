"""Discussion services: threads, replies, answers, edits, moderation, triage.

Each public function is one decision that checks its rule through
``cop.permissions``, writes the rows (and the audit entry for coordinator
actions) and commits. Broken rules raise ``DomainError``; missing rights
raise ``NotAllowed``.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypedDict, TypeVar

from flask import has_request_context, url_for
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, or_, select, union_all, update
from sqlalchemy.orm import defer, joinedload, lazyload

from cop import permissions, signals
from cop.accounts.models import User
from cop.admin import audit
from cop.communities.guidelines import PLATFORM_GUIDELINES
from cop.communities.models import Community, Membership
from cop.discussions import sentiment
from cop.discussions.models import (
    FIVE_WS,
    FIVE_WS_KINDS,
    FIVE_WS_MAX,
    KINDS,
    MAX_DEPTH,
    PATH_STEP,
    PRIORITIES,
    STATUSES,
    Flag,
    Post,
    PostRevision,
    Thread,
    ThreadFiveWs,
    post_mentions,
    thread_tags,
)
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow
from cop.library.services import record_post_links
from cop.markup import MarkupError, candidate_mentions, render_markdown
from cop.tags.models import Tag, get_or_create_tags, normalize_tag, parse_tags
from cop.textdiff import unified_diff
from cop.validation import clean_title

TITLE_MAX = 200
POSTS_PER_PAGE = 50
THREADS_PER_PAGE = 25
STALE_AFTER = timedelta(hours=48)


# --- rules -------------------------------------------------------------------------


def _require_post_rights(user: User, community: Community) -> None:
    if not permissions.can_post(user, community):
        raise NotAllowed("Only members of this community can post here. Join it first.")


def _render_body(body: str) -> tuple[str, list[User]]:
    """Render a post body with its @mentions; return the HTML and the mentioned users."""
    if not (body or "").strip():
        raise DomainError("Write something first: the text cannot be empty.", field="body")
    handles = candidate_mentions(body)
    users = (
        list(db.session.scalars(select(User).where(func.lower(User.handle).in_(handles), User.is_disabled.is_(False))))
        if handles
        else []
    )
    links = {u.handle.lower(): _profile_url(u.handle) for u in users}
    try:
        html = render_markdown(body, mentions=links)
    except MarkupError as exc:
        raise DomainError(exc.args[0], field="body") from None
    return html, users


def _profile_url(handle: str) -> str:
    # Outside a request (CLI, seeding) there is no URL adapter; the route is fixed.
    return url_for("accounts.profile", handle=handle) if has_request_context() else f"/people/{handle}"


def _validate_kind_priority(user: User, community: Community, kind: str, priority: int | str | None) -> int:
    if kind not in KINDS:
        raise DomainError("Choose what kind of thread this is.", field="kind")
    if kind == "announcement" and not permissions.can_manage(user, community):
        raise DomainError("Only coordinators can post announcements.", field="kind")
    try:
        priority = int(priority) if priority is not None else 0
    except (TypeError, ValueError):
        priority = 0
    if priority not in PRIORITIES:
        raise DomainError("Choose a priority: 1 urgent, 2 soon or 3 whenever.", field="priority")
    return priority


def _set_path(post: Post, parent: Post | None) -> None:
    """Place ``post`` in the tree; replies deeper than MAX_DEPTH stay at MAX_DEPTH."""
    own = str(post.id).zfill(PATH_STEP)
    if parent is None:
        post.path, post.depth = own, 0
    elif parent.depth < MAX_DEPTH:
        post.path, post.depth = f"{parent.path}.{own}", parent.depth + 1
    else:
        prefix = parent.path.rsplit(".", 1)[0]
        post.path, post.depth = f"{prefix}.{own}", parent.depth


# --- threads and posts ----------------------------------------------------------------


def clean_five_ws(kind: str, answers: Mapping[str, object] | None) -> dict[str, str]:
    """The 5 W's answers (keys of ``FIVE_WS``), each on one line; ``{}`` when none is given.

    :raise DomainError: an answer longer than ``FIVE_WS_MAX`` characters (on its field), or answers
        given for a kind other than a question or a problem.
    """
    cleaned = {key: " ".join(str((answers or {}).get(key) or "").split()) for key, _label in FIVE_WS}
    for key, label in FIVE_WS:
        if len(cleaned[key]) > FIVE_WS_MAX:
            raise DomainError(f"Keep the answer to \u201c{label}\u201d under {FIVE_WS_MAX} characters.", field=key)
    if not any(cleaned.values()):
        return {}
    if kind not in FIVE_WS_KINDS:
        raise DomainError(
            "The 5 W's are for questions and problems: choose one of those kinds, or clear them.", field="kind"
        )
    return cleaned


def five_ws_markdown(answers: dict[str, str]) -> str:
    """The 5 W's as the table that opens the post: the same block in every post, read and searched with it."""
    if not answers:
        return ""
    rows = ["| The 5 W's | Answer |", "| --- | --- |"]
    for key, label in FIVE_WS:
        if answers.get(key):
            text = answers[key].replace("\\", "\\\\").replace("|", "\\|")
            rows.append(f"| **{label}** | {text} |")
    return "\n".join(rows) + "\n"


def create_thread(
    author: User,
    community: Community,
    *,
    title: str,
    body: str,
    kind: str = "discussion",
    priority: int | str | None = 3,
    tags: str = "",
    five_ws: Mapping[str, object] | None = None,
) -> Thread:
    """Open a thread with its first post; ``five_ws`` (a question or problem's optional 5 W's, keyed as
    ``FIVE_WS``) open the post as a table and are kept for the report.

    :raise NotAllowed: the author is not an active member.
    :raise DomainError: empty or long title, empty or unrenderable body, bad
        kind or priority, an announcement by a non-coordinator, or a 5 W's
        answer too long or given for another kind.
    """
    _require_post_rights(author, community)
    title = clean_title(title, "thread", TITLE_MAX)
    priority = _validate_kind_priority(author, community, kind, priority)
    answers = clean_five_ws(kind, five_ws)
    if answers:
        body = five_ws_markdown(answers) + ("\n" + body if (body or "").strip() else "")
    html, mentioned = _render_body(body)
    now = utcnow()
    thread = Thread(
        community_id=community.id,
        author_id=author.id,
        title=title,
        kind=kind,
        priority=priority,
        status="open",
        created_at=now,
        last_activity_at=now,
    )
    thread.tags = get_or_create_tags(parse_tags(tags))
    db.session.add(thread)
    db.session.flush()
    post = Post(thread_id=thread.id, author_id=author.id, body_md=body, body_html=html, created_at=now)
    sentiment.apply(post)
    db.session.add(post)
    db.session.flush()
    _set_path(post, None)
    thread.opening_post_id = post.id
    if answers:
        db.session.add(ThreadFiveWs(thread_id=thread.id, **answers))
    _record_mentions(post, mentioned)
    record_post_links(post)
    signals.thread_created.send(author, thread=thread, post=post)
    _announce_mentions(author, post, mentioned)
    db.session.commit()
    return thread


def _refresh_first_reply(thread: Thread, removed: Post) -> None:
    """Keep ``thread.first_reply_at`` the first *visible* reply by someone other than the author
    after ``removed`` (just deleted or hidden) stops counting; the oversight reports' time to first reply reads it."""
    if removed.parent_id is None or removed.author_id == thread.author_id or thread.first_reply_at is None:
        return
    if removed.created_at > thread.first_reply_at:
        return
    db.session.flush()
    by_others = or_(Post.author_id.is_(None), Post.author_id != thread.author_id)
    thread.first_reply_at = db.session.scalar(
        select(func.min(Post.created_at)).where(
            Post.thread_id == thread.id,
            Post.parent_id.is_not(None),
            Post.is_deleted.is_(False),
            Post.is_hidden.is_(False),
            by_others,
        )
    )


def _record_mentions(post: Post, users: Sequence[User]) -> None:
    if users:
        db.session.execute(post_mentions.insert(), [{"post_id": post.id, "user_id": u.id} for u in users])


def _announce_mentions(
    author: User, post: Post, users: Sequence[User], already: set[int] | frozenset[int] = frozenset()
) -> None:
    """Send ``users_mentioned`` for the users not mentioned in this post before (``already``: their ids)."""
    new = [u for u in users if u.id not in already]
    if new:
        signals.users_mentioned.send(author, post=post, users=new)


def reply(author: User, thread: Thread, parent: Post | None, body: str) -> Post:
    """Answer ``parent`` (a post of ``thread``).

    :raise NotAllowed: the author is not an active member.
    :raise DomainError: the thread is locked or closed, the parent belongs to
        another thread or was removed, or the body is empty or unrenderable.
    """
    _require_post_rights(author, thread.community)
    if parent is None or parent.thread_id != thread.id:
        raise DomainError("That post is not part of this thread.")
    if not parent.is_visible:
        raise DomainError("That post has been removed; reply to another one.")
    if thread.is_locked:
        raise DomainError("This thread is locked: no new replies.")
    if thread.status == "closed":
        raise DomainError("This thread is closed: no new replies.")
    html, mentioned = _render_body(body)
    now = utcnow()
    post = Post(
        thread_id=thread.id, author_id=author.id, parent_id=parent.id, body_md=body, body_html=html, created_at=now
    )
    sentiment.apply(post)
    db.session.add(post)
    db.session.flush()
    _set_path(post, parent)
    _record_mentions(post, mentioned)
    record_post_links(post)
    _count_reply(thread, author, now)
    signals.reply_created.send(author, post=post)
    _announce_mentions(author, post, mentioned)
    db.session.commit()
    return post


def _count_reply(thread: Thread, author: User, now: datetime) -> None:
    """One more reply in ``thread`` (reply count, last activity, first reply by someone else), in one UPDATE.

    Computed by the database from the row as it is when the UPDATE runs, never from values read
    earlier: concurrent replies each add their one (a value read and written back loses those committed
    in between). ``flask cop repair-counters`` recomputes the same figures from the posts.
    """
    values: dict[str, ColumnElement[Any]] = {
        "reply_count": Thread.reply_count + 1,
        "last_activity_at": case((Thread.last_activity_at < now, now), else_=Thread.last_activity_at),
    }
    if author.id != thread.author_id:
        values["first_reply_at"] = case(
            (or_(Thread.first_reply_at.is_(None), Thread.first_reply_at > now), now), else_=Thread.first_reply_at
        )
    db.session.execute(
        update(Thread).where(Thread.id == thread.id).values(**values).execution_options(synchronize_session=False)
    )
    db.session.expire(thread, list(values))


def quote_text(post: Post) -> str:
    """Markdown that quotes ``post`` (attributed) for the start of a reply."""
    if not post.is_visible:
        return ""
    name = post.author.display_name if post.author else "someone"
    quoted = "\n".join("> " + line for line in post.body_md.strip().splitlines()[:40])
    return f"> **{name}** wrote:\n>\n{quoted}\n\n"


def edit_post(editor: User, post: Post, body: str) -> None:
    """Replace a post's text, keeping the previous version as a revision.

    :raise NotAllowed: not the author (or no longer a member), or the post is removed.
    :raise DomainError: empty or unrenderable body, or the thread is locked.
    """
    if not permissions.can_edit_post(editor, post):
        raise NotAllowed("Only the author can edit this post.")
    if post.thread.is_locked:
        raise DomainError("This thread is locked: posts can no longer be edited.")
    if body == post.body_md:
        return
    html, mentioned = _render_body(body)
    now = utcnow()
    db.session.add(
        PostRevision(
            post_id=post.id,
            editor_id=editor.id,
            body_md=post.body_md,
            written_at=post.edited_at or post.created_at,
            replaced_at=now,
        )
    )
    post.body_md, post.body_html, post.edited_at = body, html, now
    sentiment.apply(post)
    before = set(db.session.scalars(select(post_mentions.c.user_id).where(post_mentions.c.post_id == post.id)))
    db.session.execute(post_mentions.delete().where(post_mentions.c.post_id == post.id))
    _record_mentions(post, mentioned)
    record_post_links(post)
    _announce_mentions(editor, post, mentioned, already=before)
    db.session.commit()


def delete_post(actor: User, post: Post) -> None:
    """Soft-delete: the post stays in the tree as "post removed".

    Deleting the opening post removes the whole thread from lists.
    :raise NotAllowed: neither the author nor a coordinator.
    """
    if not permissions.can_delete_post(actor, post):
        raise NotAllowed("You cannot delete this post.")
    post.is_deleted = True
    thread = post.thread
    if thread.accepted_post_id == post.id:
        thread.accepted_post_id = None
        thread.status = "open" if thread.status == "answered" else thread.status
    if thread.opening_post_id == post.id:
        thread.is_deleted = True
    _refresh_first_reply(thread, post)
    if actor.id != post.author_id:
        audit.record(actor, "post.delete", post, thread.community, detail=f"thread {thread.id}")
    db.session.commit()


def set_accepted(actor: User, thread: Thread, post: Post | None) -> None:
    """Mark ``post`` as the accepted answer (``None`` unmarks it).

    :raise NotAllowed: neither the asker nor a coordinator, or not a question.
    :raise DomainError: the post is not a visible reply in this thread.
    """
    if not permissions.can_accept(actor, thread):
        raise NotAllowed("Only the asker or a coordinator can choose the accepted answer.")
    if post is None:
        thread.accepted_post_id = None
        if thread.status == "answered":
            thread.status = "open"
    else:
        if post.thread_id != thread.id or post.id == thread.opening_post_id or not post.is_visible:
            raise DomainError("Only a visible reply in this thread can be the accepted answer.")
        changed = thread.accepted_post_id != post.id
        thread.accepted_post_id = post.id
        if thread.status == "open":
            thread.status = "answered"
        if changed:
            signals.answer_accepted.send(actor, thread=thread, post=post)
    if permissions.can_moderate(actor, thread) and actor.id != thread.author_id:
        audit.record(actor, "thread.accept" if post else "thread.unaccept", thread, thread.community)
    db.session.commit()


# --- coordinator tools -------------------------------------------------------------------


def _require_moderator(actor: User, thread: Thread) -> None:
    if not permissions.can_moderate(actor, thread):
        raise NotAllowed("Only the community's coordinators can do that.")


def moderate_thread(actor: User, thread: Thread, action: str) -> None:
    """Pin, unpin, lock, unlock, close or reopen a thread (audited).

    :raise NotAllowed: not a coordinator. :raise DomainError: unknown action.
    """
    _require_moderator(actor, thread)
    changes = {
        "pin": ("is_pinned", True),
        "unpin": ("is_pinned", False),
        "lock": ("is_locked", True),
        "unlock": ("is_locked", False),
    }
    if action in changes:
        attribute, value = changes[action]
        setattr(thread, attribute, value)
    elif action == "close":
        thread.status = "closed"
    elif action == "reopen":
        thread.status = "answered" if thread.accepted_post_id else "open"
    else:
        raise DomainError("Unknown action.")
    audit.record(actor, f"thread.{action}", thread, thread.community, detail=thread.title[:200])
    db.session.commit()


def classify(actor: User, thread: Thread, kind: str, priority: int | str | None) -> None:
    """Change a thread's kind and priority (coordinators; audited).

    :raise NotAllowed: not a coordinator. :raise DomainError: bad kind or priority.
    """
    _require_moderator(actor, thread)
    priority = _validate_kind_priority(actor, thread.community, kind, priority)
    detail = f"{thread.kind}/{thread.priority} → {kind}/{priority}"
    thread.kind, thread.priority = kind, priority
    if kind != "question" and thread.accepted_post_id is None and thread.status == "answered":
        thread.status = "open"
    audit.record(actor, "thread.classify", thread, thread.community, detail=detail)
    db.session.commit()


def move_thread(actor: User, thread: Thread, target: Community | None) -> None:
    """Move a thread to another community the actor coordinates (audited in both).

    :raise NotAllowed: the actor does not coordinate both communities.
    :raise DomainError: the target is the current community.
    """
    _require_moderator(actor, thread)
    if target is None or not permissions.can_manage(actor, target):
        raise NotAllowed("You can only move threads to communities you coordinate.")
    if target.id == thread.community_id:
        raise DomainError("The thread is already in this community.", field="target")
    source = thread.community
    thread.community_id = target.id
    thread.community = target
    db.session.execute(
        Flag.__table__.update()
        .where(Flag.post_id.in_(select(Post.id).where(Post.thread_id == thread.id)))
        .values(community_id=target.id)
    )
    audit.record(actor, "thread.move", thread, source, detail=f"to {target.slug}")
    audit.record(actor, "thread.move", thread, target, detail=f"from {source.slug}")
    db.session.commit()


def move_targets(actor: User, thread: Thread) -> list[Community]:
    """Communities (other than the thread's) that ``actor`` coordinates."""
    stmt = select(Community).where(Community.id != thread.community_id).order_by(Community.name)
    if not permissions.is_admin(actor):
        stmt = stmt.join(Membership).where(
            Membership.user_id == actor.id, Membership.status == "active", Membership.role == "coordinator"
        )
    return list(db.session.scalars(stmt))


# --- flags ---------------------------------------------------------------------------------


def guideline_choices(community: Community) -> list[tuple[str, str]]:
    """(key, title) for the platform guidelines and each item of the community's own."""
    choices = [(key, title) for key, title, _text in PLATFORM_GUIDELINES]
    lines = [line.strip() for line in (community.guidelines_md or "").splitlines()]
    items = [line.lstrip("-*+0123456789.) ").strip() for line in lines if line[:1] in "-*+" or line[:1].isdigit()]
    choices += [(f"community-{i}", item[:200]) for i, item in enumerate(items, 1) if item]
    return choices


def flag_post(flagger: User, post: Post, guideline: str, note: str = "") -> Flag:
    """Report a post as breaking a guideline.

    :raise NotAllowed: the flagger is not a member.
    :raise DomainError: an unknown guideline, a long note, a removed post, or a repeat flag.
    """
    community = post.thread.community
    if not permissions.is_member(flagger, community):
        raise NotAllowed("Only members can flag posts.")
    if not post.is_visible:
        raise DomainError("This post has already been removed.")
    titles = dict(guideline_choices(community))
    if guideline not in titles:
        raise DomainError("Choose the guideline this post breaks.", field="guideline")
    if len(note or "") > 1000:
        raise DomainError("Keep the note under 1000 characters.", field="note")
    existing = db.session.scalar(
        select(Flag).where(Flag.post_id == post.id, Flag.flagger_id == flagger.id, Flag.status == "open")
    )
    if existing:
        raise DomainError("You have already flagged this post; a coordinator will look at it.")
    flag = Flag(
        post_id=post.id,
        community_id=community.id,
        flagger_id=flagger.id,
        guideline=guideline,
        guideline_title=titles[guideline],
        note=(note or "").strip(),
    )
    db.session.add(flag)
    db.session.flush()
    signals.post_flagged.send(flagger, flag=flag)
    db.session.commit()
    return flag


def decide_flag(actor: User, flag: Flag, hide: bool) -> None:
    """Dismiss a flag, or hide the post (closing every open flag on it). Audited.

    :raise NotAllowed: not a coordinator. :raise DomainError: already decided.
    """
    community = db.session.get(Community, flag.community_id)
    if community is None or not permissions.can_manage(actor, community):
        raise NotAllowed("Only the community's coordinators can decide flags.")
    if flag.status != "open":
        raise DomainError("This flag has already been decided.")
    now = utcnow()
    if hide:
        flag.post.is_hidden = True
        open_flags = db.session.scalars(select(Flag).where(Flag.post_id == flag.post_id, Flag.status == "open"))
        for other in open_flags:
            other.status, other.decided_at, other.decided_by_id = "hidden", now, actor.id
        thread = flag.post.thread
        if thread.accepted_post_id == flag.post_id:
            thread.accepted_post_id = None
            thread.status = "open" if thread.status == "answered" else thread.status
        _refresh_first_reply(thread, flag.post)
    else:
        flag.status, flag.decided_at, flag.decided_by_id = "dismissed", now, actor.id
    audit.record(
        actor,
        "flag.hide" if hide else "flag.dismiss",
        flag.post,
        community,
        detail=f"{flag.guideline_title}: {flag.note}"[:1000],
    )
    db.session.commit()


def open_flags(community: Community) -> list[Flag]:
    return list(
        db.session.scalars(
            select(Flag).where(Flag.community_id == community.id, Flag.status == "open").order_by(Flag.created_at)
        )
    )


def flags_by(user: User) -> list[Flag]:
    """A flagger's own flags with their outcome (only in communities still visible to them)."""
    visible = permissions.visible_communities(user).with_only_columns(Community.id)
    return list(
        db.session.scalars(
            select(Flag)
            .where(Flag.flagger_id == user.id, Flag.community_id.in_(visible))
            .order_by(Flag.created_at.desc())
            .limit(200)
        )
    )


# --- reading ---------------------------------------------------------------------------------

# Built once: constructing the statement and its loader options on every request cost more than running it.
_THREAD_FOR_PAGE = (
    select(Thread)
    .where(Thread.id == bindparam("thread_id"))
    .options(joinedload(Thread.opening_post), joinedload(Thread.accepted_post))
)


def get_thread_or_none(thread_id: int, *, for_page: bool = False) -> Thread | None:
    """The live thread; ``for_page``: with its opening post and accepted answer in the same query.

    (Not its tags: joined in, SQLite materialises every use of every tag first.)
    """
    if for_page:
        thread = db.session.scalar(_THREAD_FOR_PAGE, {"thread_id": thread_id})
    else:
        thread = db.session.get(Thread, thread_id)
    return None if thread is None or thread.is_deleted else thread


def _count_replies(thread: Thread) -> int:
    """The thread's replies, counted from the covering index (never ``reply_count``: a counter behind
    the posts must not leave a reply on no page)."""
    return (
        db.session.scalar(
            select(func.count()).select_from(Post).where(Post.thread_id == thread.id, Post.parent_id.is_not(None))
        )
        or 0
    )


def _page_of_replies(thread: Thread, page: int, per_page: int) -> Select[tuple[Post]]:
    """Select of one page of ``thread``'s replies in tree order (one indexed range on the path)."""
    return (
        select(Post)
        .where(Post.thread_id == thread.id, Post.parent_id.is_not(None))
        .order_by(Post.path)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )


def _reply_page(thread: Thread, page: int, per_page: int) -> tuple[int, int, Select[tuple[Post]]]:
    """``(page, pages, select of that page's replies in tree order)``, the page brought within range."""
    pages = max(1, -(-_count_replies(thread) // per_page))
    page = min(max(1, page), pages)
    return page, pages, _page_of_replies(thread, page, per_page)


def thread_page(
    thread: Thread, page: int = 1, per_page: int = POSTS_PER_PAGE
) -> tuple[list[Post], int, int, Post | None]:
    """One page of a thread's replies in tree order, with the accepted answer.

    Returns ``(posts, page, pages, accepted)``: a constant number of queries whatever the thread's size.
    """
    page, pages, stmt = _reply_page(thread, page, per_page)
    # Only what a page shows: not the Markdown source, and of each author only the name and handle.
    posts = list(
        db.session.scalars(
            stmt.options(defer(Post.body_md), joinedload(Post.author).load_only(User.handle, User.display_name))
        )
    )
    return posts, page, pages, accepted_post(thread)


def replies_with_text(thread: Thread, page: int = 1, per_page: int = POSTS_PER_PAGE) -> tuple[list[Post], int, int]:
    """One page of a thread's replies in tree order, whole (Markdown too) with their authors, for the API.

    Returns ``(posts, page, pages)``: two queries whatever the page's size.
    """
    page, pages, stmt = _reply_page(thread, page, per_page)
    return list(db.session.scalars(stmt.options(joinedload(Post.author)))), page, pages


def accepted_post(thread: Thread) -> Post | None:
    return db.session.get(Post, thread.accepted_post_id) if thread.accepted_post_id else None


def reply_page(thread: Thread, page: int = 1, per_page: int = POSTS_PER_PAGE) -> tuple[list[Post], int, int]:
    """One page of a thread's replies in tree order, as the thread page shows them (not their Markdown;
    of each author only the handle and name).

    Returns ``(posts, page, pages)``, the page brought within range: one query (two with no replies, or
    past the end), the number of replies counted by the same query.
    """
    page = max(1, page)
    rows = _counted_replies(thread, page, per_page)
    # Each row carries the number of replies (a window over the thread's replies, counted before the
    # offset): no query of its own, and never the denormalised ``reply_count``.
    total = rows[0][1] if rows else _count_replies(thread)
    pages = max(1, -(-total // per_page))
    if page > pages:  # past the end: the last page
        page = pages
        rows = _counted_replies(thread, page, per_page)
    return [post for post, _replies in rows], page, pages


def _counted_replies(thread: Thread, page: int, per_page: int) -> Sequence[Row[tuple[Post, int]]]:
    # The page's ids first, then their posts and authors: joined before the offset, PostgreSQL hashed
    # every user (10 ms).
    on_page = (
        _page_of_replies(thread, page, per_page)
        .with_only_columns(Post.id, func.count().over().label("replies"))
        .subquery()
    )
    return db.session.execute(
        select(Post, on_page.c.replies)
        .join(on_page, on_page.c.id == Post.id)
        .options(defer(Post.body_md), joinedload(Post.author).load_only(User.handle, User.display_name))
        .order_by(Post.path)
    ).all()


class TreeItem(Protocol):
    """What ``build_tree`` reads of a post."""

    @property
    def id(self) -> int: ...

    @property
    def parent_id(self) -> int | None: ...

    @property
    def path(self) -> str: ...


ItemT = TypeVar("ItemT", bound=TreeItem)


class TreeNode(TypedDict, Generic[ItemT]):
    """One post of ``build_tree``'s nesting."""

    post: ItemT
    children: list["TreeNode[ItemT]"]
    in_reply_to: int | None


def build_tree(posts: Sequence[ItemT], opening_post_id: int | None) -> list[TreeNode[ItemT]]:
    """Nest a page of posts (already in path order) for rendering.

    Each node is ``{"post", "children", "in_reply_to"}``. A post is nested
    under the post its path names; ``in_reply_to`` is set when that is not
    the post it actually answers — its parent is on another page, or it was
    flattened at the depth cap — so the page can link to the real parent.
    """
    by_path: dict[str, TreeNode[ItemT]] = {}
    roots: list[TreeNode[ItemT]] = []
    for post in posts:
        node: TreeNode[ItemT] = {"post": post, "children": [], "in_reply_to": None}
        by_path[post.path] = node
        tree_parent = by_path.get(post.path.rsplit(".", 1)[0]) if "." in post.path else None
        (tree_parent["children"] if tree_parent else roots).append(node)
        shown_parent_id = tree_parent["post"].id if tree_parent else opening_post_id
        if post.parent_id != shown_parent_id:
            node["in_reply_to"] = post.parent_id
    return roots


def page_of(post: Post, per_page: int = POSTS_PER_PAGE) -> int:
    """The thread page on which ``post`` appears (the opening post is on page 1)."""
    if post.parent_id is None:
        return 1
    before = (
        db.session.scalar(
            select(func.count())
            .select_from(Post)
            .where(Post.thread_id == post.thread_id, Post.parent_id.is_not(None), Post.path < post.path)
        )
        or 0
    )
    return before // per_page + 1


def thread_list(
    community: Community,
    *,
    kind: str = "",
    priority: int | str = "",
    status: str = "",
    tag: str = "",
    sort: str = "latest",
    page: int = 1,
    per_page: int = THREADS_PER_PAGE,
) -> Pagination:
    stmt = select(Thread).where(Thread.community_id == community.id, Thread.is_deleted.is_(False))
    stmt = _filter(stmt, kind=kind, priority=priority, status=status, tag=tag)
    orders: dict[str, list[ColumnElement[Any]]] = {
        "newest": [Thread.created_at.desc()],
        "unanswered": [case((Thread.reply_count == 0, 0), else_=1), Thread.last_activity_at.desc()],
    }
    order = orders.get(sort, [Thread.last_activity_at.desc()])
    stmt = stmt.order_by(Thread.is_pinned.desc(), *order, Thread.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _filter(
    stmt: Select[tuple[Thread]], *, kind: str = "", priority: int | str = "", status: str = "", tag: str = ""
) -> Select[tuple[Thread]]:
    if kind in KINDS:
        stmt = stmt.where(Thread.kind == kind)
    if str(priority) in {str(p) for p in PRIORITIES}:
        stmt = stmt.where(Thread.priority == int(priority))
    if status in STATUSES:
        stmt = stmt.where(Thread.status == status)
    if tag:
        # Tags are stored normalised ("Machine Learning" -> "machine-learning"); so is what was typed.
        name = normalize_tag(tag)
        stmt = stmt.where(Thread.id.in_(select(thread_tags.c.thread_id).join(Tag).where(Tag.name == name)))
    return stmt


def triage_queue(
    community: Community, view: str = "all", page: int = 1, per_page: int = THREADS_PER_PAGE
) -> Pagination:
    """Open threads by priority then age; ``no-reply`` and ``stale`` (no reply in 48 h) views."""
    stmt = select(Thread).where(
        Thread.community_id == community.id, Thread.is_deleted.is_(False), Thread.status == "open"
    )
    if view == "no-reply":
        stmt = stmt.where(Thread.reply_count == 0)
    elif view == "stale":
        stmt = stmt.where(Thread.last_activity_at < utcnow() - STALE_AFTER)
    stmt = stmt.order_by(Thread.priority, Thread.created_at, Thread.id)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def recent_threads(community: Community, limit: int = 5) -> list[Thread]:
    """The community page's compact list (title, kind, replies): without tags and authors."""
    return list(
        db.session.scalars(
            select(Thread)
            .where(Thread.community_id == community.id, Thread.is_deleted.is_(False))
            .options(lazyload(Thread.tags), lazyload(Thread.author))
            .order_by(Thread.last_activity_at.desc())
            .limit(limit)
        )
    )


def latest_for(user: User, limit: int = 10) -> list[Thread]:
    """Latest activity across the communities where ``user`` is an active member.

    Taken as the newest ``limit`` threads of each of those communities (one indexed range
    each, all in one UNION ALL statement), then the newest of those: sorting every thread
    of every community the user belongs to took 100+ ms at a million posts.
    """
    mine = list(
        db.session.scalars(
            select(Membership.community_id).where(Membership.user_id == user.id, Membership.status == "active")
        )
    )
    if not mine:
        return []
    if len(mine) > 200:  # beyond SQLite's compound-select limit: one plain (slower) query
        newest = (
            select(Thread.id)
            .where(Thread.community_id.in_(mine), Thread.is_deleted.is_(False))
            .order_by(Thread.last_activity_at.desc())
            .limit(limit)
        )
    else:
        parts = [
            select(Thread.id, Thread.last_activity_at)
            .where(Thread.community_id == community_id, Thread.is_deleted.is_(False))
            .order_by(Thread.last_activity_at.desc())
            .limit(limit)
            .subquery()
            for community_id in mine
        ]
        candidates = union_all(*[select(part.c.id, part.c.last_activity_at) for part in parts]).subquery()
        newest = select(candidates.c.id).order_by(candidates.c.last_activity_at.desc()).limit(limit)
    return list(
        db.session.scalars(
            select(Thread).where(Thread.id.in_(newest)).order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        )
    )


def revisions(post: Post) -> list[dict[str, Any]]:
    """Every version of a post, oldest first, each with a unified diff from the one before."""
    rows = list(
        db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id))
    )
    versions: list[dict[str, Any]] = [{"body": r.body_md, "at": r.written_at, "by": None} for r in rows]
    versions.append({"body": post.body_md, "at": post.edited_at or post.created_at, "by": None})
    editors = [post.author] + [r.editor for r in rows]
    for version, editor in zip(versions, editors):
        version["by"] = editor
    previous = ""
    for number, version in enumerate(versions, 1):
        version["number"] = number
        version["diff"] = unified_diff(previous, version["body"])
        previous = version["body"]
    return versions


def thread_counts(community: Community) -> dict[str, int]:

    row = db.session.execute(
        select(func.count(), func.sum(case((or_(Thread.status == "open"), 1), else_=0))).where(
            Thread.community_id == community.id, Thread.is_deleted.is_(False)
        )
    ).one()
    return {"threads": row[0] or 0, "open": row[1] or 0}
