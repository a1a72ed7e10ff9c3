from cop.extensions import db, utcnow

# The fixed set, in the order the buttons show. ``helpful`` feeds the reports' influence section and the
# experts ranking; the others are social signals only.
KINDS = ("helpful", "thumbs_up", "celebrate", "insight")
EMOJI = {"helpful": "✔", "thumbs_up": "👍", "celebrate": "🎉", "insight": "💡"}
LABELS = {"helpful": "Helpful", "thumbs_up": "Thumbs up", "celebrate": "Celebrate", "insight": "Insightful"}


class Reaction(db.Model):
    """One person's reaction of one kind to one post (toggled on and off; no history kept)."""

    __tablename__ = "reactions"
    __table_args__ = (
        db.UniqueConstraint("post_id", "user_id", "kind", name="uq_reactions_post_user_kind"),
        db.CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in KINDS)), name="kind"),
        # Reports: helpful reactions received in a period.
        db.Index("ix_reactions_kind_created", "kind", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    post_id = db.Column(db.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(12), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
