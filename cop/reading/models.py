from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from cop.extensions import Model, utcnow


class ThreadRead(Model):
    """How far ``user`` has read ``thread``: every visible post with an id up to ``last_read_post_id``."""

    __tablename__ = "thread_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_post_id: Mapped[int]
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommunityRead(Model):
    """*Mark all read*: for ``user``, everything posted in ``community`` before ``read_before`` is read."""

    __tablename__ = "community_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_before: Mapped[datetime] = mapped_column(default=utcnow)
