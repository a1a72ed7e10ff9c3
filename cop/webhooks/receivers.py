"""Turn domain signals into webhook deliveries, inside the sender's transaction; send them after the commit.

Each receiver adds one ``WebhookDelivery`` per active endpoint of the community that asked for the
event, to ``db.session``, and never commits: the change and its deliveries commit (or roll back)
together, so a delivery is never lost and never sent for a change that did not happen. After the
commit, the request sends what it queued once its response has gone out
(``response.call_on_close``: the person who acted never waits for a slow endpoint), unless
``WEBHOOKS_ON_COMMIT`` is off; ``flask cop webhooks run`` sends anything left (a crash, a
retry, another process's deliveries).
"""

import functools
import json
import uuid

from flask import Flask, Response, g, has_app_context, has_request_context
from sqlalchemy import select

from cop import signals
from cop.database import attach_session_hooks
from cop.extensions import db, utcnow
from cop.webhooks import payloads
from cop.webhooks.models import WebhookDelivery, WebhookEndpoint

_DUE = "cop_webhooks_due"  # session.info: ids of deliveries flushed in this transaction
_G_DUE = "_cop_webhooks_due"  # g: ids committed, for the end of the request


def enqueue(event: str, community, actor, **objects) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of ``community`` that asked for it (no commit)."""
    endpoints = [
        e
        for e in db.session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.community_id == community.id, WebhookEndpoint.is_active.is_(True)
            )
        )
        if event in e.event_set
    ]
    queued = []
    now = utcnow()
    for endpoint in endpoints:
        delivery_id = str(uuid.uuid4())
        include = community.visibility == "open" or endpoint.include_content
        body = payloads.build(event, delivery_id, community, actor, include_content=include, created_at=now, **objects)
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            delivery_id=delivery_id,
            event=event,
            payload=json.dumps(body, separators=(",", ":"), sort_keys=True),
            status="pending",
            created_at=now,
            next_attempt_at=now,
        )
        db.session.add(delivery)
        queued.append(delivery)
    return queued


def on_thread_created(actor, thread, post, **_):
    enqueue("thread.created", thread.community, actor, thread=thread, post=post)


def on_reply_created(actor, post, **_):
    enqueue("reply.created", post.thread.community, actor, thread=post.thread, post=post)


def on_answer_accepted(actor, thread, post, **_):
    enqueue("answer.accepted", thread.community, actor, thread=thread, post=post)


def on_resource_added(actor, resource, **_):
    enqueue("resource.created", resource.community, actor, resource=resource)


def on_resource_versioned(actor, resource, version, **_):
    enqueue("resource.versioned", resource.community, actor, resource=resource, version=version)


def on_meeting_saved(actor, event, change, **_):
    enqueue(
        "meeting.created" if change == "new" else "meeting.changed",
        event.community,
        actor,
        meeting=event,
        change=change,
    )


RECEIVERS = (
    (signals.thread_created, on_thread_created),
    (signals.reply_created, on_reply_created),
    (signals.answer_accepted, on_answer_accepted),
    (signals.resource_added, on_resource_added),
    (signals.resource_versioned, on_resource_versioned),
    (signals.meeting_saved, on_meeting_saved),
)


# --- after the commit ------------------------------------------------------------------------------------


def _after_flush(session, _flush_context) -> None:
    due = [obj.id for obj in session.new if isinstance(obj, WebhookDelivery)]
    if due:
        session.info.setdefault(_DUE, []).extend(due)


def _after_commit(session) -> None:
    due = session.info.pop(_DUE, None)
    if due and has_app_context() and has_request_context():
        g.setdefault(_G_DUE, []).extend(due)


def _after_soft_rollback(session, _previous_transaction) -> None:
    session.info.pop(_DUE, None)


_SESSION_LISTENERS = (
    ("after_flush", _after_flush),
    ("after_commit", _after_commit),
    ("after_soft_rollback", _after_soft_rollback),
)


def _send_after_response(app: Flask, response: Response) -> Response:
    """Send this request's committed deliveries once the response is out (the WSGI server closes it);
    ``app`` is the one whose request this is (``register`` binds it), for the app context of the send."""
    due = g.pop(_G_DUE, None)
    if due and app.config.get("WEBHOOKS_ON_COMMIT", True):

        def send():
            from cop.webhooks.sender import deliver_due

            with app.app_context():
                deliver_due(ids=due)  # never raises

        response.call_on_close(send)
    return response


def register(app: Flask) -> None:
    """Connect the receivers and session hooks (once per process) and the request hook."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver)
    attach_session_hooks(_SESSION_LISTENERS)
    app.after_request(functools.partial(_send_after_response, app))
