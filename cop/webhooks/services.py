"""Registering webhook endpoints: coordinators (and administrators) of a community, audited.

Each public function is one decision: it checks the actor's right through ``cop.permissions``,
validates (the address through ``ssrf.check_url``), writes the row and its audit entry, and
commits. Broken rules raise ``DomainError``; missing rights ``NotAllowed``.
"""

import secrets
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import func, select

from cop import permissions
from cop.accounts.models import User
from cop.admin import audit
from cop.communities.models import Community
from cop.errors import DomainError, NotAllowed
from cop.extensions import db
from cop.webhooks import ssrf
from cop.webhooks.models import WebhookDelivery, WebhookEndpoint
from cop.webhooks.payloads import EVENTS

MAX_ENDPOINTS = 10  # per community
LOG_LENGTH = 100  # deliveries shown on an endpoint's page


def _require(user: User, community: Community) -> None:
    if not permissions.can_manage_webhooks(user, community):
        raise NotAllowed("Only the community's coordinators can manage its webhooks.")


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def endpoints_of(community: Community) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.community_id == community.id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(community: Community, endpoint_id: int) -> WebhookEndpoint | None:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    return endpoint if endpoint is not None and endpoint.community_id == community.id else None


def delivery_log(endpoint: WebhookEndpoint, limit: int = LOG_LENGTH) -> list[WebhookDelivery]:
    """The endpoint's newest deliveries, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def create_endpoint(
    actor: User, community: Community, *, url: str, events: Iterable[str] | None, include_content: bool = False
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once).

    :raise NotAllowed: not a coordinator or administrator.
    :raise DomainError: an address refused by ``ssrf.check_url`` (field ``url``), no or unknown events,
        or ``MAX_ENDPOINTS`` already.
    """
    _require(actor, community)
    config = current_app.config
    url = ssrf.check_url(
        url, allow_http=bool(config.get("WEBHOOK_ALLOW_HTTP")), allow_private=bool(config.get("WEBHOOK_ALLOW_PRIVATE"))
    )
    chosen = [e for e in EVENTS if e in set(events or ())]
    if not chosen or set(events or ()) - set(EVENTS):
        raise DomainError("Choose the events to send.", field="events")
    count = db.session.execute(
        select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.community_id == community.id)
    ).scalar_one()
    if count >= MAX_ENDPOINTS:
        raise DomainError(f"A community has at most {MAX_ENDPOINTS} webhook endpoints.", field="url")
    secret = _new_secret()
    endpoint = WebhookEndpoint(
        community_id=community.id,
        url=url,
        secret=secret,
        events=",".join(chosen),
        include_content=bool(include_content),
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        actor,
        "webhook.create",
        endpoint,
        community,
        detail=f"{url} ({', '.join(chosen)}{'; with content' if include_content else ''})"[:1000],
    )
    db.session.commit()
    return endpoint, secret


def rotate_secret(actor: User, endpoint: WebhookEndpoint) -> str:
    """Replace the signing secret (deliveries are signed with the new one at once); returns it."""
    _require(actor, endpoint.community)
    endpoint.secret = _new_secret()
    audit.record(actor, "webhook.rotate_secret", endpoint, endpoint.community, detail=endpoint.url[:1000])
    db.session.commit()
    return endpoint.secret


def enable_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Switch a disabled endpoint on again (its failures are forgotten; queued deliveries resume)."""
    _require(actor, endpoint.community)
    endpoint.is_active, endpoint.failing_since, endpoint.disabled_at, endpoint.disabled_reason = True, None, None, ""
    audit.record(actor, "webhook.enable", endpoint, endpoint.community, detail=endpoint.url[:1000])
    db.session.commit()


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its delivery log."""
    community = endpoint.community
    _require(actor, community)
    audit.record(actor, "webhook.delete", endpoint, community, detail=endpoint.url[:1000])
    db.session.delete(endpoint)
    db.session.commit()
