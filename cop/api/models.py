"""Personal access tokens: how a script, dashboard or bot uses the API as one person."""

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User

SCOPES = ("read", "write", "report")
SCOPE_LABELS = {
    "read": "read: everything you can read (threads, library, meetings, tags, search, notifications)",
    "write": "write: post, reply, edit, join, RSVP and add to libraries as you",
    "report": "report: community reports and your sponsor portfolio (if you oversee communities)",
}


class ApiToken(Model):
    """A token a person created on *Edit profile*. Only the SHA-256 of the secret is stored.

    The secret has 256 bits of entropy, so a plain (unsalted, fast) hash is safe to store and
    lets a request find its token with one indexed lookup; a password hash would cost every
    API request tens of milliseconds for nothing.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the secret (``cop_AbCd``), shown in the list so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[str] = mapped_column(String(40))  # comma-separated, from SCOPES
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped["User"] = relationship()

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired
