import re
import unicodedata
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, db, utcnow

TAG_MAX_LENGTH = 40
_INVALID = re.compile(r"[^\w+#.-]+")
_DASHES = re.compile(r"-{2,}")


def normalize_tag(raw: str) -> str:
    """Return the canonical form of a tag, or "" if nothing usable is left.

    NFKC-normalised, lowercase, whitespace runs become one hyphen, characters
    other than letters, digits, ``+ # . _ -`` are dropped, and the result is
    capped at ``TAG_MAX_LENGTH`` characters.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip().lower()
    text = re.sub(r"\s+", "-", text)
    text = _INVALID.sub("", text)
    text = _DASHES.sub("-", text).strip("-.")
    return text[:TAG_MAX_LENGTH].strip("-")


def parse_tags(raw: str, limit: int = 10) -> list[str]:
    """Split a comma-separated tag field into unique normalised tags."""
    seen: list[str] = []
    for part in (raw or "").split(","):
        tag = normalize_tag(part)
        if tag and tag not in seen:
            seen.append(tag)
    return seen[:limit]


class Tag(Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX_LENGTH), unique=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


def get_or_create_tags(names: list[str]) -> list[Tag]:
    """Load the tags named (already normalised), creating missing ones.

    Adds new tags to the session without committing; the caller's service
    owns the transaction.
    """
    if not names:
        return []
    existing = {t.name: t for t in db.session.scalars(db.select(Tag).where(Tag.name.in_(names)))}
    result = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
            existing[name] = tag
        result.append(tag)
    return result


class TagWatch(Model):
    """A user follows a tag (notifications of new content with it come later)."""

    __tablename__ = "tag_watches"
    __table_args__ = (UniqueConstraint("user_id", "tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    tag: Mapped["Tag"] = relationship(lazy="joined")
