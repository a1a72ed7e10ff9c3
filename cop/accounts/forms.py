from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from cop.forms import WritingForm


class RegisterForm(FlaskForm):
    email = EmailField("Work e-mail", validators=[DataRequired("Enter your work e-mail address."), Length(max=254)])
    display_name = StringField("Display name", validators=[DataRequired("Enter your name."), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired("Choose a password.")])


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    remember = BooleanField("Keep me signed in on this device")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired("Enter your current password.")])
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])


class ProfileForm(WritingForm):
    display_name = StringField("Display name", validators=[DataRequired("Enter your name."), Length(max=80)])
    title = StringField("Job title", validators=[Length(max=120)])
    department = StringField("Department", validators=[Length(max=120)])
    location = StringField("Location", validators=[Length(max=120)])
    bio = TextAreaField("About you (Markdown)", validators=[Length(max=20000)])
    expertise = StringField("Expertise tags (comma-separated)", validators=[Length(max=500)])
    time_zone = StringField("Time zone", validators=[Length(max=64)])

    def validate_time_zone(self, field):
        from wtforms.validators import ValidationError

        from cop.timefmt import is_zone_name

        if field.data and not is_zone_name(field.data.strip()):
            raise ValidationError("Choose a time zone from the list, for example Europe/Berlin or America/New_York.")


class ConfirmForm(FlaskForm):
    """A form with only the CSRF token, for POST buttons."""


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Choose a new password.")])
