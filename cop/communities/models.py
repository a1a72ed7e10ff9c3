from cop.extensions import db, in_list, utcnow

VISIBILITIES = ("open", "restricted", "private")
STAGES = ("potential", "coalescing", "maturing", "stewardship", "transformation")
MEMBER_STATUSES = ("invited", "pending", "active", "declined", "left", "removed")
ROLES = ("member", "coordinator")

VISIBILITY_LABELS = {
    "open": "Open: anyone can read and join",
    "restricted": "Restricted: listed; members read; join by request",
    "private": "Private: unlisted; invitation only",
}

community_sponsors = db.Table(
    "community_sponsors",
    db.Column("community_id", db.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    # Indexed for "which communities does this person sponsor" (the portfolio, the nav link).
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    # Set when a directory group grants this sponsorship (cop.identity.groups): the group's name.
    db.Column("directory_group", db.String(255)),
)

community_domain_tags = db.Table(
    "community_domain_tags",
    db.Column("community_id", db.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class VisibilityVersion(db.Model):
    """One row counting the changes to which communities exist and how visible each is.

    Bumped in the transaction that makes such a change (``bump_visibility_version``, called for every
    ORM flush that adds, deletes or re-scopes a community, and by the seed), so a worker may keep the
    map of visibilities it read at a version for as long as the row still holds that version
    (``cop.permissions``). A missing row (a schema made without migrations) means "do not keep it".
    """
    __tablename__ = "visibility_version"
    id = db.Column(db.Integer, primary_key=True)
    value = db.Column(db.Integer, nullable=False, default=0)


def bump_visibility_version(connection) -> None:
    """Count one change on ``connection`` (in its transaction); creates the row when it is missing."""
    table = VisibilityVersion.__table__
    if connection.execute(table.update().where(table.c.id == 1).values(value=table.c.value + 1)).rowcount == 0:
        connection.execute(table.insert().values(id=1, value=1))


class Community(db.Model):
    __tablename__ = "communities"
    __table_args__ = (
        db.CheckConstraint(f"visibility IN {in_list(VISIBILITIES)}", name="visibility"),
        db.CheckConstraint(f"stage IN {in_list(STAGES)}", name="stage"),
    )

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(60), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False)
    domain = db.Column(db.String(500), nullable=False, default="")
    charter_md = db.Column(db.Text, nullable=False, default="")
    charter_html = db.Column(db.Text, nullable=False, default="")
    guidelines_md = db.Column(db.Text, nullable=False, default="")
    guidelines_html = db.Column(db.Text, nullable=False, default="")
    visibility = db.Column(db.String(12), nullable=False, default="open", index=True)
    stage = db.Column(db.String(16), nullable=False, default="potential")
    # Denormalised count of active members, kept by the membership services.
    member_count = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    # Loaded on access; lists that show them ask for them with selectinload.
    sponsors = db.relationship("User", secondary=community_sponsors, order_by="User.display_name")
    domain_tags = db.relationship("Tag", secondary=community_domain_tags, order_by="Tag.name")

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class Membership(db.Model):
    """One user's relation to one community, whatever its state.

    A row is kept through every transition (invited → active → left …) so
    the history of decisions stays visible; ``status`` says where it stands.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        db.UniqueConstraint("community_id", "user_id"),
        db.CheckConstraint(f"status IN {in_list(MEMBER_STATUSES)}", name="status"),
        db.CheckConstraint(f"role IN {in_list(ROLES)}", name="role"),
        db.Index("ix_memberships_user_status", "user_id", "status"),
        db.Index("ix_memberships_community_status", "community_id", "status", "role"),
        db.Index("ix_memberships_community_joined", "community_id", "status", "joined_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    status = db.Column(db.String(10), nullable=False)
    role = db.Column(db.String(12), nullable=False, default="member")
    guidelines_accepted_at = db.Column(db.DateTime)
    request_message = db.Column(db.String(1000), nullable=False, default="")
    decision_message = db.Column(db.String(1000), nullable=False, default="")
    invited_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    joined_at = db.Column(db.DateTime)
    # Set while a directory group grants this membership (cop.identity.groups): the group's name. Such a
    # membership follows the directory at every sign-in; nobody removes or changes it by hand.
    directory_group = db.Column(db.String(255))

    community = db.relationship("Community", lazy="joined")
    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")
    invited_by = db.relationship("User", foreign_keys=[invited_by_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_coordinator(self) -> bool:
        return self.status == "active" and self.role == "coordinator"

    @property
    def is_directory_managed(self) -> bool:
        return self.status == "active" and self.directory_group is not None
