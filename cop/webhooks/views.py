"""The webhooks pages of a community, for its coordinators: endpoints, their secrets and delivery logs."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from cop import permissions
from cop.forms import form_status, showing_errors
from cop.viewer import readable_community
from cop.webhooks import services
from cop.webhooks.payloads import EVENT_LABELS, EVENTS

bp = Blueprint("webhooks", __name__)


class EndpointForm(FlaskForm):
    url = StringField("Endpoint address", validators=[DataRequired("Enter the endpoint's address."), Length(max=2000)])
    events = SelectMultipleField(
        "Send these events",
        choices=[SelectChoice(e, f"{EVENT_LABELS[e]} ({e})") for e in EVENTS],
        default=list(EVENTS),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    include_content = BooleanField(
        "Include content (post text, descriptions, agendas) even though the community is not open"
    )


def _community(slug):
    """:raise 404: unknown or unreadable; :raise 403: not a coordinator or administrator."""
    community = readable_community(slug)
    permissions.require(permissions.can_manage_webhooks(current_user, community))
    return community


def _endpoint(community, endpoint_id):
    endpoint = services.get_endpoint(community, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("/c/<slug>/webhooks", methods=["GET", "POST"])
def index(slug):
    community = _community(slug)
    form = EndpointForm()
    if form.validate_on_submit():
        with showing_errors(form):
            endpoint, secret = services.create_endpoint(
                current_user,
                community,
                url=form.url.data,
                events=form.events.data,
                include_content=form.include_content.data,
            )
            return render_template(
                "webhooks/secret.html", community=community, endpoint=endpoint, secret=secret, created=True
            )
    return render_template(
        "webhooks/index.html",
        community=community,
        form=form,
        endpoints=services.endpoints_of(community),
        labels=EVENT_LABELS,
    ), form_status(form)


@bp.route("/c/<slug>/webhooks/<int:endpoint_id>")
def endpoint(slug, endpoint_id):
    community = _community(slug)
    found = _endpoint(community, endpoint_id)
    return render_template(
        "webhooks/endpoint.html",
        community=community,
        endpoint=found,
        deliveries=services.delivery_log(found),
        labels=EVENT_LABELS,
    )


@bp.route("/c/<slug>/webhooks/<int:endpoint_id>/secret", methods=["POST"])
def rotate(slug, endpoint_id):
    community = _community(slug)
    found = _endpoint(community, endpoint_id)
    secret = services.rotate_secret(current_user, found)
    return render_template("webhooks/secret.html", community=community, endpoint=found, secret=secret, created=False)


@bp.route("/c/<slug>/webhooks/<int:endpoint_id>/enable", methods=["POST"])
def enable(slug, endpoint_id):
    community = _community(slug)
    found = _endpoint(community, endpoint_id)
    services.enable_endpoint(current_user, found)
    flash("The endpoint is on again; waiting deliveries will be sent.", "success")
    return redirect(url_for(".endpoint", slug=community.slug, endpoint_id=found.id))


@bp.route("/c/<slug>/webhooks/<int:endpoint_id>/delete", methods=["POST"])
def delete(slug, endpoint_id):
    community = _community(slug)
    services.delete_endpoint(current_user, _endpoint(community, endpoint_id))
    flash("The endpoint and its delivery log are removed.", "success")
    return redirect(url_for(".index", slug=community.slug))
