from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cop.extensions import Model, in_list, utcnow

DOC_TYPES = ("thread", "resource", "community", "person")
OUTBOX_ACTIONS = ("upsert", "delete")


class SearchOutbox(Model):
    """One pending change to the search index, written in the same transaction as the change itself.

    Rows are never edited: every index copy (one per host) tails them by id
    and remembers the last one it applied (``cop.search.index``). Applying a
    row re-reads the object from the database, so applying one twice, or
    out of order, converges on the same document.
    """

    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint(f"doc_type IN {in_list(DOC_TYPES)}", name="doc_type"),
        CheckConstraint(f"action IN {in_list(OUTBOX_ACTIONS)}", name="action"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(10))
    doc_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(6), default="upsert")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchLog(Model):
    """Every search run: what was asked, where, and how many results the asker got.

    A zero-result query scoped to a community is a knowledge gap of that
    community until someone answers it (``closed_at``).
    """

    __tablename__ = "search_logs"
    __table_args__ = (
        Index("ix_search_logs_gaps", "community_id", "result_count", "closed_at", "created_at"),
        Index("ix_search_logs_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    query: Mapped[str] = mapped_column(String(200))
    # Lowercased, whitespace-collapsed: gaps group on it.
    normalized_query: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    result_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class RelatedThread(Model):
    """The threads most like a thread, computed by the indexer when the thread changes.

    ``related_ids`` are the best candidates in order, from every community: the thread page
    keeps those the viewer may read (checked on every load) and shows the first few.
    ``signature`` is a digest of what they were computed from (title and tags), so a reply,
    which changes neither, does not recompute them.
    """

    __tablename__ = "related_threads"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    signature: Mapped[str] = mapped_column(String(40))
    related_ids: Mapped[str] = mapped_column(Text, default="")  # "12,7,31": best first
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def ids(self) -> list[int]:
        return [int(part) for part in self.related_ids.split(",") if part]
