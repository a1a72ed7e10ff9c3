from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from cop.tags.models import TAG_MAX_LENGTH


class RenameTagForm(FlaskForm):
    name = StringField("New name", validators=[DataRequired("Enter the new name."), Length(max=TAG_MAX_LENGTH * 2)])


class MergeTagForm(FlaskForm):
    target = StringField(
        "Merge into (an existing tag)",
        validators=[DataRequired("Enter the tag to merge into."), Length(max=TAG_MAX_LENGTH * 2)],
    )
