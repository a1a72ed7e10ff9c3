from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop import permissions
from cop.forms import page_arg
from cop.reading import services
from cop.viewer import readable_community

bp = Blueprint("reading", __name__)


def _list(which: str):
    pagination = (services.unread_threads if which == "unread" else services.new_threads)(
        current_user, page_arg(request)
    )
    return render_template(
        "reading/list.html",
        which=which,
        pagination=pagination,
        unread_marks=services.unread_counts(current_user, [t.id for t in pagination.items]),
    )


@bp.route("/unread")
def unread():
    """Threads I opened in my communities that have new posts since, latest activity first."""
    return _list("unread")


@bp.route("/new")
def new():
    """Threads started in my communities since I joined (or marked all read) that I have not opened."""
    return _list("new")


@bp.route("/c/<slug>/mark-read", methods=["POST"])
def mark_all_read(slug):
    """:raise 404: a community the viewer may not read. :raise 403: not a member (nothing to mark)."""
    community = readable_community(slug)
    permissions.require(permissions.is_member(current_user, community))
    services.mark_all_read(current_user, community)
    flash(f"Everything in {community.name} is marked read.", "success")
    return redirect(url_for("discussions.thread_list", slug=community.slug), 303)
