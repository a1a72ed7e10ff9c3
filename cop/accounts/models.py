import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from cop.extensions import Model, db, utcnow

if TYPE_CHECKING:
    from cop.tags.models import Tag

user_expertise = db.Table(
    "user_expertise",
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # Who declared a tag: the experts ranking and the directory's tag filter start from the tag.
    Index("ix_user_expertise_tag_id", "tag_id"),
)


class User(UserMixin, Model):
    __tablename__ = "users"
    # People read by id for their department (a community's main department, contributors from outside
    # it), from the index alone: PostgreSQL otherwise hashed all 20,000 users for a few communities'
    # members (portfolio 6.9 -> 2.9 ms). SQLite's indexes carry the row id, PostgreSQL's do not.
    __table_args__ = (Index("ix_users_id_department", "id", "department"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The @handle used for mentions and profile URLs.
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    # Part of the session identity: bumping it ends every other session.
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16))
    title: Mapped[str] = mapped_column(String(120), default="")
    department: Mapped[str] = mapped_column(String(120), default="", index=True)
    location: Mapped[str] = mapped_column(String(120), default="")
    # IANA name; NULL until chosen (the browser's zone is offered on first visit: static/timezone.js).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    bio_md: Mapped[str] = mapped_column(Text, default="")
    bio_html: Mapped[str] = mapped_column(Text, default="")
    # The secret in this user's feed URLs (``?token=``): reading feeds as this user, nothing else.
    # Nullable: accounts made before tokens existed create one from their profile (``reset_feed_token``, a POST).
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(24))
    # How this person signs in: "local" (a cop password), "oidc" or "ldap" (cop.identity). Only local
    # accounts and the break-glass administrator (``flask cop create-admin``) may use a password.
    auth_source: Mapped[str] = mapped_column(String(10), default="local", server_default="local")
    is_break_glass: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    # Loaded on access; lists that show expertise ask for it with selectinload.
    expertise: Mapped[list["Tag"]] = relationship(secondary=user_expertise, order_by="Tag.name")

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        # Accounts made by a provider or directory have no password ("").
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def uses_password(self) -> bool:
        """A cop password is how this person signs in (a local account or the break-glass administrator)."""
        return self.auth_source == "local" or self.is_break_glass

    def rotate_session_token(self) -> None:
        """Invalidate the password-reset links sent so far (``cop.accounts.reset``).

        Sessions are ended by ``cop.accounts.sessions.end_all_sessions``.
        """
        self.session_token = secrets.token_hex(16)

    def get_id(self) -> str:
        """The identity Flask-Login keeps in the session and the remember cookie: ``"<id>:<session secret>"``.

        The secret names one row of ``user_sessions`` (``cop.accounts.sessions``), attached when the
        session starts or is loaded; without one the identity names no session and signs nobody in.
        """
        return getattr(self, "_session_identity", None) or f"{self.id}:"

    def __eq__(self, other):
        # One person is one person whichever session loaded them (UserMixin compares get_id()).
        if isinstance(other, User):
            return self.id is not None and self.id == other.id
        return NotImplemented

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    @property
    def initials(self) -> str:
        parts = [p for p in self.display_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserSession(Model):
    """One signed-in browser: sign-out deletes it, so a copied cookie dies with it (``cop.accounts.sessions``).

    Only a hash of the session's secret is stored; the secret itself lives in the signed session
    cookie (and the remember cookie, for "Keep me signed in").
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written at most every few minutes (``sessions.TOUCH_EVERY``), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped["User"] = relationship()
