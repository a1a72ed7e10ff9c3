from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, in_list, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community

MAPPED_ROLES = ("member", "coordinator", "sponsor")


class ExternalIdentity(Model):
    """A person as an identity provider or directory knows them, linked to one cop account.

    ``subject`` is what stays the same for that person there: the ``sub`` claim of OpenID Connect,
    the ``COP_LDAP_ID_ATTRIBUTE`` (``entryUUID``, ``objectGUID``) of a directory entry. An account has
    at most one identity per provider.
    """

    __tablename__ = "external_identities"
    __table_args__ = (
        UniqueConstraint("provider", "subject"),
        UniqueConstraint("user_id", "provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(255))
    # LDAP: the entry's DN when last seen (for `cop sync-directory` and the group search).
    directory_dn: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    user: Mapped["User"] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ExternalIdentity {self.provider}:{self.subject}>"


class GroupMapping(Model):
    """A directory group that grants a role in a community, made on the admin page.

    Mappings from ``COP_GROUP_MAP_FILE`` are read from the file instead (``cop.identity.groups``).
    """

    __tablename__ = "group_mappings"
    __table_args__ = (
        UniqueConstraint("group_name", "community_id", "role"),
        CheckConstraint(f"role IN {in_list(MAPPED_ROLES)}", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_name: Mapped[str] = mapped_column(String(255))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    community: Mapped["Community"] = relationship(lazy="joined")
