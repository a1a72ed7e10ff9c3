"""Helpers shared by every blueprint's forms."""
from flask import flash, request
from flask_wtf import FlaskForm

from cop.errors import DomainError


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
    """400 when a submitted form is shown again (it failed), 200 for a first display, a preview or a
    saved draft."""
    return 400 if form.is_submitted() and not writing_action() else 200


#: Submit buttons of a form with Markdown that show the form again instead of saving it (no JavaScript).
WRITING_ACTIONS = ("preview", "save_draft", "check", "experts")


def writing_action() -> str | None:
    """Which of ``WRITING_ACTIONS`` the posted form asks for (``preview``: show the named field rendered;
    ``save_draft``: keep the text as a draft; ``check``: look for similar threads; ``experts``: suggest people
    who know the thread's tags), or None."""
    if request.method != "POST":
        return None
    return next((name for name in WRITING_ACTIONS if name in request.form), None)


class WritingForm(FlaskForm):
    """A form with Markdown fields: posted with *Preview*, *Save draft* or *Check for similar threads*
    it is shown again with the text kept (and nothing saved but a draft), so it does not validate."""

    def validate_on_submit(self, extra_validators=None) -> bool:
        if writing_action():
            return False
        return super().validate_on_submit(extra_validators)
