from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, db, in_list, utcnow
from cop.library.urls import is_safe_link

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community
    from cop.tags.models import Tag

KINDS = ("file", "link", "document")
KIND_LABELS = {"file": "File", "link": "Link", "document": "Document"}

TEXT_MIME = "text/plain"

resource_tags = db.Table(
    "resource_tags",
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# Which posts link to which resources (any ``/r/<id>`` URL in the post's text),
# rewritten whenever a post is written or edited.
post_resource_links = db.Table(
    "post_resource_links",
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Resource(Model):
    """One entry of a community's library: an uploaded file, a link or a written document.

    Files and documents keep their content in ``ResourceVersion`` rows;
    ``latest_version`` is the number of the newest one (0 for links, which
    have no versions).
    """

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        Index("ix_resources_community_updated", "community_id", "is_deleted", "updated_at"),
        # The library page (featured first, then newest changes) read in index order, LIMIT 20.
        Index("ix_resources_community_list", "community_id", "is_featured", "updated_at", "id"),
        # The community page's newest resources (not featured: those have their own list).
        Index("ix_resources_community_new", "community_id", "is_deleted", "is_featured", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_featured: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    # Downloads and followed links; bumped by ``services.record_use``, never by a page view.
    use_count: Mapped[int] = mapped_column(default=0)
    latest_version: Mapped[int] = mapped_column(default=0)

    community: Mapped["Community"] = relationship(lazy="joined")
    author: Mapped["User | None"] = relationship(lazy="joined")
    tags: Mapped[list["Tag"]] = relationship(secondary=resource_tags, lazy="selectin", order_by="Tag.name")
    versions: Mapped[list["ResourceVersion"]] = relationship(
        back_populates="resource",
        order_by="ResourceVersion.number.desc()",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def safe_url(self) -> str | None:
        """The link's URL if it is (still) an http or https address, else None: never shown otherwise."""
        return self.url if self.kind == "link" and is_safe_link(self.url) else None

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.kind}>"


class ResourceVersion(Model):
    """One version of a file (its stored blob) or of a document (its Markdown)."""

    __tablename__ = "resource_versions"
    __table_args__ = (UniqueConstraint("resource_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    change_note: Mapped[str] = mapped_column(String(500), default="")
    # Files: the blob's content hash (its name on disk), its size and sniffed type.
    # The name the uploader's computer gave it is metadata only, never a path.
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(120))
    # Text extracted at upload for the search index; has_text is False when none could be read.
    has_text: Mapped[bool] = mapped_column(default=False)
    # Up to 200,000 characters: loaded only when asked for.
    text_content: Mapped[str | None] = mapped_column(Text, deferred=True)
    # Documents: the Markdown and its sanitized rendering.
    body_md: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)

    resource: Mapped["Resource"] = relationship(back_populates="versions")
    author: Mapped["User | None"] = relationship(lazy="joined")

    @property
    def served_mime(self) -> str:
        """The Content-Type a download is sent with: text is always plain UTF-8 text, never HTML or SVG."""
        if self.body_md is not None or self.mime_type == TEXT_MIME:
            return "text/plain; charset=utf-8"
        return self.mime_type or "application/octet-stream"

    @property
    def size_label(self) -> str:
        size = self.size or 0
        if size < 1024:
            return f"{size} bytes"
        if size < 1024 * 1024:
            return f"{size / 1024:.1f} KB"
        return f"{size / (1024 * 1024):.1f} MB"
