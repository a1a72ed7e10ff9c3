from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop import permissions
from cop.errors import DomainError
from cop.forms import form_status, showing_errors
from cop.value import services
from cop.value.forms import StoryForm
from cop.value.models import CYCLE_TITLES
from cop.viewer import readable_community

bp = Blueprint("value", __name__)


@bp.route("/c/<slug>/stories")
def stories(slug):
    community = readable_community(slug)
    return render_template(
        "value/stories.html",
        community=community,
        stories=services.stories_of(community),
        cycle_titles=CYCLE_TITLES,
        can_record=permissions.can_record_story(current_user, community),
        can_confirm=permissions.can_confirm_story(current_user, community),
    )


@bp.route("/c/<slug>/stories/new", methods=["GET", "POST"])
def new_story(slug):
    community = readable_community(slug)
    permissions.require(permissions.can_record_story(current_user, community))
    form = StoryForm()
    if request.method == "GET":
        form.subject_kind.data = request.args.get("on", "community")[:10]
        form.subject_id.data = request.args.get("id", "")[:12]
        form.cycle.data = request.args.get("cycle") or None
    subject = None
    try:
        subject = services.subject_of(community, form.subject_kind.data, form.subject_id.data)
    except DomainError:
        form.subject_kind.data, form.subject_id.data = "community", ""
    if form.validate_on_submit():
        with showing_errors(form):
            services.record_story(current_user, community, **form.values())
            flash("Thank you: your story is recorded. A coordinator will confirm it.", "success")
            return redirect(url_for(".stories", slug=community.slug))
    return render_template("value/new_story.html", community=community, form=form, subject=subject), form_status(form)


@bp.route("/c/<slug>/stories/<int:story_id>/confirm", methods=["POST"])
def confirm(slug, story_id):
    community = readable_community(slug)
    story = services.get_story(community, story_id)
    if story is None:
        abort(404)
    services.confirm_story(current_user, story)
    flash("Story confirmed: it now counts in the report.", "success")
    return redirect(url_for(".stories", slug=community.slug))
