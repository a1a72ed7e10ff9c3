from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length

from cop.forms import OnceForm, WritingForm
from cop.library.services import DESCRIPTION_MAX, NOTE_MAX, TITLE_MAX
from cop.library.urls import URL_MAX
from cop.markup import MAX_MARKDOWN_CHARS

DESCRIPTION_HINT = "Markdown: what it is, when to use it, who it helped."
BODY_HINT = "Markdown: headings with #, **bold**, *italic*, lists, tables, `code` and links."
URL_HINT = "A web address starting with http:// or https://"
FILE_HINT = (
    "PDF, office documents, images, text (Markdown, CSV...) or archives, up to {mb} MB. "
    "The file's content decides its type, not its name."
)
NOTE_HINT = "Optional: what changed, for those who used the previous version."


class _ResourceFields(WritingForm, OnceForm):
    title = StringField("Title", validators=[DataRequired("Give the resource a title."), Length(max=TITLE_MAX)])
    description = TextAreaField("Description", validators=[Length(max=DESCRIPTION_MAX)])
    tags = StringField("Tags (comma-separated)", validators=[Length(max=500)])


class _DocumentText:
    """A written document's text and the note on what changed: a new document's, or a new version's."""

    body = TextAreaField(
        "Text",
        validators=[
            DataRequired("Write something first: the document cannot be empty."),
            Length(max=MAX_MARKDOWN_CHARS),
        ],
    )
    change_note = StringField("Change note", validators=[Length(max=NOTE_MAX)])


class LinkForm(_ResourceFields):
    url = URLField("Address", validators=[DataRequired("Enter the address of the link."), Length(max=URL_MAX)])


class DocumentForm(_ResourceFields, _DocumentText):
    """A new document written here in Markdown."""


class FileForm(_ResourceFields):
    # The title is optional for an upload: the file's name stands in.
    title = StringField("Title (optional: the file's name is used)", validators=[Length(max=TITLE_MAX)])
    file = FileField("File", validators=[FileRequired("Choose a file to upload.")])
    change_note = StringField("Change note", validators=[Length(max=NOTE_MAX)])


class EditForm(_ResourceFields):
    url = URLField("Address", validators=[Length(max=URL_MAX)])


class NewFileVersionForm(OnceForm):
    file = FileField("New version of the file", validators=[FileRequired("Choose a file to upload.")])
    change_note = StringField("Change note", validators=[Length(max=NOTE_MAX)])


class WriteForm(WritingForm, _DocumentText):
    base_version = HiddenField()


NEW_FORMS = {"file": FileForm, "link": LinkForm, "document": DocumentForm}
