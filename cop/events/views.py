"""Meeting pages (for signed-in people) and iCalendar feeds (for calendar programs, by token).

Two blueprints: ``events`` asks for a login like every page; ``event_feeds``
never redirects to the login page, since calendar programs have no session
(see ``_calendar_reader`` for who reads a feed).
"""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop import idempotency, permissions
from cop.communities.models import Community
from cop.errors import DomainError
from cop.events import ical, services
from cop.events.forms import (AGENDA_HINT, END_DATE_HINT, LINK_HINT, LOCATION_HINT, NOTES_HINT, ZONE_HINT,
                              MeetingForm, NotesForm)
from cop.events.models import RSVP_LABELS, RSVP_RESPONSES, Event
from cop.extensions import db
from cop.feeds import services as feed_services
from cop.forms import form_status, page_arg, show_domain_error

bp = Blueprint("events", __name__)
feeds_bp = Blueprint("event_feeds", __name__)

ICS = "text/calendar; charset=utf-8"


@bp.before_request
@login_required
def _require_login():
    """Meeting pages are for signed-in employees only."""


def _readable_community(slug) -> Community:
    return permissions.get_readable_community_or_404(slug, current_user)


def _event(event_id) -> Event:
    """:raise 404: missing, or in a community the user may not read (the same answer for both)."""
    event = services.get_event_or_none(event_id)
    if event is None or not permissions.can_view(current_user, event.community):
        abort(404)
    return event


def _page_url(event) -> str:
    return url_for("events.meeting", event_id=event.id, _external=True)


def _hints():
    return dict(agenda_hint=AGENDA_HINT, zone_hint=ZONE_HINT, link_hint=LINK_HINT, location_hint=LOCATION_HINT,
                end_date_hint=END_DATE_HINT, zone_names=services.zone_names())


@bp.route("/c/<slug>/meetings")
def meetings(slug):
    community = _readable_community(slug)
    when = "past" if request.args.get("when") == "past" else "upcoming"
    return render_template("events/list.html", community=community, when=when,
                           pagination=services.meeting_list(community, when, page_arg(request)),
                           can_schedule=permissions.can_schedule(current_user, community))


@bp.route("/c/<slug>/meetings/new", methods=["GET", "POST"])
def new_meeting(slug):
    community = _readable_community(slug)
    permissions.require(permissions.can_schedule(current_user, community))
    form = MeetingForm()
    if request.method == "GET":
        form.timezone.data = services.default_timezone(community)
    if form.validate_on_submit():
        try:  # the claim is a write too: a busy database is shown on the form like the service's errors
            if (again := idempotency.replay(form, url_for(".meetings", slug=community.slug))) is not None:
                return again
            event = services.schedule_meeting(current_user._get_current_object(), community, form.details())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(f"“{event.title}” is scheduled.", "success")
            return idempotency.created(form, url_for(".meeting", event_id=event.id))
    return render_template("events/edit.html", community=community, form=form, event=None,
                           **_hints()), form_status(form)


@bp.route("/meetings/<int:event_id>")
def meeting(event_id):
    event = _event(event_id)
    community = event.community
    see_attendees = permissions.can_see_attendees(current_user, community)
    return render_template(
        "events/meeting.html", event=event, community=community,
        counts=services.rsvp_counts(event) if see_attendees else None,
        attendees=services.attendees(event) if see_attendees else None,
        my_response=services.response_of(current_user, event),
        can_rsvp=permissions.can_rsvp(current_user, event), can_manage=permissions.can_manage_event(current_user, event),
        responses=RSVP_RESPONSES, labels=RSVP_LABELS)


@bp.route("/meetings/<int:event_id>.ics")
def meeting_ics(event_id):
    """The one meeting as an .ics file to add to a calendar."""
    event = _event(event_id)
    response = _ics(ical.calendar([event], name=event.community.name, page_url=_page_url))
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
        try:
            changed = services.update_meeting(current_user._get_current_object(), event, form.details())
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash("Meeting updated." if changed else "Nothing changed.", "success" if changed else "info")
            return redirect(url_for(".meeting", event_id=event.id))
    return render_template("events/edit.html", community=event.community, form=form, event=event,
                           **_hints()), form_status(form)


@bp.route("/meetings/<int:event_id>/cancel", methods=["POST"])
def cancel(event_id):
    event = _event(event_id)
    permissions.require(permissions.can_manage_event(current_user, event))
    try:
        services.cancel_meeting(current_user._get_current_object(), event)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash("Meeting cancelled. It stays listed, marked as cancelled, and calendars will drop it.", "success")
    return redirect(url_for(".meeting", event_id=event.id))


@bp.route("/meetings/<int:event_id>/rsvp", methods=["POST"])
def rsvp(event_id):
    event = _event(event_id)
    permissions.require(permissions.is_member(current_user, event.community))
    response = request.form.get("response", "")
    try:
        services.respond(current_user._get_current_object(), event, response)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
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
            try:
                services.save_notes(current_user._get_current_object(), event, form.notes.data)
            except DomainError as exc:
                db.session.rollback()
                show_domain_error(form, exc)
            else:
                flash("Notes saved.", "success")
                return redirect(url_for(".meeting", event_id=event.id) + "#notes")
    elif can_write:
        form.notes.data = event.notes_md
    return render_template("events/notes.html", event=event, community=event.community, form=form,
                           can_write=can_write and not event.is_cancelled, notes_hint=NOTES_HINT), form_status(form)


# --- iCalendar feeds ------------------------------------------------------------------------

def _ics(body: bytes) -> Response:
    response = Response(body, mimetype="text/calendar", content_type=ICS)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _calendar_reader():
    """Who reads a calendar feed: the owner of ``?token=``, else the signed-in user, else nobody.

    Unlike the Atom feeds (403), a token that belongs to no enabled account
    (reset, disabled or made up) is a 404: the address simply stops existing.
    """
    token = request.args.get("token")
    if token is not None:
        user = feed_services.user_for_token(token)
        if user is None:
            abort(404)
        return user
    return current_user._get_current_object() if current_user.is_authenticated else None


@feeds_bp.route("/c/<slug>/meetings.ics")
def community_calendar(slug):
    """A community's meetings. Open communities: anyone; the others: members by token (or session).

    :raise 404: no such community, not readable by the reader, or a wrong token.
    """
    reader = _calendar_reader()
    community = feed_services.community_for_feed(reader, slug)
    if community is None:
        abort(404)
    return _ics(ical.calendar(services.community_feed_events(community), name=f"{community.name} meetings",
                              page_url=_page_url))


@feeds_bp.route("/account/meetings.ics")
def my_calendar():
    """Every meeting of every community the token's owner is an active member of.

    :raise 404: no token, or a token that belongs to no enabled account.
    """
    user = feed_services.user_for_token(request.args.get("token", ""))
    if user is None:
        abort(404)
    return _ics(ical.calendar(services.personal_feed_events(user), name="My cop meetings", page_url=_page_url))
