from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from cop.forms import OnceForm
from cop.discussions.models import KIND_LABELS, KINDS, PRIORITIES, PRIORITY_LABELS
from cop.markup import MAX_MARKDOWN_CHARS

BODY_HINT = "Markdown: **bold**, *italic*, `code`, ```fenced blocks```, lists, tables, links. Mention someone with @handle."


class ThreadForm(OnceForm):
    title = StringField("Title", validators=[DataRequired("Give the thread a title."), Length(max=200)])
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS], default="question")
    priority = SelectField("Priority", choices=[SelectChoice(str(p), PRIORITY_LABELS[p]) for p in PRIORITIES], default="3")
    tags = StringField("Tags (comma-separated)", validators=[Length(max=500)])
    body = TextAreaField("Your message", validators=[DataRequired("Write something first: the text cannot be empty."),
                                                     Length(max=MAX_MARKDOWN_CHARS)])


class ReplyForm(OnceForm):
    parent_id = HiddenField()
    body = TextAreaField("Your reply", validators=[DataRequired("Write something first: the text cannot be empty."),
                                                   Length(max=MAX_MARKDOWN_CHARS)])


class EditForm(FlaskForm):
    body = TextAreaField("Text", validators=[DataRequired("The text cannot be empty."),
                                             Length(max=MAX_MARKDOWN_CHARS)])


class ClassifyForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in KINDS])
    priority = SelectField("Priority", choices=[SelectChoice(str(p), PRIORITY_LABELS[p]) for p in PRIORITIES])


class MoveForm(FlaskForm):
    target = SelectField("Move to", coerce=int, validate_choice=False)


class FlagForm(FlaskForm):
    guideline = SelectField("Which guideline does it break?", validate_choice=False)
    note = TextAreaField("Note for the coordinators (optional)", validators=[Length(max=1000)])
