from cop.extensions import db, in_list, utcnow

KINDS = ("question", "problem", "idea", "discussion", "announcement")
KIND_LABELS = {"question": "Question", "problem": "Problem", "idea": "Idea", "discussion": "Discussion",
               "announcement": "Announcement"}
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
    db.Column("thread_id", db.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (
        db.CheckConstraint(f"kind IN {in_list(KINDS)}", name="kind"),
        db.CheckConstraint(f"priority IN {in_list(PRIORITIES)}", name="priority"),
        db.CheckConstraint(f"status IN {in_list(STATUSES)}", name="status"),
        db.Index("ix_threads_community_activity", "community_id", "last_activity_at"),
        db.Index("ix_threads_community_created", "community_id", "created_at"),
        db.Index("ix_threads_community_triage", "community_id", "status", "priority", "created_at"),
        # The thread list (pinned first, then latest activity) and its count, read from the index alone.
        db.Index("ix_threads_community_list", "community_id", "is_pinned", "last_activity_at", "is_deleted"),
        # Oversight: "is this post an accepted answer?" (members' answers accepted in other communities).
        db.Index("ix_threads_accepted_post", "accepted_post_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    author_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(12), nullable=False, default="discussion")
    priority = db.Column(db.Integer, nullable=False, default=3)
    status = db.Column(db.String(10), nullable=False, default="open")
    is_pinned = db.Column(db.Boolean, nullable=False, default=False)
    is_locked = db.Column(db.Boolean, nullable=False, default=False)
    is_deleted = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_activity_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Denormalised by the services so lists and reports never count posts per row.
    reply_count = db.Column(db.Integer, nullable=False, default=0)
    first_reply_at = db.Column(db.DateTime)
    opening_post_id = db.Column(db.ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"))
    accepted_post_id = db.Column(db.ForeignKey("posts.id", use_alter=True, ondelete="SET NULL"))

    community = db.relationship("Community", lazy="joined")
    author = db.relationship("User", lazy="joined")
    tags = db.relationship("Tag", secondary=thread_tags, lazy="selectin", order_by="Tag.name")
    opening_post = db.relationship("Post", foreign_keys=[opening_post_id], post_update=True)
    accepted_post = db.relationship("Post", foreign_keys=[accepted_post_id], post_update=True)

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


class ThreadFiveWs(db.Model):
    """The 5 W's a question or problem was opened with (also written into its opening post, which is
    what readers and search see); kept apart so the report can count the threads that used them."""

    __tablename__ = "thread_five_ws"

    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    who = db.Column(db.String(FIVE_WS_MAX), nullable=False, default="")
    what = db.Column(db.String(FIVE_WS_MAX), nullable=False, default="")
    happened_when = db.Column(db.String(FIVE_WS_MAX), nullable=False, default="")
    happened_where = db.Column(db.String(FIVE_WS_MAX), nullable=False, default="")
    why = db.Column(db.String(FIVE_WS_MAX), nullable=False, default="")


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        db.Index("ix_posts_thread_path", "thread_id", "path"),
        db.Index("ix_posts_author_created", "author_id", "created_at"),
        # Oversight reports: a community's posts in a period, found thread by thread. Covering (visibility,
        # author, reply or not, sentiment), so counting posts never reads their rows (replaces
        # ix_posts_thread_created, then ix_posts_thread_created_cover, which lacked the sentiment: the share of
        # voice / sentiment statements read ~10k-30k rows each on the large set).
        db.Index("ix_posts_report_cover", "thread_id", "created_at", "is_deleted", "is_hidden", "author_id",
                 "parent_id", "sentiment_label", "sentiment"),
    )

    id = db.Column(db.Integer, primary_key=True)
    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="CASCADE"), nullable=False)
    author_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    # The post this one answers; NULL only for the thread's opening post.
    parent_id = db.Column(db.ForeignKey("posts.id", ondelete="SET NULL"), index=True)
    # Materialised path of zero-padded ids (capped at MAX_DEPTH levels): ordering
    # by it yields the reply tree, so a page of a long thread is one indexed query.
    path = db.Column(db.String((PATH_STEP + 1) * (MAX_DEPTH + 1)), nullable=False, default="")
    depth = db.Column(db.Integer, nullable=False, default=0)
    body_md = db.Column(db.Text, nullable=False)
    body_html = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    edited_at = db.Column(db.DateTime)
    is_deleted = db.Column(db.Boolean, nullable=False, default=False)
    is_hidden = db.Column(db.Boolean, nullable=False, default=False)
    # VADER compound score in [-1, 1] and its label (cop/discussions/sentiment.py), set when the post is
    # written or edited; NULL until `flask cop sentiment backfill` scores a post written before.
    sentiment = db.Column(db.Float)
    sentiment_label = db.Column(db.String(8))

    thread = db.relationship("Thread", foreign_keys=[thread_id])
    author = db.relationship("User", lazy="joined")
    parent = db.relationship("Post", remote_side=[id])

    @property
    def is_visible(self) -> bool:
        return not (self.is_deleted or self.is_hidden)


post_mentions = db.Table(
    "post_mentions",
    db.Column("post_id", db.ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PostRevision(db.Model):
    """The body a post had before an edit (the newest text lives on the post)."""

    __tablename__ = "post_revisions"

    id = db.Column(db.Integer, primary_key=True)
    post_id = db.Column(db.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True)
    editor_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    # Who wrote this version and when it was written (the edit that replaced it is the next one).
    body_md = db.Column(db.Text, nullable=False)
    written_at = db.Column(db.DateTime, nullable=False)
    replaced_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    editor = db.relationship("User", lazy="joined")


class Flag(db.Model):
    __tablename__ = "flags"
    __table_args__ = (
        db.CheckConstraint(f"status IN {in_list(FLAG_STATUSES)}", name="status"),
        db.Index("ix_flags_community_status", "community_id", "status"),
    )

    id = db.Column(db.Integer, primary_key=True)
    post_id = db.Column(db.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False, index=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False)
    flagger_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    guideline = db.Column(db.String(60), nullable=False)
    guideline_title = db.Column(db.String(200), nullable=False)
    note = db.Column(db.String(1000), nullable=False, default="")
    status = db.Column(db.String(10), nullable=False, default="open")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    decided_at = db.Column(db.DateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))

    post = db.relationship("Post", lazy="joined")
    flagger = db.relationship("User", foreign_keys=[flagger_id], lazy="joined")
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
