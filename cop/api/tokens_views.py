"""Personal access tokens on *Edit profile*: create (the secret is shown once), list, revoke."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from cop.accounts.models import User
from cop.api import tokens
from cop.api.models import SCOPE_LABELS, SCOPES, ApiToken
from cop.forms import form_status, showing_errors

bp = Blueprint("api_tokens", __name__)


class TokenForm(FlaskForm):  # type: ignore[misc]  # flask-wtf ships no type information
    name = StringField("Token name", validators=[DataRequired("Name the token."), Length(max=tokens.NAME_MAX)])
    scopes = SelectMultipleField(
        "It may",
        choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
        default=["read"],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    expires_in_days = SelectField(
        "Expires after",
        default="90",
        choices=[SelectChoice(str(d), f"{d} days" if d < 365 else "a year") for d in tokens.EXPIRY_CHOICES],
    )


@bp.app_template_global()
def api_tokens_of(user: User) -> list[ApiToken]:
    return tokens.tokens_of(user)


@bp.app_template_global()
def api_token_form() -> TokenForm:
    return TokenForm()


@bp.route("/account/tokens", methods=["POST"])
def create() -> ResponseReturnValue:
    """Create a token and show its secret once, on this response only (never stored, never in a cookie)."""
    form = TokenForm()
    if form.validate_on_submit():
        with showing_errors(form):
            token, secret = tokens.create_token(
                current_user, name=form.name.data, scopes=form.scopes.data, expires_in_days=form.expires_in_days.data
            )
            return render_template("api/token_created.html", token=token, secret=secret)
    return render_template("api/token_form.html", form=form), form_status(form)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> ResponseReturnValue:
    token = tokens.revoke_token(current_user, token_id)
    flash(f"The token “{token.name}” is revoked: it stops working at once.", "success")
    return redirect(url_for("accounts.edit_profile") + "#api-tokens")
