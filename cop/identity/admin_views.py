"""The administrators' page of directory group mappings (``/admin/identity/groups``)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectChoice

from cop import permissions
from cop.communities.models import Community
from cop.extensions import db
from cop.forms import form_status, showing_errors
from cop.identity import groups
from cop.identity.forms import GroupMappingForm
from cop.identity.models import GroupMapping

bp = Blueprint("identity_admin", __name__, url_prefix="/admin/identity")


@bp.before_request
def _require_admin():
    if not permissions.is_admin(current_user):
        abort(403)


def _page(form: GroupMappingForm):
    communities = db.session.scalars(db.select(Community).order_by(Community.name)).all()
    form.community.choices = [SelectChoice(0, "— choose a community —")] + [
        SelectChoice(c.id, c.name) for c in communities
    ]
    try:
        mappings, file_error = groups.all_mappings(), None
    except groups.GroupMapFileError as exc:
        mappings, file_error = [], exc.message
    known = {c.slug: c for c in communities}
    return render_template(
        "identity/admin_groups.html", form=form, mappings=mappings, known=known, file_error=file_error
    ), form_status(form)


@bp.route("/groups", methods=["GET", "POST"])
def groups_page():
    form = GroupMappingForm()
    if form.validate_on_submit():
        with showing_errors(form):
            groups.add_mapping(
                current_user, form.group_name.data, db.session.get(Community, form.community.data or 0), form.role.data
            )
            flash(f"Members of {form.group_name.data.strip()} get that role at their next sign-in.", "success")
            return redirect(url_for(".groups_page"))
    return _page(form)


@bp.route("/groups/<int:mapping_id>/delete", methods=["POST"])
def delete_mapping(mapping_id):
    mapping = db.session.get(GroupMapping, mapping_id)
    if mapping is None:
        abort(404)
    groups.remove_mapping(current_user, mapping)
    flash(f"Mapping removed: memberships from {mapping.group_name} end at each person's next sign-in.", "success")
    return redirect(url_for(".groups_page"))
