from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from cop.value.models import CUSTOM_UNIT_MAX, CYCLE_LABELS, CYCLES, TEXT_MAX, UNIT_LABELS, UNITS


class StoryForm(FlaskForm):
    cycle = RadioField(
        "Which kind of value?",
        choices=[SelectChoice(c, CYCLE_LABELS[c]) for c in CYCLES],
        validators=[DataRequired("Choose the value cycle the story is about.")],
        validate_choice=False,
    )
    text = TextAreaField("The story", validators=[DataRequired("Tell the story in a few words."), Length(max=TEXT_MAX)])
    amount = StringField("Measured result (realized value only)", validators=[Length(max=30)])
    unit = SelectField(
        "Unit",
        choices=[SelectChoice("", "No measured result")] + [SelectChoice(u, UNIT_LABELS[u]) for u in UNITS],
        validate_choice=False,
    )
    custom_unit = StringField("Name of your unit", validators=[Length(max=CUSTOM_UNIT_MAX)])
    subject_kind = HiddenField(default="community")
    subject_id = HiddenField()

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in ("cycle", "text", "amount", "unit", "custom_unit", "subject_kind", "subject_id")
        }
