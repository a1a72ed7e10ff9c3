from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, in_list, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community
    from cop.discussions.models import Thread
    from cop.events.models import Event
    from cop.library.models import Resource

# Wenger-Trayner's value-creation cycles, in the order a story usually travels them.
CYCLES = ("immediate", "potential", "applied", "realized", "reframing")
CYCLE_LABELS = {
    "immediate": "Immediate value: an activity helped (a question answered, a good meeting)",
    "potential": "Potential value: knowledge or connections gained, not used yet",
    "applied": "Applied value: a practice changed because of it",
    "realized": "Realized value: a measurable result (hours saved, incidents avoided, revenue...)",
    "reframing": "Reframing value: a goal, strategy or way of measuring success changed",
}
CYCLE_TITLES = {
    "immediate": "Immediate",
    "potential": "Potential",
    "applied": "Applied",
    "realized": "Realized",
    "reframing": "Reframing",
}
# The units a realized result may be measured in; "custom" names its own.
UNITS = ("hours_saved", "cost_avoided", "incidents_avoided", "revenue", "custom")
UNIT_LABELS = {
    "hours_saved": "hours saved",
    "cost_avoided": "cost avoided",
    "incidents_avoided": "incidents avoided",
    "revenue": "revenue",
    "custom": "another unit (name it)",
}
SUBJECT_KINDS = ("community", "thread", "resource", "event")
TEXT_MAX = 2000
CUSTOM_UNIT_MAX = 40
AMOUNT_MAX = 1e12


class ValueStory(Model):
    """What a community's activity was worth, told by a member; counted in reports once a coordinator
    confirms it. ``amount``/``unit`` only for a realized story (both or neither)."""

    __tablename__ = "value_stories"
    __table_args__ = (
        CheckConstraint(f"cycle IN {in_list(CYCLES)}", name="cycle"),
        CheckConstraint(f"subject_kind IN {in_list(SUBJECT_KINDS)}", name="subject_kind"),
        CheckConstraint(f"unit IS NULL OR unit IN {in_list(UNITS)}", name="unit"),
        # Reports: a community's stories in a period; and the same for many communities (portfolio).
        Index("ix_value_stories_community_created", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # What the story is about: the community itself, or one of its threads, resources or meetings.
    subject_kind: Mapped[str] = mapped_column(String(10), default="community")
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    cycle: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    amount: Mapped[float | None]
    unit: Mapped[str | None] = mapped_column(String(20))
    custom_unit: Mapped[str] = mapped_column(String(CUSTOM_UNIT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    community: Mapped["Community"] = relationship()
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id], lazy="joined")
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])
    thread: Mapped["Thread | None"] = relationship()
    resource: Mapped["Resource | None"] = relationship()
    event: Mapped["Event | None"] = relationship()

    @property
    def unit_label(self) -> str:
        if self.unit == "custom":
            return self.custom_unit
        return UNIT_LABELS.get(self.unit or "", "")

    @property
    def subject(self):
        return {"thread": self.thread, "resource": self.resource, "event": self.event}.get(self.subject_kind)
