from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community

MAX_OBJECTIVES = 5


class Objective(Model):
    """A business objective a community works toward, measured by one of the report's metrics.

    ``baseline`` and ``target`` are in the metric's display unit (a count, a
    percentage, hours...); ``metric`` is a key of ``cop.oversight.metrics.METRICS``.
    A target below the baseline means lower is better (e.g. time to first reply).
    """

    __tablename__ = "objectives"
    __table_args__ = (CheckConstraint("target <> baseline", name="target_differs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    business_goal: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(40))
    baseline: Mapped[float]
    target: Mapped[float]
    due_on: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    community: Mapped["Community"] = relationship()
    created_by: Mapped["User | None"] = relationship()
