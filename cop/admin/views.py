from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cop import idempotency, permissions
from cop.accounts import services as account_services
from cop.accounts.models import User
from cop.admin import services
from cop.admin.forms import AppointCoordinatorForm, SponsorsForm
from cop.communities import services as community_services
from cop.communities.forms import NewCommunityForm
from cop.communities.views import community_fields
from cop.extensions import db
from cop.forms import form_status, page_arg, showing_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _require_admin():
    """The whole blueprint is for administrators; others get 403."""
    if not permissions.is_admin(current_user):
        abort(403)


@bp.route("/")
def index():
    return render_template("admin/index.html", communities=services.all_communities())


@bp.route("/communities/new", methods=["GET", "POST"])
def new_community():
    form = NewCommunityForm()
    if form.is_submitted() and not (form.slug.data or "").strip():  # no address typed: the one the name suggests
        form.slug.data = community_services.suggest_slug(form.name.data)
    if form.validate_on_submit():
        with showing_errors(form):  # the claim is a write too: a busy database is shown on the form
            if (again := idempotency.replay(form, url_for("communities.directory"))) is not None:
                return again
            community = community_services.create_community(
                current_user, sponsors=form.sponsors.data, coordinators=form.coordinators.data, **community_fields(form)
            )
            flash(f"{community.name} created.", "success")
            return idempotency.created(form, url_for("communities.community_home", slug=community.slug))
    status = form_status(form)
    return render_template("admin/new_community.html", form=form), status


def _community_page(community, sponsors_form=None, coordinator_form=None):
    """The sponsors-and-coordinators page, re-showing whichever form failed."""
    sponsors_form = sponsors_form or SponsorsForm(sponsors=", ".join(u.email for u in community.sponsors))
    return render_template(
        "admin/community.html",
        community=community,
        sponsors_form=sponsors_form,
        coordinator_form=coordinator_form or AppointCoordinatorForm(),
        coordinators=community_services.coordinators(community),
    )


@bp.route("/communities/<slug>", methods=["GET"])
def community(slug):
    return _community_page(permissions.get_listed_community_or_404(slug, current_user))


@bp.route("/communities/<slug>/sponsors", methods=["POST"])
def set_sponsors(slug):
    community = permissions.get_listed_community_or_404(slug, current_user)
    form = SponsorsForm()
    if form.validate_on_submit():
        with showing_errors(form):
            community_services.set_sponsors(current_user, community, form.sponsors.data)
            flash("Sponsors saved.", "success")
            return redirect(url_for(".community", slug=slug))
    return _community_page(community, sponsors_form=form), form_status(form)


@bp.route("/communities/<slug>/coordinators", methods=["POST"])
def appoint_coordinator(slug):
    community = permissions.get_listed_community_or_404(slug, current_user)
    form = AppointCoordinatorForm()
    if form.validate_on_submit():
        with showing_errors(form):
            community_services.appoint_coordinator(current_user, community, form.coordinator.data)
            flash("Coordinator appointed.", "success")
            return redirect(url_for(".community", slug=slug))
    return _community_page(community, coordinator_form=form), form_status(form)


@bp.route("/users")
def users():
    query = request.args.get("q", "")[:100]
    return render_template("admin/users.html", pagination=services.accounts(query, page=page_arg(request)), query=query)


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
def disable_user(user_id):
    return _set_disabled(user_id, True)


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
def enable_user(user_id):
    return _set_disabled(user_id, False)


def _set_disabled(user_id: int, disabled: bool):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    with showing_errors():
        account_services.set_disabled(current_user, user, disabled)
        flash(f"{user.display_name} {'disabled' if disabled else 'enabled'}.", "success")
    return redirect(url_for(".users", q=request.args.get("q", "")))


@bp.route("/audit")
def audit():
    action = request.args.get("action", "")[:60]
    pagination = services.audit_log(page_arg(request), action=action)
    return render_template(
        "admin/audit.html",
        pagination=pagination,
        action=action,
        target_names=services.audit_target_names(pagination.items),
    )
