from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from cop.discussions.models import FIVE_WS, FIVE_WS_MAX, KIND_LABELS, KINDS, PRIORITIES, PRIORITY_LABELS
from cop.forms import OnceForm, WritingForm
from cop.markup import MAX_MARKDOWN_CHARS

BODY_HINT = (
    "Markdown: **bold**, *italic*, `code`, ```fenced blocks```, lists, tables, links. Mention someone with @handle."
)


class ThreadForm(WritingForm, OnceForm):
    title = StringField("Title", validators=[DataRequired("Give the thread a title."), Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS], default="question")
    priority = SelectField(
        "Priority", choices=[SelectChoice(str(p), PRIORITY_LABELS[p]) for p in PRIORITIES], default="3"
    )
    tags = StringField("Tags (comma-separated)", validators=[Length(max=500)])
    # The optional 5 W's of a question or problem (cop.discussions.models.FIVE_WS).
    who = StringField(FIVE_WS[0][1], validators=[Length(max=FIVE_WS_MAX)])
    what = StringField(FIVE_WS[1][1], validators=[Length(max=FIVE_WS_MAX)])
    happened_when = StringField(FIVE_WS[2][1], validators=[Length(max=FIVE_WS_MAX)])
    happened_where = StringField(FIVE_WS[3][1], validators=[Length(max=FIVE_WS_MAX)])
    why = StringField(FIVE_WS[4][1], validators=[Length(max=FIVE_WS_MAX)])
    body = TextAreaField("Your message", validators=[Length(max=MAX_MARKDOWN_CHARS)])

    def five_ws(self) -> dict[str, str]:
        return {key: getattr(self, key).data or "" for key, _label in FIVE_WS}

    def validate_body(self, field):
        """The message may be left empty when the 5 W's say what the thread is about."""
        if not (field.data or "").strip() and not any(v.strip() for v in self.five_ws().values()):
            raise ValidationError("Write something first: the text cannot be empty.")


class ReplyForm(WritingForm, OnceForm):
    parent_id = HiddenField()
    body = TextAreaField(
        "Your reply",
        validators=[DataRequired("Write something first: the text cannot be empty."), Length(max=MAX_MARKDOWN_CHARS)],
    )


class EditForm(WritingForm):
    body = TextAreaField("Text", validators=[DataRequired("The text cannot be empty."), Length(max=MAX_MARKDOWN_CHARS)])


class ClassifyForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS])
    priority = SelectField("Priority", choices=[SelectChoice(str(p), PRIORITY_LABELS[p]) for p in PRIORITIES])


class MoveForm(FlaskForm):
    target = SelectField("Move to", coerce=int, validate_choice=False)


class FlagForm(FlaskForm):
    guideline = SelectField("Which guideline does it break?", validate_choice=False)
    note = TextAreaField("Note for the coordinators (optional)", validators=[Length(max=1000)])
