from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cop.extensions import Model, utcnow

PLACE_KINDS = ("thread", "reply", "edit")


class Draft(Model):
    """What one person was writing in one place: a new thread in a community (``thread:<community id>``),
    a reply in a thread (``reply:<thread id>``) or an edit of a post (``edit:<post id>``).

    ``community_id`` is denormalised from the place so listing someone's drafts can drop, in SQL, those of
    communities they may no longer read. Only the author ever reads a draft.
    """

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("user_id", "place"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    place: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The other fields of a new thread (kind, priority, tags, the 5 W's) or a reply (parent_id), as JSON;
    # each bounded by services.EXTRA_FIELDS.
    extra: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
