from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField

from cop.notifications.models import CADENCE_LABELS, CADENCES, KIND_LABELS, KINDS, SPONSOR_SUMMARY

SPONSOR_SUMMARY_LABEL = "Weekly summary of the communities you sponsor"


class PreferencesForm(FlaskForm):
    """One "how often" choice per kind (fields named after the kinds), and the auto-watch switch."""

    auto_watch = BooleanField("Watch the threads I start or reply to")
    # Shown to sponsors only, so it may be absent; the service checks what is sent.
    sponsor_summary = SelectField(
        SPONSOR_SUMMARY_LABEL,
        choices=[SelectChoice("weekly", "Every week"), SelectChoice("never", "Never")],
        validate_choice=False,
    )

    def kind_fields(self):
        return [getattr(self, kind) for kind in KINDS]

    def chosen(self) -> dict[str, str]:
        chosen = {kind: getattr(self, kind).data for kind in KINDS}
        if self.sponsor_summary.raw_data:
            chosen[SPONSOR_SUMMARY] = self.sponsor_summary.data
        return chosen


for _kind in KINDS:
    setattr(
        PreferencesForm,
        _kind,
        SelectField(KIND_LABELS[_kind], choices=[SelectChoice(c, CADENCE_LABELS[c]) for c in CADENCES]),
    )


class UnsubscribeForm(FlaskForm):
    """Only the CSRF token: the signed token in the address says who and what."""
