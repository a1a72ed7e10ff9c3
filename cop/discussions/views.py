from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from cop import idempotency, permissions
from cop.communities.guidelines import platform_guidelines_html
from cop.communities.models import Community
from cop.discussions import services
from cop.discussions.forms import BODY_HINT, ClassifyForm, EditForm, FlagForm, MoveForm, ReplyForm, ThreadForm
from cop.discussions.models import KIND_LABELS, KINDS, PRIORITY_LABELS, STATUSES, Flag, Post
from cop.extensions import db
from cop.forms import form_status, page_arg, showing_errors, writing_action
from cop.reactions import services as reactions
from cop.reading import services as reading
from cop.search import services as search_services
from cop.tags import experts
from cop.tags.models import parse_tags
from cop.viewer import readable_community, readable_post, readable_thread
from cop.writing import services as drafts
from cop.writing.views import keep_draft

bp = Blueprint("discussions", __name__)


def _thread(thread_id, *, for_page=False):
    """:raise 404: missing, deleted, or in a community the user may not read."""
    return readable_thread(current_user, thread_id, for_page=for_page)


def _post(post_id) -> Post:
    return readable_post(current_user, post_id)


@bp.route("/c/<slug>/threads")
def thread_list(slug):
    community = readable_community(slug)
    filters = {name: request.args.get(name, "")[:40] for name in ("kind", "priority", "status", "tag")}
    sort = request.args.get("sort", "latest")
    pagination = services.thread_list(
        community,
        kind=filters["kind"],
        priority=filters["priority"],
        status=filters["status"],
        tag=filters["tag"],
        sort=sort,
        page=page_arg(request),
    )
    return render_template(
        "discussions/list.html",
        community=community,
        pagination=pagination,
        filters=filters,
        sort=sort,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        priority_labels=PRIORITY_LABELS,
        statuses=STATUSES,
        can_post=permissions.can_post(current_user, community),
        unread_marks=reading.unread_counts(current_user, [t.id for t in pagination.items]),
    )


@bp.route("/c/<slug>/threads/new", methods=["GET", "POST"])
def new_thread(slug):
    community = readable_community(slug)
    permissions.require(permissions.can_post(current_user, community))
    form = ThreadForm()
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"][:200]  # from a knowledge gap or "check for similar threads"
    if not permissions.can_manage(current_user, community):
        form.kind.choices = [c for c in form.kind.choices if c.value != "announcement"]
    place = drafts.place_key("thread", community.id)
    draft = drafts.get_draft(current_user, place) if request.method == "GET" else None
    if draft is not None:  # restored on any device; the title from a knowledge gap wins
        extra = drafts.draft_extra(draft)
        form.title.data = form.title.data or draft.title
        form.body.data = draft.body
        form.kind.data, form.priority.data = (
            extra.get("kind", form.kind.data),
            extra.get("priority", form.priority.data),
        )
        form.tags.data = extra.get("tags", "")
        for key in form.five_ws():
            getattr(form, key).data = extra.get(key, "")
    if form.validate_on_submit():
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, url_for(".thread_list", slug=community.slug))) is not None:
                return again
            thread = services.create_thread(
                current_user,
                community,
                title=form.title.data,
                body=form.body.data,
                kind=form.kind.data,
                priority=form.priority.data,
                tags=form.tags.data,
                five_ws=form.five_ws(),
            )
            drafts.discard_draft(current_user, place)
            search_services.close_gap(community, request.form.get("gap", ""))
            return idempotency.created(form, url_for(".thread", thread_id=thread.id))
    # "Ask an expert": up to three people who know the chosen tags, to @mention.
    suggested = (
        experts.suggest_for_question(current_user, parse_tags(form.tags.data or ""))
        if writing_action() == "experts"
        else None
    )
    if form.is_submitted():  # shown again: an error, a preview, a similar-threads check or "Save draft"
        draft = keep_draft(
            place,
            body=form.body.data,
            title=form.title.data,
            extra={
                "kind": form.kind.data or "",
                "priority": form.priority.data or "",
                "tags": form.tags.data or "",
                **form.five_ws(),
            },
            announce=writing_action() == "save_draft",
        )
    return render_template(
        "discussions/new_thread.html",
        community=community,
        form=form,
        draft=draft,
        place=place,
        gap=request.values.get("gap", "")[:200],
        body_hint=BODY_HINT,
        suggested=suggested,
    ), form_status(form)


