"""Webhook endpoints (per community) and their deliveries (the durable queue and the delivery log)."""
from cop.extensions import db, in_list, utcnow

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(db.Model):
    """An address a community's coordinators registered for some of its events.

    ``secret`` signs every delivery (HMAC-SHA256); it must be kept to sign, so it is stored as is and
    shown to a coordinator only when created or replaced. ``failing_since`` is the first failure
    since the last success: an endpoint failing for a day is switched off (``is_active``).
    """

    __tablename__ = "webhook_endpoints"

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    url = db.Column(db.String(2000), nullable=False)
    secret = db.Column(db.String(80), nullable=False)
    events = db.Column(db.String(300), nullable=False)  # comma-separated, from payloads.EVENTS
    include_content = db.Column(db.Boolean, nullable=False, default=False)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    created_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    failing_since = db.Column(db.DateTime)
    disabled_at = db.Column(db.DateTime)
    disabled_reason = db.Column(db.String(300), nullable=False, default="")

    community = db.relationship("Community")
    created_by = db.relationship("User")

    @property
    def event_set(self) -> frozenset[str]:
        return frozenset(e for e in self.events.split(",") if e)


class WebhookDelivery(db.Model):
    """One event for one endpoint: written in the transaction of the change, sent after its commit.

    ``delivery_id`` (a UUID) is sent with every attempt, so a receiver de-duplicates retries by it.
    ``claimed_at`` is set while a sender holds the row, so two senders never send it at once.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        db.CheckConstraint(f"status IN {in_list(DELIVERY_STATUSES)}", name="status"),
        db.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        db.Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    endpoint_id = db.Column(db.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    delivery_id = db.Column(db.String(36), nullable=False, unique=True)
    event = db.Column(db.String(40), nullable=False)
    payload = db.Column(db.Text, nullable=False)
    status = db.Column(db.String(10), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    claimed_at = db.Column(db.DateTime)
    last_attempt_at = db.Column(db.DateTime)
    response_status = db.Column(db.Integer)
    last_error = db.Column(db.String(300), nullable=False, default="")
    delivered_at = db.Column(db.DateTime)

    endpoint = db.relationship("WebhookEndpoint")
