"""Domain objects as the plain dicts the API's response schemas describe."""

from typing import Any

from flask import url_for

from cop import permissions
from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.discussions.models import Post, Thread
from cop.events.models import Event
from cop.library.models import Resource, ResourceVersion
from cop.oversight.metrics import Figure
from cop.oversight.periods import Period
from cop.permissions import Viewer

Data = dict[str, Any]


def person(user: User | None) -> Data | None:
    return {"handle": user.handle, "name": user.display_name} if user is not None else None


def community(c: Community, user: Viewer, detail: bool = False) -> Data:
    membership = permissions.membership_of(user, c)
    readable = permissions.can_view(user, c)
    data: Data = {
        "slug": c.slug,
        "name": c.name,
        "domain": c.domain,
        "visibility": c.visibility,
        "stage": c.stage,
        "member_count": c.member_count,
        "tags": [t.name for t in c.domain_tags],
        "url": url_for("communities.community_home", slug=c.slug, _external=True),
        "readable": readable,
        "membership": {
            "status": membership.status if membership else None,
            "role": membership.role if membership else None,
        },
    }
    if detail:
        data["guidelines_markdown"] = c.guidelines_md
        data["charter_markdown"] = c.charter_md if readable else None
    return data


def member(m: Membership) -> Data:
    return {"handle": m.user.handle, "name": m.user.display_name, "role": m.role, "joined_at": m.joined_at}


def thread(t: Thread) -> Data:
    return {
        "id": t.id,
        "community": t.community.slug,
        "title": t.title,
        "kind": t.kind,
        "priority": t.priority,
        "status": t.status,
        "is_pinned": t.is_pinned,
        "is_locked": t.is_locked,
        "author": person(t.author),
        "created_at": t.created_at,
        "last_activity_at": t.last_activity_at,
        "reply_count": t.reply_count,
        "tags": [tag.name for tag in t.tags],
        "accepted_post_id": t.accepted_post_id,
        "url": url_for("discussions.thread", thread_id=t.id, _external=True),
    }


def post(p: Post) -> Data:
    removed = not p.is_visible
    return {
        "id": p.id,
        "thread_id": p.thread_id,
        "parent_id": p.parent_id,
        "depth": p.depth,
        "author": person(p.author),
        "created_at": p.created_at,
        "edited_at": p.edited_at,
        "removed": removed,
        "body_markdown": None if removed else p.body_md,
        "body_html": None if removed else p.body_html,
        "url": url_for("discussions.post_link", post_id=p.id, _external=True),
    }


def thread_detail(t: Thread) -> Data:
    data = thread(t)
    data["opening_post"] = post(t.opening_post) if t.opening_post is not None else None
    return data


def resource(r: Resource) -> Data:
    return {
        "id": r.id,
        "community": r.community.slug,
        "kind": r.kind,
        "title": r.title,
        "description_markdown": r.description_md,
        "link": r.safe_url,
        "author": person(r.author),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "is_featured": r.is_featured,
        "use_count": r.use_count,
        "latest_version": r.latest_version,
        "tags": [t.name for t in r.tags],
        "url": url_for("library.resource", resource_id=r.id, _external=True),
        "download_url": None if r.kind == "link" else url_for("library.download", resource_id=r.id, _external=True),
    }


def version(resource: Resource, v: ResourceVersion) -> Data:
    return {
        "number": v.number,
        "author": person(v.author),
        "created_at": v.created_at,
        "change_note": v.change_note,
        "size": v.size,
        "filename": v.original_filename,
        "mime_type": v.mime_type,
        "body_markdown": v.body_md,
        "download_url": url_for("library.download_version", resource_id=resource.id, number=v.number, _external=True),
    }


def meeting(e: Event, *, my_response: str | None = None, counts: dict[str, int] | None = None) -> Data:
    return {
        "id": e.id,
        "community": e.community.slug,
        "title": e.title,
        "agenda_markdown": e.agenda_md,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "timezone": e.timezone,
        "location": e.location,
        "meeting_url": e.safe_meeting_url,
        "is_cancelled": e.is_cancelled,
        "organiser": person(e.organiser),
        "my_response": my_response,
        "counts": counts,
        "url": url_for("events.meeting", event_id=e.id, _external=True),
    }


def figure(f: Figure) -> Data:
    return {
        "key": f.key,
        "label": f.label,
        "unit": f.unit,
        "better": f.better,
        "value": f.value,
        "previous": f.previous,
        "change": f.change,
    }


def span(period: Period) -> Data:
    return {"start": period.start, "end": period.end}
