from cop.extensions import db, in_list, utcnow

# Wenger-Trayner's value-creation cycles, in the order a story usually travels them.
CYCLES = ("immediate", "potential", "applied", "realized", "reframing")
CYCLE_LABELS = {
    "immediate": "Immediate value: an activity helped (a question answered, a good meeting)",
    "potential": "Potential value: knowledge or connections gained, not used yet",
    "applied": "Applied value: a practice changed because of it",
    "realized": "Realized value: a measurable result (hours saved, incidents avoided, revenue...)",
    "reframing": "Reframing value: a goal, strategy or way of measuring success changed",
}
CYCLE_TITLES = {"immediate": "Immediate", "potential": "Potential", "applied": "Applied", "realized": "Realized",
                "reframing": "Reframing"}
# The units a realized result may be measured in; "custom" names its own.
UNITS = ("hours_saved", "cost_avoided", "incidents_avoided", "revenue", "custom")
UNIT_LABELS = {"hours_saved": "hours saved", "cost_avoided": "cost avoided", "incidents_avoided": "incidents avoided",
               "revenue": "revenue", "custom": "another unit (name it)"}
SUBJECT_KINDS = ("community", "thread", "resource", "event")
TEXT_MAX = 2000
CUSTOM_UNIT_MAX = 40
AMOUNT_MAX = 1e12


class ValueStory(db.Model):
    """What a community's activity was worth, told by a member; counted in reports once a coordinator
    confirms it. ``amount``/``unit`` only for a realized story (both or neither)."""

    __tablename__ = "value_stories"
    __table_args__ = (
        db.CheckConstraint(f"cycle IN {in_list(CYCLES)}", name="cycle"),
        db.CheckConstraint(f"subject_kind IN {in_list(SUBJECT_KINDS)}", name="subject_kind"),
        db.CheckConstraint(f"unit IS NULL OR unit IN {in_list(UNITS)}", name="unit"),
        # Reports: a community's stories in a period; and the same for many communities (portfolio).
        db.Index("ix_value_stories_community_created", "community_id", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    author_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # What the story is about: the community itself, or one of its threads, resources or meetings.
    subject_kind = db.Column(db.String(10), nullable=False, default="community")
    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="SET NULL"), index=True)
    resource_id = db.Column(db.ForeignKey("resources.id", ondelete="SET NULL"), index=True)
    event_id = db.Column(db.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    cycle = db.Column(db.String(10), nullable=False)
    text = db.Column(db.Text, nullable=False)
    amount = db.Column(db.Float)
    unit = db.Column(db.String(20))
    custom_unit = db.Column(db.String(CUSTOM_UNIT_MAX), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    confirmed_at = db.Column(db.DateTime)
    confirmed_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))

    community = db.relationship("Community")
    author = db.relationship("User", foreign_keys=[author_id], lazy="joined")
    confirmed_by = db.relationship("User", foreign_keys=[confirmed_by_id])
    thread = db.relationship("Thread")
    resource = db.relationship("Resource")
    event = db.relationship("Event")

    @property
    def unit_label(self) -> str:
        if self.unit == "custom":
            return self.custom_unit
        return UNIT_LABELS.get(self.unit or "", "")

    @property
    def cycle_title(self) -> str:
        return CYCLE_TITLES[self.cycle]

    @property
    def subject(self):
        return {"thread": self.thread, "resource": self.resource, "event": self.event}.get(self.subject_kind)
