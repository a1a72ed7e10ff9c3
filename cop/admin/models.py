from cop.extensions import db, utcnow


class AuditEntry(db.Model):
    """One administrative or membership decision: who did what to what, when."""

    __tablename__ = "audit_log"

    id = db.Column(db.Integer, primary_key=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action = db.Column(db.String(60), nullable=False, index=True)
    target_type = db.Column(db.String(30), nullable=False)
    target_id = db.Column(db.Integer)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="SET NULL"), index=True)
    detail = db.Column(db.String(1000), nullable=False, default="")

    actor = db.relationship("User", lazy="joined")
    community = db.relationship("Community", lazy="joined")
