"""Personal access tokens: how a script, dashboard or bot uses the API as one person."""
from cop.extensions import db, utcnow

SCOPES = ("read", "write", "report")
SCOPE_LABELS = {
    "read": "read: everything you can read (threads, library, meetings, tags, search, notifications)",
    "write": "write: post, reply, edit, join, RSVP and add to libraries as you",
    "report": "report: community reports and your sponsor portfolio (if you oversee communities)",
}


class ApiToken(db.Model):
    """A token a person created on *Edit profile*. Only the SHA-256 of the secret is stored.

    The secret has 256 bits of entropy, so a plain (unsalted, fast) hash is safe to store and
    lets a request find its token with one indexed lookup; a password hash would cost every
    API request tens of milliseconds for nothing.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (db.Index("ix_api_tokens_user_created", "user_id", "created_at"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(80), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    # The first characters of the secret (``cop_AbCd``), shown in the list so people can tell tokens apart.
    prefix = db.Column(db.String(12), nullable=False)
    scopes = db.Column(db.String(40), nullable=False)  # comma-separated, from SCOPES
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)
    last_used_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)

    user = db.relationship("User")

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired
