"""What a webhook delivery carries: one JSON object per event, with a stable, documented schema.

The schema (``WebhookEvent``) is in the OpenAPI document under ``components.schemas`` and
``webhooks``. Fields are only ever added, never renamed or removed, within ``/api/v1``.
Restricted and private communities' deliveries carry titles and links but no text (post bodies,
descriptions, agendas) unless the endpoint's coordinator ticked "include content";
``content_included`` says which a delivery is.
"""

import marshmallow as ma

from cop.api.schemas import UTCDateTime

F = ma.fields

EVENTS = (
    "thread.created",
    "reply.created",
    "answer.accepted",
    "resource.created",
    "resource.versioned",
    "meeting.created",
    "meeting.changed",
)
EVENT_LABELS = {
    "thread.created": "A thread is started",
    "reply.created": "A reply is posted",
    "answer.accepted": "An answer is accepted",
    "resource.created": "A resource is added to the library",
    "resource.versioned": "A resource gets a new version",
    "meeting.created": "A meeting is scheduled",
    "meeting.changed": "A meeting is changed or cancelled",
}
SIGNATURE_HEADER = "Cop-Webhook-Signature"
TIMESTAMP_HEADER = "Cop-Webhook-Timestamp"
ID_HEADER = "Cop-Webhook-Id"
EVENT_HEADER = "Cop-Webhook-Event"


class _Person(ma.Schema):
    handle = F.String()
    name = F.String()


class _Community(ma.Schema):
    slug = F.String()
    name = F.String()
    visibility = F.String()
    url = F.String()


class _Thread(ma.Schema):
    id = F.Integer()
    title = F.String()
    kind = F.String()
    status = F.String()
    url = F.String()


class _Post(ma.Schema):
    id = F.Integer()
    parent_id = F.Integer(allow_none=True)
    url = F.String()
    body_markdown = F.String(allow_none=True, metadata={"description": "Null unless content is included."})


class _Resource(ma.Schema):
    id = F.Integer()
    kind = F.String()
    title = F.String()
    version = F.Integer(allow_none=True)
    url = F.String()
    description_markdown = F.String(allow_none=True, metadata={"description": "Null unless content is included."})


class _Meeting(ma.Schema):
    id = F.Integer()
    title = F.String()
    change = F.String(metadata={"description": "new, changed or cancelled"})
    starts_at = UTCDateTime()
    ends_at = UTCDateTime()
    timezone = F.String()
    location = F.String()
    is_cancelled = F.Boolean()
    url = F.String()
    agenda_markdown = F.String(allow_none=True, metadata={"description": "Null unless content is included."})


class WebhookEvent(ma.Schema):
    """The body of every webhook delivery (``Content-Type: application/json``)."""

    id = F.String(
        metadata={
            "description": "The delivery's unique id (also the Cop-Webhook-Id header): a retry "
            "carries the same id, so receivers de-duplicate by it."
        }
    )
    event = F.String(metadata={"enum": list(EVENTS)})
    created_at = UTCDateTime(metadata={"description": "When the change happened (ISO 8601, UTC)."})
    community = F.Nested(_Community)
    actor = F.Nested(_Person, allow_none=True)
    content_included = F.Boolean()
    thread = F.Nested(_Thread, allow_none=True)
    post = F.Nested(_Post, allow_none=True)
    resource = F.Nested(_Resource, allow_none=True)
    meeting = F.Nested(_Meeting, allow_none=True)


_HEADERS_DOC = (
    f"Each delivery is a POST with headers `{ID_HEADER}` (the unique delivery id), `{EVENT_HEADER}`, "
    f"`{TIMESTAMP_HEADER}` (Unix seconds) and `{SIGNATURE_HEADER}: sha256=<hex>`, the HMAC-SHA256 of "
    f"`<timestamp>.<raw body>` keyed with the endpoint's secret. Check the signature with a constant-time "
    "comparison and refuse timestamps more than 5 minutes old. Answer 2xx within 10 seconds; anything else "
    "is retried with exponential backoff for a day (redirects are not followed)."
)

WEBHOOKS_DOC = {
    name: {
        "post": {
            "summary": label,
            "description": _HEADERS_DOC,
            "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookEvent"}}}},
            "responses": {"2XX": {"description": "Received (anything else is retried)."}},
        }
    }
    for name, label in EVENT_LABELS.items()
}


# --- building ---------------------------------------------------------------------------------------


def _url(endpoint: str, **values) -> str:
    from cop.notifications.mail import absolute_url

    return absolute_url(endpoint, **values)


def build(
    event: str,
    delivery_id: str,
    community,
    actor,
    *,
    include_content: bool,
    created_at,
    thread=None,
    post=None,
    resource=None,
    version=None,
    meeting=None,
    change: str = "",
) -> dict:
    """The payload of one delivery (``WebhookEvent``), with text only when ``include_content``."""

    def text(value):
        return value if include_content else None

    data = {
        "id": delivery_id,
        "event": event,
        "created_at": created_at,
        "content_included": include_content,
        "community": {
            "slug": community.slug,
            "name": community.name,
            "visibility": community.visibility,
            "url": _url("communities.community_home", slug=community.slug),
        },
        "actor": {"handle": actor.handle, "name": actor.display_name} if actor is not None else None,
        "thread": None,
        "post": None,
        "resource": None,
        "meeting": None,
    }
    if thread is not None:
        data["thread"] = {
            "id": thread.id,
            "title": thread.title,
            "kind": thread.kind,
            "status": thread.status,
            "url": _url("discussions.thread", thread_id=thread.id),
        }
    if post is not None:
        data["post"] = {
            "id": post.id,
            "parent_id": post.parent_id,
            "url": _url("discussions.post_link", post_id=post.id),
            "body_markdown": text(post.body_md),
        }
    if resource is not None:
        data["resource"] = {
            "id": resource.id,
            "kind": resource.kind,
            "title": resource.title,
            "version": version.number if version is not None else (resource.latest_version or None),
            "url": _url("library.resource", resource_id=resource.id),
            "description_markdown": text(resource.description_md),
        }
    if meeting is not None:
        data["meeting"] = {
            "id": meeting.id,
            "title": meeting.title,
            "change": change,
            "starts_at": meeting.starts_at,
            "ends_at": meeting.ends_at,
            "timezone": meeting.timezone,
            "location": meeting.location,
            "is_cancelled": meeting.is_cancelled,
            "url": _url("events.meeting", event_id=meeting.id),
            "agenda_markdown": text(meeting.agenda_md),
        }
    return WebhookEvent().dump(data)
