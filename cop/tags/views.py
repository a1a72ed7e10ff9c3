"""Tag pages, watching, suggestions (``tags``) and the administrators' tag list (``tags_admin``)."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from cop import permissions
from cop.extensions import db
from cop.forms import form_status, page_arg, showing_errors
from cop.notifications.services import watch_level
from cop.tags import experts, services
from cop.tags.forms import MergeTagForm, RenameTagForm
from cop.tags.models import Tag

bp = Blueprint("tags", __name__, url_prefix="/tags")
admin_bp = Blueprint("tags_admin", __name__, url_prefix="/admin/tags")


@bp.app_context_processor
def _tag_helpers():
    return {"watched_tags": services.watched_tags}


def _visible_tag(name):
    """:raise 404: no such tag, or every use of it is hidden from the viewer."""
    tag = services.visible_tag_or_none(current_user, name)
    if tag is None:
        abort(404)
    return tag


@bp.route("")
def index():
    return render_template("tags/index.html", tags=services.popular_tags(current_user))


@bp.route("/suggest")
def suggest():
    """JSON ``{"tags": [names]}`` for the tag inputs' autocomplete; names only, never counts."""
    if "q" not in request.args and services.get_tag("suggest"):  # a tag called "suggest": this is its page
        return tag("suggest")
    return jsonify(tags=services.suggest(current_user, request.args.get("q", "")[:100]))


@bp.route("/<name>")
def tag(name):
    found = _visible_tag(name)
    if found.name != name:  # "Machine Learning" -> the canonical machine-learning page
        return redirect(url_for(".tag", name=found.name))
    level = watch_level(current_user, tag=found)  # "watch" (a tag watch), "mute" or None
    return render_template(
        "tags/tag.html",
        page=services.tag_page(current_user, found),
        tag=found,
        watching=level == "watch",
        muted=level == "mute",
        experts=experts.experts_on(current_user, found),
    )


@bp.route("/<name>/watch", methods=["POST"])
def watch(name):
    found = _visible_tag(name)
    services.watch(current_user, found)
    flash(f"You are watching #{found.name}.", "success")
    return redirect(url_for(".tag", name=found.name))


@bp.route("/<name>/unwatch", methods=["POST"])
def unwatch(name):
    # Any existing tag: one whose uses all became hidden can still be unwatched (from the profile).
    found = services.get_tag(name)
    if found is None:
        abort(404)
    services.unwatch(current_user, found)
    flash(f"You no longer watch #{found.name}.", "success")
    if request.form.get("back") == "profile":
        return redirect(url_for("accounts.profile", handle=current_user.handle))
    return redirect(url_for(".tag", name=found.name))


# --- administrators -------------------------------------------------------------------------


@admin_bp.before_request
def _require_admin():
    """Renaming and merging tags changes every community's vocabulary: administrators only (others 403)."""
    if not permissions.is_admin(current_user):
        abort(403)


def _admin_page(query="", rename_form=None, merge_form=None, failed_tag=None):
    """The tag list; with a failed rename or merge, its form shown again on ``failed_tag``'s row with what
    was typed and the error (the caller answers its ``form_status``)."""
    pagination, usages = services.admin_tag_list(query, page=page_arg(request))
    return render_template(
        "tags/admin.html",
        pagination=pagination,
        usages=usages,
        query=query,
        rename_form=rename_form,
        merge_form=merge_form,
        failed_tag=failed_tag,
    )


def _existing_tag(tag_id):
    found = db.session.get(Tag, tag_id)
    if found is None:
        abort(404)
    return found


@admin_bp.route("", endpoint="index")
def admin_index():
    return _admin_page(request.args.get("q", "")[:100])


@admin_bp.route("/<int:tag_id>/rename", methods=["POST"])
def rename(tag_id):
    found = _existing_tag(tag_id)
    form = RenameTagForm()
    if form.validate_on_submit():
        old_name = found.name
        with showing_errors(form):
            result, merged = services.rename_tag(current_user, found, form.name.data)
            if merged:
                flash(f"#{result.name} already existed, so #{old_name} was merged into it.", "success")
            else:
                flash(f"#{old_name} is now #{result.name}.", "success")
            return redirect(url_for(".index", q=request.args.get("q", "")))
    return _admin_page(request.args.get("q", ""), rename_form=form, failed_tag=found), form_status(form)


@admin_bp.route("/<int:tag_id>/merge", methods=["POST"])
def merge(tag_id):
    found = _existing_tag(tag_id)
    form = MergeTagForm()
    if form.validate_on_submit():
        target = services.get_tag(form.target.data)
        if target is None:
            form.target.errors = ["There is no tag by that name. To give this tag a new name, rename it."]
        else:
            source_name = found.name
            with showing_errors(form):
                services.merge_tags(current_user, found, target)
                flash(f"#{source_name} was merged into #{target.name}.", "success")
                return redirect(url_for(".index", q=request.args.get("q", "")))
    return _admin_page(request.args.get("q", ""), merge_form=form, failed_tag=found), form_status(form)
