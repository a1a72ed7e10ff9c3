from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community


class AuditEntry(Model):
    """One administrative or membership decision: who did what to what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int | None]
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"), index=True)
    detail: Mapped[str] = mapped_column(String(1000), default="")

    actor: Mapped["User | None"] = relationship(lazy="joined")
    community: Mapped["Community | None"] = relationship(lazy="joined")
