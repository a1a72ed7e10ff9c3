from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop.discussions import services as discussions
from cop.errors import DomainError
from cop.extensions import db
from cop.reactions import services
from cop.viewer import readable_post

bp = Blueprint("reactions", __name__)


@bp.route("/p/<int:post_id>/react", methods=["POST"])
def react(post_id):
    """Toggle the viewer's reaction (``kind`` in the form) on a post.

    Without JavaScript: back to the post. With ``static/reactions.js`` (``X-Requested-With: fetch``): the
    post's updated reaction bar as an HTML fragment.
    :raise 404: no such post, or in a community the viewer may not read. :raise 403: not a member.
    """
    post = readable_post(current_user, post_id)
    fetch = request.headers.get("X-Requested-With") == "fetch"
    try:
        services.toggle(current_user, post, request.form.get("kind", "")[:20])
    except DomainError as exc:  # answered in text to the script, on the page (flash) without it
        db.session.rollback()
        if fetch:
            return exc.message, 400
        flash(exc.message, "error")
        return redirect(_back_to(post)), 303
    if fetch:
        return render_template(
            "reactions/_bar_response.html",
            post=post,
            summaries=services.summaries([post.id], current_user.id).get(post.id, ()),
            member_here=True,
        )
    return redirect(_back_to(post)), 303


def _back_to(post) -> str:
    return url_for("discussions.thread", thread_id=post.thread_id, page=discussions.page_of(post)) + f"#post-{post.id}"


@bp.record_once
def _template_globals(state):
    from cop.reactions.models import EMOJI, KINDS, LABELS

    state.app.jinja_env.globals.update(reaction_kinds=KINDS, reaction_emoji=EMOJI, reaction_labels=LABELS)
