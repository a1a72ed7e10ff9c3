from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cop.extensions import Model, db, in_list, utcnow

if TYPE_CHECKING:
    from cop.accounts.models import User
    from cop.communities.models import Community
    from cop.tags.models import Tag

KINDS = ("question", "problem", "idea", "discussion", "announcement")
KIND_LABELS = {
    "question": "Question",
    "problem": "Problem",
    "idea": "Idea",
    "discussion": "Discussion",
    "announcement": "Announcement",
}
PRIORITIES = (1, 2, 3)
PRIORITY_LABELS = {1: "1 · Urgent", 2: "2 · Soon", 3: "3 · Whenever"}
STATUSES = ("open", "answered", "closed")
FLAG_STATUSES = ("open", "dismissed", "hidden")

# Replies nest visually up to this depth; deeper ones are shown flat at this
# depth with an "in reply to" link. Also bounds the stored tree path length.
MAX_DEPTH = 6
PATH_STEP = 10  # digits per level of the materialised path

thread_tags = db.Table(
    "thread_tags",
    Column("thread_id", ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # A tag's threads from the index alone (the share of voice finds those with several of a community's tags).
    Index("ix_thread_tags_tag_thread", "tag_id", "thread_id"),
)


class Thread(Model):
    __tablename__ = "threads"
    __table_args__ = (
        CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        CheckConstraint(f"priority IN {in_list(PRIORITIES)}", name="priority"),
        CheckConstraint(f"status IN {in_list(STATUSES)}", name="status"),
        Index("ix_threads_community_activity", "community_id", "last_activity_at"),
        Index("ix_threads_community_created", "community_id", "created_at"),
        Index("ix_threads_community_triage", "community_id", "status", "priority", "created_at"),
        # The thread list (pinned first, then latest activity) and its count, read from the index alone.
        Index("ix_threads_community_list", "community_id", "is_pinned", "last_activity_at", "is_deleted"),
        # Oversight: "is this post an accepted answer?" (members' answers accepted in other communities).
        Index("ix_threads_accepted_post", "accepted_post_id"),
        # Threads read by id for their community and activity (a tag's threads, the share of voice's
        # threads), from the index alone. PostgreSQL otherwise hashed all 100,000 threads for a tag of 800
        # (20 -> 2 ms); SQLite reads a busy tag's 7,500 threads in 12 ms instead of 16.
        Index("ix_threads_id_cover", "id", "is_deleted", "community_id", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12), default="discussion")
    priority: Mapped[int] = mapped_column(default=3)
    status: Mapped[str] = mapped_column(String(10), default="open")
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Denormalised by the services so lists and reports never count posts per row.
    reply_count: Mapped[int] = mapped_column(default=0)
    first_reply_at: Mapped[datetime | None]
    opening_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"))
    accepted_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"))

    community: Mapped["Community"] = relationship(lazy="joined")
    author: Mapped["User | None"] = relationship(lazy="joined")
    tags: Mapped[list["Tag"]] = relationship(secondary=thread_tags, lazy="selectin", order_by="Tag.name")
    opening_post: Mapped["Post | None"] = relationship(foreign_keys=[opening_post_id], post_update=True)
    accepted_post: Mapped["Post | None"] = relationship(foreign_keys=[accepted_post_id], post_update=True)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS[self.priority]


# The optional "5 W's" template of a new question or problem: (column, label) in the order asked.
FIVE_WS = (
    ("who", "Who is affected?"),
    ("what", "What happened / what do you need?"),
    ("happened_when", "When?"),
    ("happened_where", "Where? (system, site, process)"),
    ("why", "Why does it matter?"),
)
FIVE_WS_KINDS = ("question", "problem")
FIVE_WS_MAX = 300


class ThreadFiveWs(Model):
    """The 5 W's a question or problem was opened with (also written into its opening post, which is
    what readers and search see); kept apart so the report can count the threads that used them."""

    __tablename__ = "thread_five_ws"

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    who: Mapped[str] = mapped_column(String(FIVE_WS_MAX), default="")
    what: Mapped[str] = mapped_column(String(FIVE_WS_MAX), default="")
    happened_when: Mapped[str] = mapped_column(String(FIVE_WS_MAX), default="")
    happened_where: Mapped[str] = mapped_column(String(FIVE_WS_MAX), default="")
    why: Mapped[str] = mapped_column(String(FIVE_WS_MAX), default="")


class Post(Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_thread_path", "thread_id", "path"),
        # A person's posts by date, with their ids (SQLite's indexes carry the row id, PostgreSQL's do not):
        # "which of these members' posts were accepted elsewhere" reads no post rows (5.4 -> 2.0 ms).
        Index("ix_posts_author_created", "author_id", "created_at", "id"),
        # Posts by date. SQLite: covering what the share of voice reads of the posts in the hours of a period
        # that do not fill a day (``cop.oversight.voice``): the visibility and sentiment columns follow the body
        # in the row, so reading them walks its overflow pages (2,700 posts: 55 ms on the large set).
        # PostgreSQL keeps such columns apart from a long body (TOAST) and has the plain index: given the
        # covering one, its generic plans for a community's posts in a period (prepared statements, bounds
        # unknown) scanned every post of the period (sentiment mix 68 ms). Each index is empty on the other
        # database (a partial index on a false condition: nothing to maintain, never chosen).
        Index("ix_posts_created_at", "created_at", sqlite_where=false()),
        Index(
            "ix_posts_created_cover",
            "created_at",
            "thread_id",
            "is_deleted",
            "is_hidden",
            "sentiment_label",
            "sentiment",
            postgresql_where=false(),
        ),
        # Oversight reports: a community's posts in a period, found thread by thread. Covering (visibility,
        # author, reply or not, sentiment), so counting posts never reads their rows (replaces
        # ix_posts_thread_created, then ix_posts_thread_created_cover, which lacked the sentiment: the share of
        # voice / sentiment statements read ~10k-30k rows each on the large set).
        Index(
            "ix_posts_report_cover",
            "thread_id",
            "created_at",
            "is_deleted",
            "is_hidden",
            "author_id",
            "parent_id",
            "sentiment_label",
            "sentiment",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The post this one answers; NULL only for the thread's opening post.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    # Materialised path of zero-padded ids (capped at MAX_DEPTH levels): ordering
    # by it yields the reply tree, so a page of a long thread is one indexed query.
    path: Mapped[str] = mapped_column(String((PATH_STEP + 1) * (MAX_DEPTH + 1)), default="")
    depth: Mapped[int] = mapped_column(default=0)
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    is_deleted: Mapped[bool] = mapped_column(default=False)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    # VADER compound score in [-1, 1] and its label (cop/discussions/sentiment.py), set when the post is
    # written or edited; NULL until `flask cop sentiment backfill` scores a post written before.
    sentiment: Mapped[float | None]
    sentiment_label: Mapped[str | None] = mapped_column(String(8))

    thread: Mapped["Thread"] = relationship(foreign_keys=[thread_id])
    author: Mapped["User | None"] = relationship(lazy="joined")
    parent: Mapped["Post | None"] = relationship(remote_side=[id])

    @property
    def is_visible(self) -> bool:
        return not (self.is_deleted or self.is_hidden)


post_mentions = db.Table(
    "post_mentions",
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PostRevision(Model):
    """The body a post had before an edit (the newest text lives on the post)."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who wrote this version and when it was written (the edit that replaced it is the next one).
    body_md: Mapped[str] = mapped_column(Text)
    written_at: Mapped[datetime]
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    editor: Mapped["User | None"] = relationship(lazy="joined")


class Flag(Model):
    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(f"status IN {in_list(FLAG_STATUSES)}", name="status"),
        Index("ix_flags_community_status", "community_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    flagger_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    guideline: Mapped[str] = mapped_column(String(60))
    guideline_title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    post: Mapped["Post"] = relationship(lazy="joined")
    flagger: Mapped["User"] = relationship(foreign_keys=[flagger_id], lazy="joined")
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])
