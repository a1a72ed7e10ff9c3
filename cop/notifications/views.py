"""The notifications page, notification settings, watch and mute buttons, and unsubscribe links."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop.forms import form_status, page_arg, showing_errors
from cop.notifications import services
from cop.notifications.forms import PreferencesForm, UnsubscribeForm
from cop.notifications.models import SPONSOR_SUMMARY
from cop.tags import services as tags
from cop.viewer import readable_community, readable_thread

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _notification_helpers():
    return {
        "unread_notifications": lambda: services.unread_count(current_user),
        "watch_level": lambda **target: services.watch_level(current_user, **target),
    }


@bp.route("/notifications")
def index():
    pagination = services.notification_page(current_user, page_arg(request))
    items = [{"notification": n, "sentence": services.describe(n)} for n in pagination.items]
    return render_template("notifications/index.html", pagination=pagination, items=items)


@bp.route("/notifications/open", methods=["POST"])
def open_notification():
    """Mark a notification read and go to what it is about (a POST: opening changes state)."""
    notification = services.open_notification(current_user, request.form.get("id"))
    if notification is None:
        flash("That notification is no longer available.", "info")
        return redirect(url_for(".index"))
    endpoint, values = services.target_of(notification)
    target = url_for(endpoint, **values)
    if endpoint == "discussions.post_link":
        target += f"#post-{values['post_id']}"
    return redirect(target)


@bp.route("/notifications/read-all", methods=["POST"])
def mark_all_read():
    count = services.mark_all_read(current_user)
    flash(
        f"Marked {count} {'notification' if count == 1 else 'notifications'} read." if count else "Nothing unread.",
        "success",
    )
    return redirect(url_for(".index"))


@bp.route("/account/notifications", methods=["GET", "POST"])
def settings():
    form = PreferencesForm()
    if request.method == "GET":
        for kind, cadence in services.cadences(current_user).items():
            getattr(form, kind).data = cadence
        form.auto_watch.data = services.auto_watch_enabled(current_user.id)
    if form.validate_on_submit():
        with showing_errors(form):
            services.save_preferences(current_user, form.chosen(), form.auto_watch.data)
            flash("Notification settings saved.", "success")
            return redirect(url_for(".settings"))
    return render_template(
        "notifications/settings.html",
        form=form,
        watches=services.watches_of(current_user),
        is_sponsor=services.sponsors_anything(current_user),
    ), form_status(form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """Stop one kind of e-mail from a mail's link, signed in or not.

    GET only asks (mail scanners follow links); the button POSTs with a CSRF token.
    :raise 404: a forged or damaged token, or an account that no longer exists.
    """
    found = services.user_for_unsubscribe(token)
    if found is None:
        abort(404)
    user, kind = found
    form = UnsubscribeForm()
    done = False
    if form.validate_on_submit():
        services.unsubscribe(user, kind)
        done = True
    return render_template(
        "notifications/unsubscribe.html",
        form=form,
        what=services.unsubscribe_label(kind),
        done=done,
        email=user.email,
        sponsor_summary=kind == SPONSOR_SUMMARY,
    ), 200 if done else form_status(form)


# --- watch and mute buttons -------------------------------------------------------------------

_SAID = {"watch": "You are watching {}.", "mute": "You muted {}.", "none": "You no longer watch or mute {}."}


def _back(default: str) -> str:
    return url_for(".settings") if request.form.get("back") == "settings" else default


def _set(setter, target, name: str, back: str):
    level = request.form.get("level", "")
    with showing_errors():
        setter(current_user, target, level)
        flash(_SAID[level].format(name), "success")
    return redirect(_back(back))


@bp.route("/c/<slug>/watch", methods=["POST"])
def watch_community(slug):
    community = readable_community(slug)
    return _set(
        services.set_community_watch,
        community,
        community.name,
        url_for("communities.community_home", slug=community.slug),
    )


@bp.route("/t/<int:thread_id>/watch", methods=["POST"])
def watch_thread(thread_id):
    thread = readable_thread(current_user, thread_id)
    return _set(
        services.set_thread_watch, thread, f"“{thread.title}”", url_for("discussions.thread", thread_id=thread.id)
    )


@bp.route("/tags/<name>/notify", methods=["POST"])
def watch_tag(name):
    # A tag whose every use became hidden can still be unmuted from the settings page.
    found = tags.visible_tag_or_none(current_user, name) or (
        tags.get_tag(name) if request.form.get("level") == "none" else None
    )
    if found is None:
        abort(404)
    return _set(services.set_tag_watch, found, f"#{found.name}", url_for("tags.tag", name=found.name))