@bp.route("/t/<int:thread_id>")
def thread(thread_id):
    thread = _thread(thread_id, for_page=True)
    last_read = reading.last_read_post_id(current_user, thread)
    if "page" not in request.args and last_read is not None:  # opened before: open at the first unread post
        first_unread = reading.first_unread_post(current_user, thread, last_read)
        if first_unread is not None:
            return redirect(
                url_for(".thread", thread_id=thread.id, page=services.page_of(first_unread))
                + f"#post-{first_unread.id}"
            )
    replies, page, pages = services.reply_page(thread, page_arg(request))
    can_post, moderator = (
        permissions.can_post(current_user, thread.community),
        permissions.can_moderate(current_user, thread),
    )
    post_reactions = reactions.summaries([thread.opening_post_id, *(post.id for post in replies)], current_user.id)
    reply_form = reply_draft = None
    if can_post:
        reply_form = ReplyForm(parent_id=thread.opening_post_id)
        reply_draft = drafts.get_draft(current_user, drafts.place_key("reply", thread.id))
        if reply_draft is not None:
            reply_form.body.data = reply_draft.body
            reply_form.parent_id.data = drafts.draft_extra(reply_draft).get("parent_id") or thread.opening_post_id
    page_html = render_template(
        "discussions/thread.html",
        thread=thread,
        community=thread.community,
        opening=thread.opening_post,
        replies=services.build_tree(replies, thread.opening_post_id),
        page=page,
        pages=pages,
        accepted=services.accepted_post(thread),
        reply_form=reply_form,
        reply_draft=reply_draft,
        can_post=can_post,
        moderator=moderator,
        can_accept=permissions.can_accept(current_user, thread),
        classify_form=ClassifyForm(kind=thread.kind, priority=str(thread.priority)) if moderator else None,
        body_hint=BODY_HINT,
        reactions=post_reactions,
    )
    # Read as far as this page shows (after rendering: its commit would make the page read memberships again).
    # The one deliberate write on a GET: the read position is bookkeeping, not a state change (README,
    # "How views answer").
    reading.mark_read(current_user, thread, max([thread.opening_post_id, *(post.id for post in replies)]), last_read)
    return page_html


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
def reply(thread_id):
    thread = _thread(thread_id)
    permissions.require(permissions.can_post(current_user, thread.community))
    form = ReplyForm()
    raw_parent = request.values.get("parent_id") or request.args.get("to") or thread.opening_post_id
    try:
        parent = db.session.get(Post, int(raw_parent))
    except (TypeError, ValueError):
        parent = None
    place = drafts.place_key("reply", thread.id)
    draft = None
    if request.method == "GET":
        if parent is None or parent.thread_id != thread.id:
            abort(404)
        form.parent_id.data = parent.id
        draft = drafts.get_draft(current_user, place)
        if draft is not None:
            form.body.data = draft.body
        if request.args.get("quote") == "1":  # after what the draft holds
            form.body.data = ((form.body.data or "").rstrip() + "\n\n" if form.body.data else "") + services.quote_text(
                parent
            )
    if form.validate_on_submit():
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, url_for(".thread", thread_id=thread.id))) is not None:
                return again
            post = services.reply(current_user, thread, parent, form.body.data)
            drafts.discard_draft(current_user, place)
            page_url = url_for(".thread", thread_id=thread.id, page=services.page_of(post)) + f"#post-{post.id}"
            return idempotency.created(form, page_url, lasting_url=url_for(".post_link", post_id=post.id))
    if form.is_submitted():
        draft = keep_draft(
            place,
            body=form.body.data,
            extra={"parent_id": str(form.parent_id.data or "")[:12]},
            announce=writing_action() == "save_draft",
        )
    status = form_status(form)
    if form.is_submitted() and not thread_open_for_replies(thread):
        status = 409
    return render_template(
        "discussions/reply.html",
        thread=thread,
        community=thread.community,
        form=form,
        draft=draft,
        place=place,
        parent=parent if parent is not None and parent.thread_id == thread.id else None,
        body_hint=BODY_HINT,
    ), status


def thread_open_for_replies(thread) -> bool:
    return not thread.is_locked and thread.status != "closed"


@bp.route("/p/<int:post_id>")
def post_link(post_id):
    post = _post(post_id)
    return redirect(url_for(".thread", thread_id=post.thread_id, page=services.page_of(post)) + f"#post-{post.id}")


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id):
    post = _post(post_id)
    permissions.require(permissions.can_edit_post(current_user, post))
    form = EditForm()
    place = drafts.place_key("edit", post.id)
    draft = None
    if request.method == "GET":
        draft = drafts.get_draft(current_user, place)
        form.body.data = draft.body if draft is not None else post.body_md
    if form.validate_on_submit():
        with showing_errors(form):
            services.edit_post(current_user, post, form.body.data)
            drafts.discard_draft(current_user, place)
            flash("Post updated.", "success")
            return redirect(url_for(".post_link", post_id=post.id))
    if form.is_submitted():
        draft = keep_draft(place, body=form.body.data, announce=writing_action() == "save_draft")
    return render_template(
        "discussions/edit.html",
        post=post,
        thread=post.thread,
        community=post.thread.community,
        form=form,
        draft=draft,
        place=place,
        body_hint=BODY_HINT,
    ), form_status(form)


