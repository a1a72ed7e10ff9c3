from cop.extensions import db, utcnow

PLACE_KINDS = ("thread", "reply", "edit")


class Draft(db.Model):
    """What one person was writing in one place: a new thread in a community (``thread:<community id>``),
    a reply in a thread (``reply:<thread id>``) or an edit of a post (``edit:<post id>``).

    ``community_id`` is denormalised from the place so listing someone's drafts can drop, in SQL, those of
    communities they may no longer read. Only the author ever reads a draft.
    """

    __tablename__ = "drafts"
    __table_args__ = (db.UniqueConstraint("user_id", "place"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    place = db.Column(db.String(40), nullable=False)
    title = db.Column(db.String(200), nullable=False, default="")
    body = db.Column(db.Text, nullable=False, default="")
    # The other fields of a new thread (kind, priority, tags, the 5 W's) or a reply (parent_id), as JSON;
    # each bounded by services.EXTRA_FIELDS.
    extra = db.Column(db.Text, nullable=False, default="{}")
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
