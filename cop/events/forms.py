from wtforms import DateField, StringField, TextAreaField, TimeField, URLField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from cop.events.services import LINK_MAX, LOCATION_MAX, TITLE_MAX, MeetingDetails
from cop.forms import OnceForm, WritingForm
from cop.markup import MAX_MARKDOWN_CHARS

AGENDA_HINT = "Markdown: what you will talk about, what to prepare, links to read beforehand."
NOTES_HINT = "Markdown: what was decided, who does what next, links to slides or recordings."
ZONE_HINT = (
    "The IANA name of the zone the times above are in, for example Europe/Berlin, America/New_York "
    "or UTC. Everyone sees the meeting in this zone, with the time in UTC beside it."
)
LINK_HINT = "Optional: a video call address starting with http:// or https://"
LOCATION_HINT = "Optional if there is a link: a room, a building, a city."
END_DATE_HINT = "Only for a meeting that ends on a later day than it starts."


class MeetingForm(WritingForm, OnceForm):
    title = StringField("Title", validators=[DataRequired("Give the meeting a title."), Length(max=TITLE_MAX)])
    date = DateField("Date", validators=[InputRequired("Enter the date of the meeting.")])
    start_time = TimeField("Starts at", validators=[InputRequired("Enter the time the meeting starts.")])
    end_time = TimeField("Ends at", validators=[InputRequired("Enter the time the meeting ends.")])
    end_date = DateField("Ends on (optional)", validators=[Optional()])
    timezone = StringField(
        "Time zone", validators=[DataRequired("Choose the time zone of the meeting."), Length(max=64)]
    )
    location = StringField("Place", validators=[Length(max=LOCATION_MAX)])
    meeting_url = URLField("Meeting link", validators=[Length(max=LINK_MAX)])
    agenda = TextAreaField("Agenda", validators=[Length(max=MAX_MARKDOWN_CHARS)])

    def details(self) -> MeetingDetails:
        return MeetingDetails(
            title=self.title.data or "",
            agenda=self.agenda.data or "",
            date=self.date.data,
            start_time=self.start_time.data,
            end_time=self.end_time.data,
            end_date=self.end_date.data,
            timezone=self.timezone.data or "",
            location=self.location.data or "",
            meeting_url=self.meeting_url.data or "",
        )

    def fill(self, details: MeetingDetails) -> None:
        for name, value in vars(details).items():
            getattr(self, name).data = value


class NotesForm(WritingForm):
    notes = TextAreaField("Notes", validators=[Length(max=MAX_MARKDOWN_CHARS)])
