"""Request and response schemas of the API (marshmallow): what flask-smorest validates and documents.

Request schemas refuse unknown fields (marshmallow's default) and take integers strictly, so
``{"priority": "1"}`` or a typo'd field name is a 422 naming the field, never a silent guess.
Every time is ISO 8601 in UTC with a ``Z``.
"""

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate
from marshmallow.validate import Validator

from cop.api.models import SCOPES
from cop.api.pagination import MAX_LIMIT
from cop.discussions.models import KINDS as THREAD_KINDS, STATUSES as THREAD_STATUSES
from cop.events.models import RSVP_RESPONSES
from cop.forms import INVISIBLE_MESSAGE, NAME_FIELDS, clean_line, clean_multiline, has_invisible
from cop.markup import MAX_MARKDOWN_CHARS

F = ma.fields


class UTCDateTime(F.DateTime):
    """A stored naive UTC time written as ISO 8601 with ``Z``."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


_TEXT = validate.Regexp(r"[\s\S]*\S", error="Write something: it cannot be empty or only spaces.")


def _str(*, validate: Validator | None = None, **kw: Any) -> F.String:
    """A required text that must contain more than white space."""
    return F.String(required=True, validate=[validate, _TEXT] if validate else _TEXT, **kw)


def _opt_str(**kw: Any) -> F.String:
    return F.String(allow_none=True, **kw)


# --- requests -----------------------------------------------------------------------------

# Fields holding several lines (Markdown, notes); every other text is one line.
_MULTILINE = frozenset({"body", "description", "message", "change_note", "agenda"})


class In(ma.Schema):
    """A request body: its texts cleaned as the web forms clean theirs (``cop.forms``): NFC, no control
    characters (newlines kept in Markdown), and no invisible or direction-changing characters in titles."""

    @ma.pre_load
    def clean_text(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for name, value in data.items():
            clean = clean_multiline if name in _MULTILINE else clean_line
            if isinstance(value, list):
                value = [clean(item) for item in value]
            else:
                value = clean(value)
            if name in NAME_FIELDS and has_invisible(value):
                raise ma.ValidationError(INVISIBLE_MESSAGE, name)
            cleaned[name] = value
        return cleaned


class ListArgs(ma.Schema):
    cursor = F.String(
        validate=validate.Length(max=500),
        metadata={"description": "From `next_cursor` or the `Link` header of the previous page."},
    )
    limit = F.Integer(
        validate=validate.Range(1, MAX_LIMIT),
        load_default=None,
        metadata={"description": f"Items per page, 1-{MAX_LIMIT} (default 25)."},
    )


class CommunityListArgs(ListArgs):
    q = F.String(validate=validate.Length(max=100), load_default="")
    visibility = F.String(validate=validate.OneOf(("open", "restricted", "private")), load_default="")
    stage = F.String(validate=validate.Length(max=20), load_default="")
    mine = F.Boolean(load_default=False)


class ThreadListArgs(ListArgs):
    kind = F.String(validate=validate.OneOf(THREAD_KINDS), load_default="")
    priority = F.Integer(validate=validate.OneOf((1, 2, 3)), load_default=None)
    status = F.String(validate=validate.OneOf(THREAD_STATUSES), load_default="")
    tag = F.String(validate=validate.Length(max=40), load_default="")
    sort = F.String(validate=validate.OneOf(("latest", "newest", "unanswered")), load_default="latest")


class ResourceListArgs(ListArgs):
    kind = F.String(validate=validate.OneOf(("file", "link", "document")), load_default="")
    tag = F.String(validate=validate.Length(max=40), load_default="")
    sort = F.String(validate=validate.OneOf(("recent", "title", "used")), load_default="recent")


class MeetingListArgs(ListArgs):
    when = F.String(validate=validate.OneOf(("upcoming", "past")), load_default="upcoming")


class TagListArgs(ma.Schema):
    prefix = F.String(validate=validate.Length(max=40), load_default="")
    limit = F.Integer(validate=validate.Range(1, MAX_LIMIT), load_default=50)


class SearchArgs(ListArgs):
    q = F.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'Words, "phrases", AND/OR/NOT, as on the search page.'},
    )
    type = F.String(validate=validate.OneOf(("thread", "resource", "community", "person")), load_default="")
    community = F.String(validate=validate.Length(max=60), load_default="", metadata={"description": "A slug."})
    tag = F.String(validate=validate.Length(max=40), load_default="")
    author = F.Integer(validate=validate.Range(1, 2**31 - 1), load_default=None)
    date = F.String(validate=validate.OneOf(("week", "month", "year")), load_default="")
    kind = F.String(validate=validate.Length(max=20), load_default="")
    status = F.String(validate=validate.OneOf(THREAD_STATUSES), load_default="")
    sort = F.String(validate=validate.OneOf(("relevance", "date")), load_default="relevance")


class PeriodArgs(ma.Schema):
    period = F.Integer(
        validate=validate.OneOf((7, 30, 90)), load_default=30, metadata={"description": "The last 7, 30 or 90 days."}
    )


class JoinIn(In):
    accept_guidelines = F.Boolean(required=True, metadata={"description": "You accept the community's guidelines."})


class RequestIn(JoinIn):
    message = F.String(validate=validate.Length(max=1000), load_default="")


class LeaveIn(In):
    successor = _opt_str(
        validate=validate.Length(max=40),
        load_default=None,
        metadata={"description": "Handle of the member who takes over (the last coordinator)."},
    )


class ThreadIn(In):
    title = _str(validate=validate.Length(min=1, max=200))
    body = _str(validate=validate.Length(min=1, max=MAX_MARKDOWN_CHARS), metadata={"description": "Markdown."})
    kind = F.String(validate=validate.OneOf(THREAD_KINDS), load_default="discussion")
    priority = F.Integer(strict=True, validate=validate.OneOf((1, 2, 3)), load_default=3)
    tags = F.List(
        F.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20), load_default=list
    )


class ReplyIn(In):
    body = _str(validate=validate.Length(min=1, max=MAX_MARKDOWN_CHARS), metadata={"description": "Markdown."})
    parent_id = F.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "The post answered (default: the opening post)."},
    )


class EditIn(In):
    body = _str(validate=validate.Length(min=1, max=MAX_MARKDOWN_CHARS), metadata={"description": "Markdown."})


class AcceptIn(In):
    post_id = F.Integer(
        strict=True,
        required=True,
        allow_none=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "The reply to accept, or null to unmark."},
    )


class ResourceIn(In):
    kind = F.String(required=True, validate=validate.OneOf(("link", "document")))
    title = _str(validate=validate.Length(min=1, max=200))
    url = F.String(validate=validate.Length(max=2000), load_default=None, metadata={"description": "Links only."})
    body = F.String(
        validate=validate.Length(max=MAX_MARKDOWN_CHARS),
        load_default=None,
        metadata={"description": "Documents only: Markdown."},
    )
    description = F.String(validate=validate.Length(max=10_000), load_default="")
    tags = F.List(
        F.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=20), load_default=list
    )
    change_note = F.String(validate=validate.Length(max=500), load_default="")


class VersionFormIn(In):
    change_note = F.String(validate=validate.Length(max=500), load_default="")


class VersionFileIn(ma.Schema):
    file = Upload(required=True)


class RsvpIn(In):
    response = F.String(required=True, validate=validate.OneOf(RSVP_RESPONSES))


# --- responses ----------------------------------------------------------------------------


class Person(ma.Schema):
    handle = F.String()
    name = F.String()


class Page(ma.Schema):
    next_cursor = F.String(allow_none=True, metadata={"description": "Pass as `cursor` for the next page."})


def page_of(item_schema: type[ma.Schema], name: str) -> type[Page]:
    return type(name, (Page,), {"items": F.List(F.Nested(item_schema))})


class Membership(ma.Schema):
    status = F.String(allow_none=True)
    role = F.String(allow_none=True)


class Community(ma.Schema):
    slug = F.String()
    name = F.String()
    domain = F.String()
    visibility = F.String()
    stage = F.String()
    member_count = F.Integer()
    tags = F.List(F.String())
    url = F.String()
    readable = F.Boolean(metadata={"description": "Whether you may read its threads, library and meetings."})
    membership = F.Nested(Membership)


class CommunityDetail(Community):
    guidelines_markdown = F.String()
    charter_markdown = F.String(allow_none=True)


class Member(ma.Schema):
    handle = F.String()
    name = F.String()
    role = F.String()
    joined_at = UTCDateTime(allow_none=True)


class Thread(ma.Schema):
    id = F.Integer()
    community = F.String(metadata={"description": "The community's slug."})
    title = F.String()
    kind = F.String()
    priority = F.Integer()
    status = F.String()
    is_pinned = F.Boolean()
    is_locked = F.Boolean()
    author = F.Nested(Person, allow_none=True)
    created_at = UTCDateTime()
    last_activity_at = UTCDateTime()
    reply_count = F.Integer()
    tags = F.List(F.String())
    accepted_post_id = F.Integer(allow_none=True)
    url = F.String()


class Post(ma.Schema):
    id = F.Integer()
    thread_id = F.Integer()
    parent_id = F.Integer(allow_none=True)
    depth = F.Integer()
    author = F.Nested(Person, allow_none=True)
    created_at = UTCDateTime()
    edited_at = UTCDateTime(allow_none=True)
    removed = F.Boolean(metadata={"description": "Deleted or hidden by a coordinator: no body."})
    body_markdown = F.String(allow_none=True)
    body_html = F.String(allow_none=True, metadata={"description": "Sanitized HTML, as the page shows it."})
    url = F.String()


class ThreadDetail(Thread):
    opening_post = F.Nested(Post, allow_none=True)


class Resource(ma.Schema):
    id = F.Integer()
    community = F.String()
    kind = F.String()
    title = F.String()
    description_markdown = F.String()
    link = F.String(allow_none=True, metadata={"description": "A link's address (http or https)."})
    author = F.Nested(Person, allow_none=True)
    created_at = UTCDateTime()
    updated_at = UTCDateTime()
    is_featured = F.Boolean()
    use_count = F.Integer()
    latest_version = F.Integer()
    tags = F.List(F.String())
    url = F.String()
    download_url = F.String(allow_none=True)


class Version(ma.Schema):
    number = F.Integer()
    author = F.Nested(Person, allow_none=True)
    created_at = UTCDateTime()
    change_note = F.String()
    size = F.Integer(allow_none=True)
    filename = F.String(allow_none=True)
    mime_type = F.String(allow_none=True)
    body_markdown = F.String(allow_none=True)
    download_url = F.String()


class TagUse(ma.Schema):
    name = F.String()
    uses = F.Integer()


class TagList(ma.Schema):
    items = F.List(F.Nested(TagUse))


class TagDetail(ma.Schema):
    name = F.String()
    threads_total = F.Integer()
    resources_total = F.Integer()
    communities_total = F.Integer()
    people_total = F.Integer()
    threads = F.List(F.Nested(Thread))
    resources = F.List(F.Nested(Resource))
    communities = F.List(F.String())


class FacetOption(ma.Schema):
    value = F.String()
    label = F.String()
    count = F.Integer()


class Facet(ma.Schema):
    name = F.String()
    label = F.String()
    options = F.List(F.Nested(FacetOption))


class Hit(ma.Schema):
    type = F.String()
    id = F.Integer()
    title = F.String()
    snippet_html = F.String(metadata={"description": "Sanitized HTML with <mark> around matched words."})
    community = F.String(allow_none=True)
    url = F.String()


class SearchResults(Page):
    total = F.Integer()
    items = F.List(F.Nested(Hit))
    facets = F.List(F.Nested(Facet))
    suggestion = F.String(allow_none=True)


class RsvpCounts(ma.Schema):
    yes = F.Integer()
    maybe = F.Integer()
    no = F.Integer()


class Meeting(ma.Schema):
    id = F.Integer()
    community = F.String()
    title = F.String()
    agenda_markdown = F.String()
    starts_at = UTCDateTime()
    ends_at = UTCDateTime()
    timezone = F.String()
    location = F.String()
    meeting_url = F.String()
    is_cancelled = F.Boolean()
    organiser = F.Nested(Person, allow_none=True)
    my_response = F.String(allow_none=True)
    counts = F.Nested(RsvpCounts, allow_none=True, metadata={"description": "For members, coordinators, sponsors."})
    url = F.String()


class Rsvp(ma.Schema):
    meeting_id = F.Integer()
    response = F.String()


class Notification(ma.Schema):
    id = F.Integer()
    kind = F.String()
    text = F.String()
    community = F.String()
    thread_id = F.Integer(allow_none=True)
    post_id = F.Integer(allow_none=True)
    created_at = UTCDateTime()
    read_at = UTCDateTime(allow_none=True)
    url = F.String()


class ReadAll(ma.Schema):
    marked = F.Integer()


class Figure(ma.Schema):
    key = F.String()
    label = F.String()
    unit = F.String()
    better = F.String()
    value = F.Float(allow_none=True)
    previous = F.Float(allow_none=True)
    change = F.Float(allow_none=True)


class Section(ma.Schema):
    key = F.String()
    title = F.String()
    figures = F.List(F.Nested(Figure))


class Span(ma.Schema):
    start = UTCDateTime()
    end = UTCDateTime()


class ObjectiveScore(ma.Schema):
    title = F.String()
    business_goal = F.String()
    metric = F.String()
    baseline = F.Float()
    target = F.Float()
    due_on = F.Date()
    current = F.Float(allow_none=True)
    progress_percent = F.Integer(allow_none=True)
    status = F.String()


class Report(ma.Schema):
    community = F.String()
    name = F.String()
    period = F.Nested(Span)
    previous = F.Nested(Span)
    generated_at = UTCDateTime()
    main_department = F.String(allow_none=True)
    sections = F.List(F.Nested(Section))
    objectives = F.List(F.Nested(ObjectiveScore))


class PortfolioRow(ma.Schema):
    community = F.String()
    name = F.String()
    stage = F.String()
    visibility = F.String()
    figures = F.List(F.Nested(Figure))
    objectives_total = F.Integer()


class Portfolio(ma.Schema):
    period = F.Nested(Span)
    items = F.List(F.Nested(PortfolioRow))


class Me(ma.Schema):
    handle = F.String()
    name = F.String()
    email = F.String()
    is_admin = F.Boolean()
    token_name = F.String()
    scopes = F.List(F.String(validate=validate.OneOf(SCOPES)))
    token_expires_at = UTCDateTime()


class Problem(ma.Schema):
    """RFC 9457 problem details."""

    class FieldError(ma.Schema):
        field = F.String()
        message = F.String()

    type = F.String()
    title = F.String()
    status = F.Integer()
    detail = F.String()
    errors = F.List(F.Nested(FieldError))
