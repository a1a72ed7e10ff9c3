from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cop.extensions import Model, in_list, utcnow

# The fixed set, in the order the buttons show. ``helpful`` feeds the reports' influence section and the
# experts ranking; the others are social signals only.
KINDS = ("helpful", "thumbs_up", "celebrate", "insight")
EMOJI = {"helpful": "✔", "thumbs_up": "👍", "celebrate": "🎉", "insight": "💡"}
LABELS = {"helpful": "Helpful", "thumbs_up": "Thumbs up", "celebrate": "Celebrate", "insight": "Insightful"}


class Reaction(Model):
    """One person's reaction of one kind to one post (toggled on and off; no history kept)."""

    __tablename__ = "reactions"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id", "kind", name="uq_reactions_post_user_kind"),
        CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        # Reports: helpful reactions received in a period.
        Index("ix_reactions_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
