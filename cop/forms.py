"""Helpers shared by every blueprint's forms."""
from flask import flash
from flask_wtf import FlaskForm
from wtforms import HiddenField

from cop import idempotency, unavailable
from cop.errors import DomainError


class OnceForm(FlaskForm):
    """A form that creates something: it carries a one-time key (``cop.idempotency``), made at each
    render and sent back with the form, so sending it twice creates one thing. Templates render it
    beside the CSRF token: ``{{ form.form_key }}``."""

    form_key = HiddenField(default=idempotency.new_key)


def show_domain_error(form: FlaskForm, exc: DomainError) -> None:
    """Put a service's error next to its field, or flash it when it has none."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message] if isinstance(field.errors, list) else [exc.message]
    else:
        flash(exc.message, "error")


def page_arg(request) -> int:
    """The ``page`` query argument as a positive int (bad values read as 1)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except (TypeError, ValueError):
        return 1


def form_status(form: FlaskForm) -> int:
    """400 when a submitted form is shown again (it failed), 200 for a first display; 503 when it
    failed because the database or upload store could not take the write (``cop.unavailable``)."""
    if not form.is_submitted():
        return 200
    return 503 if unavailable.seen_in_this_request() else 400
