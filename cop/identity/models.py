from cop.extensions import db, utcnow

PROVIDERS = ("oidc", "ldap")
MAPPED_ROLES = ("member", "coordinator", "sponsor")


class ExternalIdentity(db.Model):
    """A person as an identity provider or directory knows them, linked to one cop account.

    ``subject`` is what stays the same for that person there: the ``sub`` claim of OpenID Connect,
    the ``COP_LDAP_ID_ATTRIBUTE`` (``entryUUID``, ``objectGUID``) of a directory entry. An account has
    at most one identity per provider.
    """

    __tablename__ = "external_identities"
    __table_args__ = (
        db.UniqueConstraint("provider", "subject"),
        db.UniqueConstraint("user_id", "provider"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    provider = db.Column(db.String(10), nullable=False)
    subject = db.Column(db.String(255), nullable=False)
    # LDAP: the entry's DN when last seen (for `cop sync-directory` and the group search).
    directory_dn = db.Column(db.String(1000), nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)

    user = db.relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<ExternalIdentity {self.provider}:{self.subject}>"


class GroupMapping(db.Model):
    """A directory group that grants a role in a community, made on the admin page.

    Mappings from ``COP_GROUP_MAP_FILE`` are read from the file instead (``cop.identity.groups``).
    """

    __tablename__ = "group_mappings"
    __table_args__ = (
        db.UniqueConstraint("group_name", "community_id", "role"),
        db.CheckConstraint("role IN ('member', 'coordinator', 'sponsor')", name="role"),
    )

    id = db.Column(db.Integer, primary_key=True)
    group_name = db.Column(db.String(255), nullable=False)
    community_id = db.Column(db.ForeignKey("communities.id", ondelete="CASCADE"), nullable=False, index=True)
    role = db.Column(db.String(12), nullable=False)
    created_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    community = db.relationship("Community", lazy="joined")
