"""Helpers shared by every blueprint's forms, and the text clean-up every form (and the API) applies.

Text clean-up (issue 14, item 7), in one place for every form: ``FlaskForm.Meta.bind_field`` is set
here so that each text field of every form, present and future, gets ``clean_line`` (one-line
fields) or ``clean_multiline`` (text areas) as a filter, and the fields that name or title something
(``NAME_FIELDS``) refuse invisible and direction-changing characters with a form error. Passwords,
hidden fields and files are left as sent. The API's request schemas apply the same functions
(``cop.api.schemas.In``).
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import flash, request
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import ValidationError

from cop import idempotency, unavailable
from cop.errors import DomainError
from cop.extensions import db

# C0 controls but tab and newline, DEL, and C1 controls. PostgreSQL cannot store NUL at all; the
# others are invisible, break e-mail headers and file names, or make text render differently.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Zero-width characters and bidirectional controls: in a name or title they make one string look like
# another ("ad\u200bmin", a right-to-left override reversing a file extension).
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
NAME_FIELDS = frozenset({"title", "name", "display_name", "handle"})
INVISIBLE_MESSAGE = (
    "Remove the invisible or direction-changing characters (such as zero-width spaces or "
    "right-to-left marks): they can make a name look like another."
)


def clean_multiline(value: Any) -> Any:
    """Unicode NFC, line ends as ``\n``, and no control characters but newline and tab."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", unicodedata.normalize("NFC", value))


def clean_line(value: Any) -> Any:
    """``clean_multiline`` for a one-line value: newlines and tabs become spaces."""
    value = clean_multiline(value)
    return value.replace("\n", " ").replace("\t", " ") if isinstance(value, str) else value


def has_invisible(value) -> bool:
    return isinstance(value, str) and _INVISIBLE.search(value) is not None


def refuse_invisible(_form, field) -> None:
    """WTForms validator for names and titles (see ``NAME_FIELDS``)."""
    if has_invisible(field.data):
        raise ValidationError(INVISIBLE_MESSAGE)


def _bind_field_with_clean_text(_meta, form, unbound_field, options):
    """Bind a form's field, adding the text clean-up to text fields (``FlaskForm.Meta.bind_field``)."""
    field_class = unbound_field.field_class
    if issubclass(field_class, StringField) and not issubclass(field_class, (PasswordField, HiddenField)):
        cleaner = clean_multiline if issubclass(field_class, TextAreaField) else clean_line
        options = {**options, "filters": [cleaner, *unbound_field.kwargs.get("filters", ())]}
        if options["name"] in NAME_FIELDS and not issubclass(field_class, TextAreaField):
            validators = unbound_field.kwargs.get("validators") or ()
            options["validators"] = [*validators, refuse_invisible]
    return unbound_field.bind(form=form, **options)


FlaskForm.Meta.bind_field = _bind_field_with_clean_text


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


@contextmanager
def showing_errors(form: FlaskForm | None = None) -> Iterator[None]:
    """Run a service call (and what follows it on success); on a ``DomainError`` roll back, put its
    message next to ``form``'s field (or flash it; always flash without a form) and carry on after the
    ``with`` block, where the view shows the form again with what the user typed (``form_status``:
    400, or 503 for ``Unavailable``) or redirects.

        with showing_errors(form):
            thing = services.make_thing(current_user, **form.data)
            return redirect(url_for(".thing", thing_id=thing.id))
        return render_template("thing_form.html", form=form), form_status(form)

    ``NotAllowed`` is not caught: the app's handler answers it (403 or 404).
    """
    try:
        yield
    except DomainError as exc:
        db.session.rollback()
        if form is None:
            flash(exc.message, "error")
        else:
            show_domain_error(form, exc)


def page_arg(request) -> int:
    """The ``page`` query argument as a positive int (bad values read as 1)."""
    try:
        return max(1, min(int(request.args.get("page", 1)), 10_000))
    except (TypeError, ValueError):
        return 1


def form_status(form: FlaskForm) -> int:
    """400 when a submitted form is shown again (it failed), 200 for a first display, a preview or a
    saved draft; 503 when it failed because the database or upload store could not take the write
    (``cop.unavailable``)."""
    if not form.is_submitted() or writing_action():
        return 200
    return 503 if unavailable.seen_in_this_request() else 400


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
