from cop.extensions import db, utcnow


class ThreadRead(db.Model):
    """How far ``user`` has read ``thread``: every visible post with an id up to ``last_read_post_id``."""

    __tablename__ = "thread_reads"

    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id = db.Column(db.ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_post_id = db.Column(db.Integer, nullable=False)
    read_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class CommunityRead(db.Model):
    """*Mark all read*: for ``user``, everything posted in ``community`` before ``read_before`` is read."""

    __tablename__ = "community_reads"

    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True, index=True)
    read_before = db.Column(db.DateTime, nullable=False, default=utcnow)
