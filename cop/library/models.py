from sqlalchemy.orm import deferred

from cop.extensions import db, in_list, utcnow
from cop.library.urls import is_safe_link

KINDS = ("file", "link", "document")
KIND_LABELS = {"file": "File", "link": "Link", "document": "Document"}

TEXT_MIME = "text/plain"

resource_tags = db.Table(
    "resource_tags",
    db.Column("resource_id", db.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# Which posts link to which resources (any ``/r/<id>`` URL in the post's text),
# rewritten whenever a post is written or edited.
post_resource_links = db.Table(
    "post_resource_links",
    db.Column("post_id", db.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    db.Column("resource_id", db.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Resource(db.Model):
    """One entry of a community's library: an uploaded file, a link or a written document.

    Files and documents keep their content in ``ResourceVersion`` rows;
    ``latest_version`` is the number of the newest one (0 for links, which
    have no versions).
    """

    __tablename__ = "resources"
    __table_args__ = (
        db.CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        db.Index("ix_resources_community_updated", "community_id", "is_deleted", "updated_at"),
        # The library page (featured first, then newest changes) read in index order, LIMIT 20.
        db.Index("ix_resources_community_list", "community_id", "is_featured", "updated_at", "id"),
        # The community page's newest resources (not featured: those have their own list).
        db.Index("ix_resources_community_new", "community_id", "is_deleted", "is_featured", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(10), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    description_md = db.Column(db.Text, nullable=False, default="")
    description_html = db.Column(db.Text, nullable=False, default="")
    url = db.Column(db.String(2000))
    author_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    is_featured = db.Column(db.Boolean, nullable=False, default=False)
    is_deleted = db.Column(db.Boolean, nullable=False, default=False)
    # Downloads and followed links; bumped by ``services.record_use``, never by a page view.
    use_count = db.Column(db.Integer, nullable=False, default=0)
    latest_version = db.Column(db.Integer, nullable=False, default=0)

    community = db.relationship("Community", lazy="joined")
    author = db.relationship("User", lazy="joined")
    tags = db.relationship("Tag", secondary=resource_tags, lazy="selectin", order_by="Tag.name")
    versions = db.relationship("ResourceVersion", back_populates="resource", order_by="ResourceVersion.number.desc()",
                               cascade="all, delete-orphan", passive_deletes=True)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def safe_url(self) -> str | None:
        """The link's URL if it is (still) an http or https address, else None: never shown otherwise."""
        return self.url if self.kind == "link" and is_safe_link(self.url) else None

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.kind}>"


class ResourceVersion(db.Model):
    """One version of a file (its stored blob) or of a document (its Markdown)."""

    __tablename__ = "resource_versions"
    __table_args__ = (db.UniqueConstraint("resource_id", "number"),)

    id = db.Column(db.Integer, primary_key=True)
    resource_id = db.Column(db.ForeignKey("resources.id", ondelete="CASCADE"), nullable=False)
    number = db.Column(db.Integer, nullable=False)
    author_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    change_note = db.Column(db.String(500), nullable=False, default="")
    # Files: the blob's content hash (its name on disk), its size and sniffed type.
    # The name the uploader's computer gave it is metadata only, never a path.
    sha256 = db.Column(db.String(64), index=True)
    size = db.Column(db.BigInteger)
    original_filename = db.Column(db.String(255))
    mime_type = db.Column(db.String(120))
    # Text extracted at upload for the search index; has_text is False when none could be read.
    has_text = db.Column(db.Boolean, nullable=False, default=False)
    text_content = deferred(db.Column(db.Text))  # up to 200,000 characters: loaded only when asked for
    # Documents: the Markdown and its sanitized rendering.
    body_md = db.Column(db.Text)
    body_html = db.Column(db.Text)

    resource = db.relationship("Resource", back_populates="versions")
    author = db.relationship("User", lazy="joined")

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
