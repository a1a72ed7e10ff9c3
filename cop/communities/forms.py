from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cop.communities.models import STAGES, VISIBILITIES, VISIBILITY_LABELS
from cop.forms import OnceForm


class JoinForm(FlaskForm):
    accept_guidelines = BooleanField("I have read and accept the guidelines")


class RequestForm(FlaskForm):
    accept_guidelines = BooleanField("I have read and accept the guidelines")
    message = TextAreaField("Why would you like to join? (optional)", validators=[Length(max=1000)])


class InvitationAnswerForm(FlaskForm):
    accept_guidelines = BooleanField("I have read and accept the guidelines")


class DecisionForm(FlaskForm):
    message = TextAreaField("Message to the requester (optional)", validators=[Length(max=1000)])


class InviteForm(FlaskForm):
    email = EmailField("Colleague's e-mail", validators=[DataRequired("Enter an e-mail address."), Length(max=254)])
    message = TextAreaField("Personal note (optional)", validators=[Length(max=1000)])


class LeaveForm(FlaskForm):
    successor = SelectField("Hand the coordinator role to", coerce=int, validators=[Optional()], validate_choice=False)


class RemoveForm(FlaskForm):
    reason = StringField("Reason (optional, kept in the audit log)", validators=[Length(max=1000)])


class CommunityForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("A community needs a name."), Length(max=120)])
    slug = StringField("Address (slug)", validators=[DataRequired("Choose an address."), Length(max=60)])
    domain = TextAreaField(
        "Domain: the shared concern that links members", validators=[DataRequired("State the domain."), Length(max=500)]
    )
    domain_tags = StringField("Domain tags (comma-separated)", validators=[Length(max=500)])
    charter = TextAreaField("Charter (Markdown)", validators=[Length(max=65536)])
    guidelines = TextAreaField(
        "Community guidelines (Markdown, in addition to the platform's)", validators=[Length(max=65536)]
    )
    visibility = SelectField("Visibility", choices=[SelectChoice(v, VISIBILITY_LABELS[v]) for v in VISIBILITIES])
    stage = SelectField("Lifecycle stage", choices=[SelectChoice(s, s.title()) for s in STAGES])


class NewCommunityForm(CommunityForm, OnceForm):
    sponsors = StringField("Sponsors (e-mails, comma-separated)", validators=[Length(max=2000)])
    coordinators = StringField(
        "Coordinators (e-mails, comma-separated)",
        validators=[DataRequired("Name at least one coordinator."), Length(max=2000)],
    )
