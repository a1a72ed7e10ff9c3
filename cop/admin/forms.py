from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class SponsorsForm(FlaskForm):
    sponsors = StringField("Sponsors (e-mails, comma-separated)", validators=[Length(max=2000)])


class AppointCoordinatorForm(FlaskForm):
    coordinator = StringField(
        "New coordinator's e-mail", validators=[DataRequired("Enter an e-mail address."), Length(max=254)]
    )
