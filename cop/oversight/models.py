from cop.extensions import db, utcnow

MAX_OBJECTIVES = 5


class Objective(db.Model):
    """A business objective a community works toward, measured by one of the report's metrics.

    ``baseline`` and ``target`` are in the metric's display unit (a count, a
    percentage, hours...); ``metric`` is a key of ``cop.oversight.metrics.METRICS``.
    A target below the baseline means lower is better (e.g. time to first reply).
    """

    __tablename__ = "objectives"
    __table_args__ = (db.CheckConstraint("target <> baseline", name="target_differs"),)

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    business_goal = db.Column(db.String(300), nullable=False)
    metric = db.Column(db.String(40), nullable=False)
    baseline = db.Column(db.Float, nullable=False)
    target = db.Column(db.Float, nullable=False)
    due_on = db.Column(db.Date, nullable=False)
    created_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    community = db.relationship("Community")
    created_by = db.relationship("User")
