"""Small builders for test data. Each commits, so views see the rows."""

import itertools

from werkzeug.security import generate_password_hash

from cop.accounts.models import User
from cop.communities.models import Community, Membership
from cop.extensions import db, utcnow

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)
_hash_cache: dict[str, str] = {}


def _password_hash(password: str) -> str:
    # Real hashing is deliberately slow (scrypt); test accounts use a cheap
    # PBKDF2 hash instead (the method is stored in the hash, so login checks
    # it the same way), which keeps the many logins in the suite fast.
    if password not in _hash_cache:
        _hash_cache[password] = generate_password_hash(password, method="pbkdf2:sha256:1000")
    return _hash_cache[password]


def make_user(email=None, name=None, *, admin=False, disabled=False, password=PASSWORD, **profile) -> User:
    n = next(_counter)
    email = email or f"user{n}@example.com"
    user = User(
        email=email,
        handle=email.split("@")[0].replace(".", "_").replace("-", "_"),
        display_name=name or f"User {n}",
        password_hash=_password_hash(password),
        is_admin=admin,
        is_disabled=disabled,
        **profile,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_community(
    slug=None,
    *,
    visibility="open",
    stage="coalescing",
    name=None,
    coordinators=(),
    members=(),
    sponsors=(),
    domain="A shared concern.",
    guidelines_md="",
    guidelines_html="",
) -> Community:
    n = next(_counter)
    slug = slug or f"community-{n}"
    community = Community(
        slug=slug,
        name=name or slug.replace("-", " ").title(),
        visibility=visibility,
        stage=stage,
        domain=domain,
        guidelines_md=guidelines_md,
        guidelines_html=guidelines_html,
    )
    community.sponsors = list(sponsors)
    db.session.add(community)
    db.session.flush()
    for user in coordinators:
        add_membership(community, user, "active", "coordinator", commit=False)
    for user in members:
        add_membership(community, user, "active", commit=False)
    db.session.commit()
    return community


def add_membership(community, user, status="active", role="member", *, commit=True) -> Membership:
    membership = Membership(
        community_id=community.id,
        user_id=user.id,
        status=status,
        role=role,
        guidelines_accepted_at=utcnow() if status in ("active", "pending") else None,
        joined_at=utcnow() if status == "active" else None,
    )
    db.session.add(membership)
    db.session.flush()
    if status == "active":
        community.member_count = (community.member_count or 0) + 1
    if commit:
        db.session.commit()
    return membership


def make_token(user, scopes=("read",), days=30) -> str:
    """A personal access token of ``user`` (through the service); returns its secret."""
    from cop.api import tokens

    _token, secret = tokens.create_token(user, name=f"test {next(_counter)}", scopes=scopes, expires_in_days=days)
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
