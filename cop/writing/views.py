"""Endpoints behind the writing aids. All answer JSON to the scripts in static/ (drafts.js, markdown.js,
similar.js, mentions.js); the no-JavaScript paths go through the forms' own views (see cop.forms.WritingForm)."""

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from cop.accounts.views import safe_next
from cop.communities.models import Community
from cop.discussions import services as discussions
from cop.errors import DomainError
from cop.extensions import db
from cop.markup import MAX_MARKDOWN_CHARS
from cop.search import services as search_services
from cop.viewer import readable_post
from cop.writing import services

bp = Blueprint("writing", __name__)

MAX_SIMILAR_TITLE = 200


@bp.route("/writing/preview", methods=["POST"])
def preview():
    """The rendered HTML of ``text`` (JSON ``{"html": ...}``), or ``{"error": ...}`` with a 400."""
    try:
        limit = int(request.form.get("limit", MAX_MARKDOWN_CHARS))
    except ValueError:
        limit = MAX_MARKDOWN_CHARS
    try:
        html = services.preview(request.form.get("text", ""), max(1, limit))
    except DomainError as exc:
        return jsonify(error=exc.message), 400
    return jsonify(html=html)


def _extra(form) -> dict:
    return {name: form[name] for name in services.EXTRA_FIELDS if name in form}


@bp.route("/drafts/save", methods=["POST"])
def save_draft():
    """Autosave (drafts.js): keep the form's text as the signed-in person's draft for ``place``.

    :raise 404: a place they may not write in (or none).
    """
    place = services.resolve_place(current_user, request.form.get("place", ""))
    if place is None:
        return jsonify(error="You cannot write there."), 404
    try:
        draft = services.save_draft(
            current_user,
            place,
            body=request.form.get("body", ""),
            title=request.form.get("title", ""),
            extra=_extra(request.form),
        )
    except DomainError as exc:
        db.session.rollback()
        return jsonify(error=exc.message), 400
    return jsonify(
        saved=draft is not None, updated_at=draft.updated_at.isoformat() + "Z" if draft is not None else None
    )


@bp.route("/drafts/discard", methods=["POST"])
def discard_draft():
    """*Discard*: delete the draft for ``place`` and go back to ``next`` (a local path) or home."""
    key = request.form.get("place", "")[:40]
    discarded = services.discard_draft(current_user, key)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(discarded=discarded)
    flash("Draft discarded." if discarded else "There was no draft to discard.", "info")
    return redirect(safe_next(request.form.get("next")))


@bp.route("/writing/similar", methods=["POST"])
def similar():
    """Threads like ``title`` the signed-in person may read (as they type a new thread's title)."""
    title = request.form.get("title", "")[:MAX_SIMILAR_TITLE]
    threads = search_services.similar_threads(current_user, title) if title.strip() else []
    return jsonify(
        threads=[
            {
                "title": t.title,
                "url": url_for("discussions.thread", thread_id=t.id),
                "community": t.community_name,
                "status": t.status.title(),
            }
            for t in threads
        ]
    )


@bp.route("/writing/people")
def people():
    """``@`` autocomplete: people whose handle or name starts with ``q`` (members of ``community`` first)."""
    community = None
    slug = request.args.get("community", "")[:80]
    if slug:
        community = db.session.scalar(select(Community).where(Community.slug == slug))
    return jsonify(people=services.mention_suggestions(current_user, request.args.get("q", ""), community))


@bp.route("/writing/quote/<int:post_id>")
def quote(post_id):
    """The Markdown that quotes a post (inline Quote, inline_reply.js): the same text the reply page starts with.

    :raise 404: a missing post, or one in a community the signed-in person may not read.
    """
    post = readable_post(current_user, post_id)
    return jsonify(text=discussions.quote_text(post))


@bp.app_template_global()
def my_drafts():
    """The signed-in person's drafts (home page)."""
    return services.drafts_of(current_user)


@bp.app_template_global()
def markdown_preview(field) -> Markup | None:
    """The no-JavaScript preview of ``field``: its rendered HTML when the form was posted with the
    *Preview* button naming it, a message when the text cannot be rendered, else None."""
    if request.method != "POST" or request.form.get("preview") != field.name:
        return None
    try:
        return Markup(services.preview(field.data or "", _field_limit(field)))
    except DomainError as exc:
        return Markup('<p class="error">{}</p>').format(exc.message)


@bp.app_template_global()
def field_limit(field) -> int:
    return _field_limit(field)


def _field_limit(field) -> int:
    """The field's Length(max=...) if it has one, else the renderer's."""
    for validator in field.validators:
        if getattr(validator, "max", -1) and getattr(validator, "max", -1) > 0:
            return min(validator.max, MAX_MARKDOWN_CHARS)
    return MAX_MARKDOWN_CHARS


def keep_draft(key: str, *, body: str, title: str = "", extra: dict | None = None, announce: bool = False):
    """Save what was posted as the signed-in person's draft for ``key`` (a form shown again: an error,
    a preview, *Save draft*); returns the draft or None. ``announce``: flash the outcome (*Save draft*).
    A draft that cannot be kept (too long) never stops the form from coming back."""
    place = services.resolve_place(current_user, key)
    if place is None:
        return None
    try:
        draft = services.save_draft(current_user, place, body=body, title=title, extra=extra)
    except DomainError as exc:
        db.session.rollback()
        if announce:
            flash(exc.message, "error")
        return None
    if announce:
        flash("Draft saved. It is listed on your home page until you post or discard it.", "success")
    return draft
