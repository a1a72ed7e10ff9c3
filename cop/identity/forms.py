from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from cop.identity.models import MAPPED_ROLES


class GroupMappingForm(FlaskForm):
    group_name = StringField("Directory group", validators=[DataRequired("Enter the group's name."), Length(max=255)])
    community = SelectField("Community", coerce=int, validate_choice=False)
    role = SelectField("Role", choices=[SelectChoice(r, r.title()) for r in MAPPED_ROLES])
