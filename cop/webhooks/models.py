"""Webhook endpoints (per community) and their deliveries (the durable queue and the delivery log)."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, in_list, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(Model):
    """An address a community's coordinators registered for some of its events.

    ``secret`` signs every delivery (HMAC-SHA256); it must be kept to sign, so it is stored as is and
    shown to a coordinator only when created or replaced. ``failing_since`` is the first failure
    since the last success: an endpoint failing for a day is switched off (``is_active``).
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(80))
    events: Mapped[str] = mapped_column(String(300))  # comma-separated, from payloads.EVENTS
    include_content: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    failing_since: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str] = mapped_column(String(300), default="")

    community: Mapped["Community"] = relationship()
    created_by: Mapped["User | None"] = relationship()

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(e for e in self.events.split(",") if e)


class WebhookDelivery(Model):
    """One event for one endpoint: written in the transaction of the change, sent after its commit.

    ``delivery_id`` (a UUID) is sent with every attempt, so a receiver de-duplicates retries by it.
    ``claimed_at`` is set while a sender holds the row, so two senders never send it at once.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status IN {in_list(DELIVERY_STATUSES)}", name="status"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    response_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(300), default="")
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped["WebhookEndpoint"] = relationship()
