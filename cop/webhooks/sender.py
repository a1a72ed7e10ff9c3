"""Sending deliveries: signed, to the checked address only, with short timeouts, retried for a day.

Exactly once per receiver, as far as HTTP allows: a delivery is *claimed* (``claimed_at``,
committed) before it is sent and marked delivered right after a 2xx; a failure releases it with
its next attempt after an exponential backoff (30 s, 1 min, 2 min, ... at most 2 h) until a day
has passed since the change, when it is given up (``failed``). Every attempt carries the same
delivery id, so a receiver that answered 2xx but whose answer was lost de-duplicates the retry.
An endpoint that has failed for a day without a success in between is switched off and its
coordinators are told by e-mail (and the audit log).

The request goes out with ``http.client`` to the address ``ssrf.resolve`` checked (the socket
connects to that IP; TLS still verifies the host name), never follows a redirect (a 3xx is a
failure), and reads at most ``MAX_RESPONSE_BYTES`` of the answer.
"""

import hashlib
import hmac
import http.client
import logging
import socket
import ssl
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from cop.database import rowcount
from cop.extensions import db, utcnow
from cop.webhooks import payloads, ssrf
from cop.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds, for connecting and for each read
MAX_RESPONSE_BYTES = 4096
RETRY_FOR = timedelta(days=1)
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=2)
CLAIM_TIMEOUT = timedelta(minutes=5)
KEEP_LOG = timedelta(days=30)  # delivered and given-up deliveries are kept this long for the log
USER_AGENT = "cop-webhooks/1"


class DeliveryError(Exception):
    """The endpoint could not be reached or did not answer 2xx."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` keyed with the endpoint's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s doubling, at most 2 h."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_WAIT)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, context: ssl.SSLContext, **kwargs):
        super().__init__(host, port, context=context, **kwargs)
        self._address = address
        self._ssl_context = context  # kept here: the base class's own copy is private (not in its typing)

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST ``body`` to ``url`` at an address checked now; returns the status.

    :raise ssrf.UnsafeAddress: the host resolves to an internal address (unless allowed) or not at all.
    :raise DeliveryError: it could not be reached in time, or answered something other than 2xx.
    """
    config = current_app.config
    parts = urlsplit(url)
    https = parts.scheme.lower() == "https"
    if not https and not config.get("WEBHOOK_ALLOW_HTTP"):
        raise ssrf.UnsafeAddress("Plain http endpoints are not allowed on this site.", field="url")
    port = parts.port or (443 if https else 80)
    address = ssrf.resolve(parts.hostname or "", port, allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE")))[0]
    connection: http.client.HTTPConnection
    if https:
        connection = _PinnedHTTPSConnection(
            parts.hostname, port, address=address, timeout=TIMEOUT, context=ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTPConnection(parts.hostname, port, address=address, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"could not deliver: {exc or type(exc).__name__}") from None
    finally:
        connection.close()
    if not 200 <= status < 300:
        raise DeliveryError(
            f"the endpoint answered HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
        )
    return status


def prune(now=None) -> int:
    """Delete delivered and given-up deliveries older than ``KEEP_LOG``; returns how many (one statement)."""
    from sqlalchemy import delete

    now = now or utcnow()
    result = db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(("delivered", "failed")), WebhookDelivery.created_at < now - KEEP_LOG
        )
    )
    db.session.commit()
    return rowcount(result)


def _claim(delivery_id: int, now) -> bool:
    result = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            or_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(claimed_at=now)
    )
    db.session.commit()
    return rowcount(result) == 1


def due_ids(now=None, ids=None, limit: int = 200) -> list[int]:
    """Pending deliveries of active endpoints whose time has come, oldest first."""
    now = now or utcnow()
    stmt = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.is_active.is_(True),
            or_(WebhookDelivery.claimed_at.is_(None), WebhookDelivery.claimed_at < now - CLAIM_TIMEOUT),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    if ids is not None:
        stmt = stmt.where(WebhookDelivery.id.in_(list(ids)))
    return list(db.session.scalars(stmt))


def deliver_due(ids=None, now=None) -> dict:
    """Send every due delivery (or only those of ``ids``); never raises. Returns counts by outcome."""
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    try:
        for delivery_id in due_ids(now, ids):
            outcome = deliver(delivery_id, now=now)
            if outcome:
                counts[outcome] += 1
    except Exception:  # a broken database or a bug must never break the request that queued them
        log.exception("webhook deliveries stopped")
        db.session.rollback()
    return counts


def deliver(delivery_id: int, now=None) -> str | None:
    """One attempt at one delivery: "delivered", "retry", "failed" (given up), or None (not ours to send)."""
    now = now or utcnow()
    if not _claim(delivery_id, now):
        return None
    delivery = db.session.get_one(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    body = delivery.payload.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        payloads.ID_HEADER: delivery.delivery_id,
        payloads.EVENT_HEADER: delivery.event,
        payloads.TIMESTAMP_HEADER: timestamp,
        payloads.SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
    }
    try:
        status = post(endpoint.url, body, headers)
    except (DeliveryError, ssrf.UnsafeAddress) as exc:
        return _failed(delivery, endpoint, str(exc), now)
    delivery.status, delivery.delivered_at, delivery.response_status = "delivered", utcnow(), status
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.claimed_at, delivery.last_error = now, None, ""
    endpoint.failing_since = None
    db.session.commit()
    return "delivered"


def _failed(delivery, endpoint, error: str, now) -> str:
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.claimed_at, delivery.last_error = now, None, error[:300]
    outcome = "retry"
    if now - delivery.created_at >= RETRY_FOR:
        delivery.status, outcome = "failed", "failed"
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    endpoint.failing_since = endpoint.failing_since or now
    disabled = endpoint.is_active and now - endpoint.failing_since >= RETRY_FOR
    if disabled:
        _disable(endpoint, now, f"Failed for a day; last error: {error}"[:300])
    db.session.commit()
    if disabled:
        _tell_coordinators(endpoint)
    return outcome


def _disable(endpoint, now, reason: str) -> None:
    from cop.admin import audit

    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    audit.record(None, "webhook.disable", endpoint, endpoint.community, detail=f"{endpoint.url}: {reason}"[:1000])


def _tell_coordinators(endpoint) -> None:
    """E-mail the community's coordinators that the endpoint was switched off (a mail failure is only logged)."""
    from cop.communities.services import coordinators
    from cop.notifications.mail import Mailer, MailError, absolute_url, build_message

    link = absolute_url("webhooks.endpoint", slug=endpoint.community.slug, endpoint_id=endpoint.id)
    try:
        with Mailer() as mailer:
            for user in coordinators(endpoint.community):
                if user.is_disabled:
                    continue
                context = {"user": user, "endpoint": endpoint, "link": link}
                mailer.send(
                    build_message(
                        user,
                        subject=f"Webhook switched off in {endpoint.community.name}",
                        text=render_template("webhooks/mail/disabled.txt", **context),
                        html=render_template("webhooks/mail/disabled.html", **context),
                        message_key=f"webhook-{endpoint.id}-disabled-{int(endpoint.disabled_at.timestamp())}",
                    )
                )
    except MailError:
        log.warning("could not tell the coordinators that webhook %s was switched off", endpoint.id, exc_info=True)
