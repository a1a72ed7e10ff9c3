from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from cop.errors import DomainError
from cop.extensions import utcnow
from cop.forms import OnceForm
from cop.oversight.metrics import METRICS, OBJECTIVE_ONLY_SECTIONS, SECTIONS
from cop.oversight.periods import DEFAULT_PERIOD, MAX_PERIOD_DAYS, PERIOD_CHOICES, Period

PERIOD_LABELS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "custom": "Custom dates"}
EARLIEST = date(2000, 1, 1)


class PeriodForm(FlaskForm):
    """The report's period, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    period = SelectField(
        "Period", choices=[SelectChoice(k, v) for k, v in PERIOD_LABELS.items()], default=str(DEFAULT_PERIOD)
    )
    start = StringField("From", validators=[Length(max=10)])
    end = StringField("To (inclusive)", validators=[Length(max=10)])

    def chosen_period(self, now=None) -> Period:
        """The period asked for.

        :raise DomainError: an unknown period, or custom dates that are
            missing, malformed, reversed, in the future or too far apart.
        """
        choice = self.period.data or str(DEFAULT_PERIOD)
        if choice != "custom":
            if choice not in {str(days) for days in PERIOD_CHOICES}:
                raise DomainError("Choose a period from the list.", field="period")
            return Period.last(int(choice), now)
        start = _date(self.start.data, "start", "the first day")
        end = _date(self.end.data, "end", "the last day")
        today = (now or utcnow()).date()
        if end > today:
            raise DomainError("The last day cannot be in the future.", field="end")
        if end < start:
            raise DomainError("The last day must not be before the first day.", field="end")
        if (end - start) >= timedelta(days=MAX_PERIOD_DAYS):
            raise DomainError(f"Choose at most {MAX_PERIOD_DAYS} days.", field="start")
        return Period.custom(start, end)

    def query_args(self) -> dict:
        """The query arguments that ask for the same period again (for links to the CSV and print pages)."""
        if self.period.data == "custom":
            return {"period": "custom", "start": self.start.data, "end": self.end.data}
        return {"period": self.period.data or str(DEFAULT_PERIOD)}


def _date(value, field: str, name: str) -> date:
    value = (value or "").strip()
    if not value:
        raise DomainError(f"Give {name} of the period.", field=field)
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"Give {name} as a date, for example 2026-03-31.", field=field) from None
    if parsed < EARLIEST:
        raise DomainError(f"Give {name} after {EARLIEST.isoformat()}.", field=field)
    return parsed


def metric_choices() -> list:
    choices = []
    for section, title in SECTIONS + OBJECTIVE_ONLY_SECTIONS:
        choices += [
            SelectChoice(
                m.key,
                f"{title}: {m.label}" + (" (%)" if m.unit == "percent" else " (hours)" if m.unit == "hours" else ""),
            )
            for m in METRICS.values()
            if m.section == section
        ]
    return choices


class ObjectiveForm(OnceForm):
    title = StringField("Objective", validators=[DataRequired("Say what the objective is."), Length(max=200)])
    business_goal = StringField(
        "Business goal it serves", validators=[DataRequired("Name the business goal it serves."), Length(max=300)]
    )
    metric = SelectField("Measured by", choices=metric_choices(), validate_choice=False)
    baseline = StringField("Baseline", validators=[DataRequired("Give the baseline."), Length(max=20)])
    target = StringField("Target", validators=[DataRequired("Give the target."), Length(max=20)])
    due_on = StringField("Due date", validators=[DataRequired("Give the due date."), Length(max=10)])

    def values(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in ("title", "business_goal", "metric", "baseline", "target", "due_on")
        }
