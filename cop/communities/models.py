from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, db, in_list, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.tags.models import Tag

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
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    # Indexed for "which communities does this person sponsor" (the portfolio, the nav link).
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    # Set when a directory group grants this sponsorship (cop.identity.groups): the group's name.
    Column("directory_group", String(255)),
)

community_domain_tags = db.Table(
    "community_domain_tags",
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class VisibilityVersion(Model):
    """One row counting the changes to which communities exist and how visible each is.

    Bumped in the transaction that makes such a change (``bump_visibility_version``, called for every
    ORM flush that adds, deletes or re-scopes a community, and by the seed), so a worker may keep the
    map of visibilities it read at a version for as long as the row still holds that version
    (``cop.permissions``). A missing row (a schema made without migrations) means "do not keep it".
    """

    __tablename__ = "visibility_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def bump_visibility_version(connection) -> None:
    """Count one change on ``connection`` (in its transaction); creates the row when it is missing."""
    table = VisibilityVersion.__table__
    if connection.execute(table.update().where(table.c.id == 1).values(value=table.c.value + 1)).rowcount == 0:
        connection.execute(table.insert().values(id=1, value=1))


class Community(Model):
    __tablename__ = "communities"
    __table_args__ = (
        CheckConstraint(f"visibility IN {in_list(VISIBILITIES)}", name="visibility"),
        CheckConstraint(f"stage IN {in_list(STAGES)}", name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    domain: Mapped[str] = mapped_column(String(500), default="")
    charter_md: Mapped[str] = mapped_column(Text, default="")
    charter_html: Mapped[str] = mapped_column(Text, default="")
    guidelines_md: Mapped[str] = mapped_column(Text, default="")
    guidelines_html: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(12), default="open", index=True)
    stage: Mapped[str] = mapped_column(String(16), default="potential")
    # Denormalised count of active members, kept by the membership services.
    member_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Loaded on access; lists that show them ask for them with selectinload.
    sponsors: Mapped[list["User"]] = relationship(secondary=community_sponsors, order_by="User.display_name")
    domain_tags: Mapped[list["Tag"]] = relationship(secondary=community_domain_tags, order_by="Tag.name")

    def __repr__(self) -> str:
        return f"<Community {self.slug}>"


class Membership(Model):
    """One user's relation to one community, whatever its state.

    A row is kept through every transition (invited → active → left …) so
    the history of decisions stays visible; ``status`` says where it stands.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id"),
        CheckConstraint(f"status IN {in_list(MEMBER_STATUSES)}", name="status"),
        CheckConstraint(f"role IN {in_list(ROLES)}", name="role"),
        Index("ix_memberships_user_status", "user_id", "status"),
        Index("ix_memberships_community_status", "community_id", "status", "role"),
        Index("ix_memberships_community_joined", "community_id", "status", "joined_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(12), default="member")
    guidelines_accepted_at: Mapped[datetime | None]
    request_message: Mapped[str] = mapped_column(String(1000), default="")
    decision_message: Mapped[str] = mapped_column(String(1000), default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    joined_at: Mapped[datetime | None]
    # Set while a directory group grants this membership (cop.identity.groups): the group's name. Such a
    # membership follows the directory at every sign-in; nobody removes or changes it by hand.
    directory_group: Mapped[str | None] = mapped_column(String(255))

    community: Mapped["Community"] = relationship(lazy="joined")
    user: Mapped["User"] = relationship(foreign_keys=[user_id], lazy="joined")
    invited_by: Mapped["User | None"] = relationship(foreign_keys=[invited_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_coordinator(self) -> bool:
        return self.status == "active" and self.role == "coordinator"

    @property
    def is_directory_managed(self) -> bool:
        return self.status == "active" and self.directory_group is not None
