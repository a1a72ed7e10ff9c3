"""Meeting pages, for signed-in people. The iCalendar feeds, for calendar programs, are with the other
feeds (``cop.feeds.views``); a single meeting's .ics download is here.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop import idempotency, permissions
from cop.events import ical, services
from cop.events.forms import (
    AGENDA_HINT,
    END_DATE_HINT,
    LINK_HINT,
    LOCATION_HINT,
    NOTES_HINT,
    ZONE_HINT,
    MeetingForm,
    NotesForm,
)
from cop.events.models import RSVP_LABELS, RSVP_RESPONSES, Event
from cop.feeds.views import ics_response, meeting_url
from cop.forms import form_status, page_arg, showing_errors
from cop.viewer import readable_community

bp = Blueprint("events", __name__)


def _event(event_id) -> Event:
    """:raise 404: missing, or in a community the user may not read (the same answer for both)."""
    return permissions.readable_or_404(current_user, services.get_event_or_none(event_id))


def _hints():
    return dict(
        agenda_hint=AGENDA_HINT,
        zone_hint=ZONE_HINT,
        link_hint=LINK_HINT,
        location_hint=LOCATION_HINT,
        end_date_hint=END_DATE_HINT,
        zone_names=services.zone_names(),
    )


@bp.route("/c/<slug>/meetings")
def meetings(slug):
    community = readable_community(slug)
    when = "past" if request.args.get("when") == "past" else "upcoming"
    return render_template(
        "events/list.html",
        community=community,
        when=when,
        pagination=services.meeting_list(community, when, page_arg(request)),
        can_schedule=permissions.can_schedule(current_user, community),
    )


@bp.route("/c/<slug>/meetings/new", methods=["GET", "POST"])
def new_meeting(slug):
    community = readable_community(slug)
    permissions.require(permissions.can_schedule(current_user, community))
    form = MeetingForm()
    if request.method == "GET":
        form.timezone.data = services.default_timezone(community)
    if form.validate_on_submit():
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, url_for(".meetings", slug=community.slug))) is not None:
                return again
            event = services.schedule_meeting(current_user._get_current_object(), community, form.details())
            flash(f"“{event.title}” is scheduled.", "success")
            return idempotency.created(form, url_for(".meeting", event_id=event.id))
    return render_template("events/edit.html", community=community, form=form, event=None, **_hints()), form_status(
        form
    )


@bp.route("/meetings/<int:event_id>")
def meeting(event_id):
    event = _event(event_id)
    community = event.community
    see_attendees = permissions.can_see_attendees(current_user, community)
    return render_template(
        "events/meeting.html",
        event=event,
        community=community,
        counts=services.rsvp_counts(event) if see_attendees else None,
        attendees=services.attendees(event) if see_attendees else None,
        my_response=services.response_of(current_user, event),
        can_rsvp=permissions.can_rsvp(current_user, event),
        can_manage=permissions.can_manage_event(current_user, event),
        responses=RSVP_RESPONSES,
        labels=RSVP_LABELS,
    )


@bp.route("/meetings/<int:event_id>.ics")
def meeting_ics(event_id):
    """The one meeting as an .ics file to add to a calendar."""
    event = _event(event_id)
    response = ics_response(ical.calendar([event], name=event.community.name, page_url=meeting_url))
    response.headers["Content-Disposition"] = f'attachment; filename="meeting-{event.id}.ics"'
    return response


@bp.route("/meetings/<int:event_id>/edit", methods=["GET", "POST"])
def edit(event_id):
    event = _event(event_id)
    permissions.require(permissions.can_manage_event(current_user, event))
    if event.is_cancelled:
        flash("This meeting is cancelled; schedule a new one instead.", "info")
        return redirect(url_for(".meeting", event_id=event.id))
    form = MeetingForm()
    if request.method == "GET":
        form.fill(services.details_of(event))
    if form.validate_on_submit():
        with showing_errors(form):
            changed = services.update_meeting(current_user._get_current_object(), event, form.details())
            flash("Meeting updated." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for(".meeting", event_id=event.id))
    return render_template(
        "events/edit.html", community=event.community, form=form, event=event, **_hints()
    ), form_status(form)


@bp.route("/meetings/<int:event_id>/cancel", methods=["POST"])
def cancel(event_id):
    event = _event(event_id)
    permissions.require(permissions.can_manage_event(current_user, event))
    with showing_errors():
        services.cancel_meeting(current_user._get_current_object(), event)
        flash("Meeting cancelled. It stays listed, marked as cancelled, and calendars will drop it.", "success")
    return redirect(url_for(".meeting", event_id=event.id))


@bp.route("/meetings/<int:event_id>/rsvp", methods=["POST"])
def rsvp(event_id):
    event = _event(event_id)
    permissions.require(permissions.is_member(current_user, event.community))
    response = request.form.get("response", "")
    with showing_errors():
        services.respond(current_user._get_current_object(), event, response)
        flash(f"Your answer is saved: {RSVP_LABELS[response].lower()}.", "success")
    return redirect(url_for(".meeting", event_id=event.id) + "#rsvp")


@bp.route("/meetings/<int:event_id>/notes", methods=["GET", "POST"])
def notes(event_id):
    """The meeting's notes; coordinators write them here once the meeting has started."""
    event = _event(event_id)
    can_write = permissions.can_manage_event(current_user, event)
    form = NotesForm()
    if request.method == "POST":
        permissions.require(can_write)
        if form.validate_on_submit():
            with showing_errors(form):
                services.save_notes(current_user._get_current_object(), event, form.notes.data)
                flash("Notes saved.", "success")
                return redirect(url_for(".meeting", event_id=event.id) + "#notes")
    elif can_write:
        form.notes.data = event.notes_md
    return render_template(
        "events/notes.html",
        event=event,
        community=event.community,
        form=form,
        can_write=can_write and not event.is_cancelled,
        notes_hint=NOTES_HINT,
    ), form_status(form)
