from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from cop import permissions
from cop.accounts.models import User
from cop.communities import services
from cop.communities.forms import (
    CommunityForm,
    DecisionForm,
    InvitationAnswerForm,
    InviteForm,
    JoinForm,
    LeaveForm,
    RemoveForm,
    RequestForm,
)
from cop.communities.guidelines import platform_guidelines_html
from cop.communities.models import STAGES, VISIBILITIES, Membership
from cop.discussions import services as discussion_services
from cop.errors import DomainError
from cop.events import services as event_services
from cop.extensions import db
from cop.forms import form_status, page_arg, showing_errors
from cop.library import services as library_services
from cop.reading import services as reading_services

bp = Blueprint("communities", __name__)


def _community(slug):
    return permissions.get_listed_community_or_404(slug, current_user)


def _form_page(template, form, community, **context):
    status = form_status(form)
    return render_template(
        template, form=form, community=community, platform_guidelines=platform_guidelines_html(), **context
    ), status


@bp.route("/")
def home():
    latest = discussion_services.latest_for(current_user)
    mine, sponsored = services.my_communities(current_user), services.sponsored_communities(current_user)
    return render_template(
        "communities/home.html",
        mine=mine,
        sponsored=sponsored,
        coordination=services.coordination_counts(current_user, [*mine, *sponsored]),
        latest=latest,
        unread_marks=reading_services.unread_counts(current_user, [t.id for t in latest]),
        upcoming_meetings=event_services.upcoming_for(current_user),
        invitations=services.my_invitations(current_user),
        suggested=services.suggested_communities(current_user),
    )


@bp.route("/communities")
def directory():
    query = request.args.get("q", "")[:100]
    visibility = request.args.get("visibility", "")
    stage = request.args.get("stage", "")
    mine = request.args.get("mine") == "1"
    pagination = services.directory(
        current_user, query=query, visibility=visibility, stage=stage, mine=mine, page=page_arg(request)
    )
    return render_template(
        "communities/directory.html",
        pagination=pagination,
        query=query,
        visibility=visibility,
        stage=stage,
        mine=mine,
        visibilities=VISIBILITIES,
        stages=STAGES,
    )


@bp.route("/c/<slug>")
def community_home(slug):
    community = _community(slug)
    readable = permissions.can_view(current_user, community)
    return render_template(
        "communities/community.html",
        community=community,
        coordinators=services.coordinators(community),
        faces=services.newest_members(community, limit=12) if readable else [],
        membership=permissions.membership_of(current_user, community),
        platform_guidelines=platform_guidelines_html(),
        readable=readable,
        recent_threads=discussion_services.recent_threads(community) if readable else [],
        featured_resources=library_services.featured(community) if readable else [],
        new_resources=library_services.newest(community) if readable else [],
        upcoming_meetings=event_services.upcoming_in(community) if readable else [],
        leave_form=LeaveForm(),
        coordination=services.coordination_counts(current_user, [community]),
    )


@bp.route("/c/<slug>/join", methods=["GET", "POST"])
def join(slug):
    community = _community(slug)
    permissions.require(permissions.can_join(current_user, community))
    form = JoinForm()
    if form.validate_on_submit():
        with showing_errors(form):
            services.join_community(current_user, community, form.accept_guidelines.data)
            flash(f"Welcome to {community.name}!", "success")
            return redirect(url_for(".community_home", slug=community.slug))
    return _form_page("communities/join.html", form, community, mode="join")


@bp.route("/c/<slug>/request", methods=["GET", "POST"])
def request_to_join(slug):
    community = _community(slug)
    permissions.require(permissions.can_request_to_join(current_user, community))
    form = RequestForm()
    if form.validate_on_submit():
        with showing_errors(form):
            services.request_to_join(current_user, community, form.accept_guidelines.data, form.message.data)
            flash("Your request has been sent to the coordinators. You will see their answer here.", "success")
            return redirect(url_for(".community_home", slug=community.slug))
    return _form_page("communities/join.html", form, community, mode="request")


@bp.route("/c/<slug>/invitation", methods=["GET", "POST"])
def invitation(slug):
    community = _community(slug)
    permissions.require(permissions.can_answer_invitation(current_user, community))
    form = InvitationAnswerForm()
    if form.validate_on_submit():
        accept = request.form.get("decision") == "accept"
        with showing_errors(form):
            services.answer_invitation(current_user, community, accept, form.accept_guidelines.data)
            flash(f"Welcome to {community.name}!" if accept else "Invitation declined.", "success")
            target = url_for(".community_home", slug=community.slug) if accept else url_for(".home")
            return redirect(target)
    return _form_page(
        "communities/join.html",
        form,
        community,
        mode="invitation",
        membership=services.find_membership(community, current_user),
    )