@bp.route("/p/<int:post_id>/history")
def history(post_id):
    post = _post(post_id)
    if post.is_deleted or (post.is_hidden and not permissions.can_moderate(current_user, post.thread)):
        abort(404)
    return render_template(
        "discussions/history.html",
        post=post,
        thread=post.thread,
        community=post.thread.community,
        versions=services.revisions(post),
    )


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
def delete_post(post_id):
    post = _post(post_id)
    permissions.require(permissions.can_delete_post(current_user, post))
    thread = post.thread
    services.delete_post(current_user, post)
    flash("Post removed.", "info")
    if thread.is_deleted:
        return redirect(url_for(".thread_list", slug=thread.community.slug))
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.route("/t/<int:thread_id>/accept", methods=["POST"])
def accept(thread_id):
    thread = _thread(thread_id)
    permissions.require(permissions.can_accept(current_user, thread))
    raw = request.form.get("post_id", "")
    post = db.session.get(Post, int(raw)) if raw.isdigit() else None
    if raw and post is None:
        abort(404)
    with showing_errors():
        services.set_accepted(current_user, thread, post)
        flash("Accepted answer marked." if post else "Accepted answer unmarked.", "success")
        return redirect(url_for(".thread", thread_id=thread.id))
    return redirect(url_for(".thread", thread_id=thread.id)), 303


@bp.route("/t/<int:thread_id>/moderate", methods=["POST"])
def moderate(thread_id):
    thread = _thread(thread_id)
    permissions.require(permissions.can_moderate(current_user, thread))
    action = request.form.get("action", "")
    with showing_errors():
        services.moderate_thread(current_user, thread, action)
        flash(
            {
                "pin": "Thread pinned.",
                "unpin": "Thread unpinned.",
                "lock": "Thread locked.",
                "unlock": "Thread unlocked.",
                "close": "Thread closed.",
                "reopen": "Thread reopened.",
            }[action],
            "success",
        )
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.route("/t/<int:thread_id>/classify", methods=["POST"])
def classify(thread_id):
    thread = _thread(thread_id)
    permissions.require(permissions.can_moderate(current_user, thread))
    form = ClassifyForm()
    with showing_errors():
        services.classify(current_user, thread, form.kind.data, form.priority.data)
        flash("Kind and priority saved.", "success")
    if request.form.get("back") == "triage":
        return redirect(url_for(".triage", slug=thread.community.slug))
    return redirect(url_for(".thread", thread_id=thread.id))


@bp.route("/t/<int:thread_id>/move", methods=["GET", "POST"])
def move(thread_id):
    thread = _thread(thread_id)
    permissions.require(permissions.can_moderate(current_user, thread))
    form = MoveForm()
    targets = services.move_targets(current_user, thread)
    form.target.choices = [SelectChoice(c.id, c.name) for c in targets]
    if form.validate_on_submit():
        target = db.session.get(Community, form.target.data)
        with showing_errors(form):
            services.move_thread(current_user, thread, target)  # NotAllowed for a missing target
            flash(f"Thread moved to {thread.community.name}.", "success")
            return redirect(url_for(".thread", thread_id=thread.id))
    return render_template(
        "discussions/move.html", thread=thread, community=thread.community, form=form, targets=targets
    ), form_status(form)


@bp.route("/p/<int:post_id>/flag", methods=["GET", "POST"])
def flag(post_id):
    post = _post(post_id)
    community = post.thread.community
    permissions.require(permissions.is_member(current_user, community) and post.is_visible)
    form = FlagForm()
    form.guideline.choices = [SelectChoice("", "— choose a guideline —")] + [
        SelectChoice(key, title) for key, title in services.guideline_choices(community)
    ]
    if form.validate_on_submit():
        with showing_errors(form):
            services.flag_post(current_user, post, form.guideline.data, form.note.data)
            flash(
                "Thank you. The coordinators will review this post; you can follow the outcome under “My flags”.",
                "success",
            )
            return redirect(url_for(".post_link", post_id=post.id))
    return render_template(
        "discussions/flag.html",
        post=post,
        thread=post.thread,
        community=community,
        form=form,
        platform_guidelines=platform_guidelines_html(),
    ), form_status(form)


@bp.route("/c/<slug>/triage")
def triage(slug):
    community = readable_community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    view = request.args.get("view", "all")
    view = view if view in ("all", "no-reply", "stale") else "all"
    return render_template(
        "discussions/triage.html",
        community=community,
        view=view,
        pagination=services.triage_queue(community, view, page_arg(request)),
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        priority_labels=PRIORITY_LABELS,
    )


@bp.route("/c/<slug>/flags")
def flag_queue(slug):
    community = readable_community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    return render_template("discussions/flags.html", community=community, flags=services.open_flags(community))


@bp.route("/flags/<int:flag_id>/decide", methods=["POST"])
def decide_flag(flag_id):
    flag = db.session.get(Flag, flag_id)
    if flag is None:
        abort(404)
    community = db.session.get(Community, flag.community_id)
    if community is None or not permissions.can_view(current_user, community):
        abort(404)
    permissions.require(permissions.can_manage(current_user, community))
    hide = request.form.get("decision") == "hide"
    with showing_errors():
        services.decide_flag(current_user, flag, hide)
        flash("Post hidden." if hide else "Flag dismissed.", "success")
    return redirect(url_for(".flag_queue", slug=community.slug))


@bp.route("/account/flags")
def my_flags():
    return render_template("discussions/my_flags.html", flags=services.flags_by(current_user))
