from cop.extensions import db, in_list, utcnow

DOC_TYPES = ("thread", "resource", "community", "person")
OUTBOX_ACTIONS = ("upsert", "delete")


class SearchOutbox(db.Model):
    """One pending change to the search index, written in the same transaction as the change itself.

    Rows are never edited: every index copy (one per host) tails them by id
    and remembers the last one it applied (``cop.search.index``). Applying a
    row re-reads the object from the database, so applying one twice, or
    out of order, converges on the same document.
    """

    __tablename__ = "search_outbox"
    __table_args__ = (
        db.CheckConstraint(f"doc_type IN {in_list(DOC_TYPES)}", name="doc_type"),
        db.CheckConstraint(f"action IN {in_list(OUTBOX_ACTIONS)}", name="action"),
    )

    id = db.Column(db.BigInteger().with_variant(db.Integer, "sqlite"), primary_key=True)
    doc_type = db.Column(db.String(10), nullable=False)
    doc_id = db.Column(db.Integer, nullable=False)
    action = db.Column(db.String(6), nullable=False, default="upsert")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class SearchLog(db.Model):
    """Every search run: what was asked, where, and how many results the asker got.

    A zero-result query scoped to a community is a knowledge gap of that
    community until someone answers it (``closed_at``).
    """

    __tablename__ = "search_logs"
    __table_args__ = (
        db.Index("ix_search_logs_gaps", "community_id", "result_count", "closed_at", "created_at"),
        db.Index("ix_search_logs_created", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    query = db.Column(db.String(200), nullable=False)
    # Lowercased, whitespace-collapsed: gaps group on it.
    normalized_query = db.Column(db.String(200), nullable=False)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"))
    result_count = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    closed_at = db.Column(db.DateTime)


class RelatedThread(db.Model):
    """The threads most like a thread, computed by the indexer when the thread changes.

    ``related_ids`` are the best candidates in order, from every community: the thread page
    keeps those the viewer may read (checked on every load) and shows the first few.
    ``signature`` is a digest of what they were computed from (title and tags), so a reply,
    which changes neither, does not recompute them.
    """

    __tablename__ = "related_threads"

    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    signature = db.Column(db.String(40), nullable=False)
    related_ids = db.Column(db.Text, nullable=False, default="")  # "12,7,31": best first
    computed_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def ids(self) -> list[int]:
        return [int(part) for part in self.related_ids.split(",") if part]