@bp.route("/c/<slug>/leave", methods=["GET", "POST"])
def leave(slug):
    community = _community(slug)
    permissions.require(permissions.can_leave(current_user, community))
    form = LeaveForm()
    others = [m for m in services.members(community) if m.user_id != current_user.id]
    form.successor.choices = [SelectChoice(0, "— choose a member —")] + [
        SelectChoice(m.user_id, m.user.display_name) for m in others
    ]
    needs_successor = permissions.is_coordinator(current_user, community) and len(services.coordinators(community)) == 1
    if form.validate_on_submit():
        successor = db.session.get(User, form.successor.data) if form.successor.data else None
        with showing_errors(form):
            services.leave_community(current_user, community, successor)
            flash(f"You have left {community.name}.", "info")
            return redirect(url_for(".home"))
    return _form_page("communities/leave.html", form, community, needs_successor=needs_successor)


@bp.route("/c/<slug>/members")
def members(slug):
    community = _community(slug)
    permissions.require(permissions.can_view(current_user, community))
    manage = permissions.can_manage(current_user, community)
    return render_template(
        "communities/members.html",
        community=community,
        members=services.members(community),
        pending=services.pending_requests(community) if manage else [],
        invited=services.outstanding_invitations(community) if manage else [],
        manage=manage,
        decision_form=DecisionForm(),
        remove_form=RemoveForm(),
        invite_form=InviteForm(),
    )


@bp.route("/c/<slug>/requests/<int:membership_id>", methods=["POST"])
def decide(slug, membership_id):
    community = _community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    membership = db.session.scalar(
        select(Membership).where(Membership.id == membership_id, Membership.community_id == community.id)
    )
    if membership is None:
        abort(404)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Keep the message under 1000 characters.", "error")
        return redirect(url_for(".members", slug=community.slug)), 303
    approve = request.form.get("decision") == "approve"
    with showing_errors():
        services.decide_request(current_user, membership, approve, form.message.data)
        verb = "approved" if approve else "declined"
        flash(f"{membership.user.display_name}'s request {verb}.", "success")
    return redirect(url_for(".members", slug=community.slug))


@bp.route("/c/<slug>/invite", methods=["GET", "POST"])
def invite(slug):
    community = _community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    form = InviteForm()
    if form.validate_on_submit():
        with showing_errors(form):
            membership = services.invite(current_user, community, form.email.data, form.message.data)
            flash(f"{membership.user.display_name} has been invited.", "success")
            return redirect(url_for(".members", slug=community.slug))
    return _form_page("communities/invite.html", form, community)


def _member_or_404(community, user_id) -> User:
    user = db.session.get(User, user_id)
    if user is None or services.find_membership(community, user) is None:
        abort(404)
    return user


@bp.route("/c/<slug>/members/<int:user_id>/remove", methods=["POST"])
def remove(slug, user_id):
    community = _community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    member = _member_or_404(community, user_id)
    form = RemoveForm()
    with showing_errors():
        if not form.validate_on_submit():
            raise DomainError("Keep the reason under 1000 characters.")
        services.remove_member(current_user, community, member, form.reason.data)
        flash(f"{member.display_name} has been removed.", "success")
    return redirect(url_for(".members", slug=community.slug))


@bp.route("/c/<slug>/members/<int:user_id>/coordinator", methods=["POST"])
def promote(slug, user_id):
    community = _community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    member = _member_or_404(community, user_id)
    with showing_errors():
        services.make_coordinator(current_user, community, member)
        flash(f"{member.display_name} is now a coordinator.", "success")
    return redirect(url_for(".members", slug=community.slug))


@bp.route("/c/<slug>/edit", methods=["GET", "POST"])
def edit(slug):
    community = _community(slug)
    permissions.require(permissions.can_manage(current_user, community))
    form = CommunityForm()
    if request.method == "GET":
        form.process(data=community_form_data(community))
    if form.validate_on_submit():
        with showing_errors(form):
            services.update_community(current_user, community, **community_fields(form))
            flash("Community saved.", "success")
            return redirect(url_for(".community_home", slug=community.slug))
    return _form_page("communities/edit.html", form, community, admin=permissions.is_admin(current_user))


def community_form_data(community) -> dict:
    return dict(
        name=community.name,
        slug=community.slug,
        domain=community.domain,
        domain_tags=", ".join(t.name for t in community.domain_tags),
        charter=community.charter_md,
        guidelines=community.guidelines_md,
        visibility=community.visibility,
        stage=community.stage,
    )


def community_fields(form) -> dict:
    return dict(
        name=form.name.data,
        slug=form.slug.data,
        domain=form.domain.data,
        domain_tags=form.domain_tags.data,
        charter=form.charter.data,
        guidelines=form.guidelines.data,
        visibility=form.visibility.data,
        stage=form.stage.data,
    )
