"""Personal access tokens: creating, listing, revoking, and finding the one a request presents.

A token is ``cop_`` followed by 43 URL-safe characters (32 random bytes); only its SHA-256 is
stored. It authenticates as its owner with the owner's rights, narrowed by its scopes, until it
expires or is revoked; a disabled account's tokens stop at once (checked on every request).
"""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from cop.accounts.models import User
from cop.api.models import SCOPES, ApiToken
from cop.errors import DomainError, NotAllowed
from cop.extensions import db, utcnow

PREFIX = "cop_"
NAME_MAX = 80
EXPIRY_CHOICES = (7, 30, 90, 365)  # days
MAX_TOKENS = 20  # live tokens per person
# ``last_used_at`` is written at most this often per token: a busy script must not turn every read into a write.
LAST_USED_EVERY = timedelta(minutes=5)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def tokens_of(user: User) -> list[ApiToken]:
    """``user``'s tokens, newest first (revoked and expired ones included, marked by the template)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(user: User, *, name: str, scopes: Iterable[str] | None, expires_in_days: Any) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret (shown once, never stored).

    :raise DomainError: no name or a long one, no scope or an unknown one, an expiry not offered,
        or already ``MAX_TOKENS`` live tokens.
    """
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Name the token after what will use it, for example “Team dashboard”.", field="name")
    if len(name) > NAME_MAX:
        raise DomainError(f"Keep the name under {NAME_MAX} characters.", field="name")
    chosen = [s for s in SCOPES if s in set(scopes or ())]
    if not chosen or set(scopes or ()) - set(SCOPES):
        raise DomainError("Choose what the token may do: read, write, report.", field="scopes")
    try:
        days = int(expires_in_days)
    except (TypeError, ValueError):
        days = 0
    if days not in EXPIRY_CHOICES:
        raise DomainError("Choose when the token expires.", field="expires_in_days")
    now = utcnow()
    live = db.session.execute(
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    ).scalar_one()
    if live >= MAX_TOKENS:
        raise DomainError(f"You have {MAX_TOKENS} live tokens: revoke one you no longer use first.", field="name")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[:8],
        scopes=",".join(chosen),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


def revoke_token(user: User, token_id: str | int) -> ApiToken:
    """Revoke one of ``user``'s tokens (revoking it again is fine).

    :raise NotAllowed: no such token of this user (``hidden``: another person's token is a 404 too).
    """
    token = db.session.get(ApiToken, token_id) if str(token_id).isdigit() else None
    if token is None or token.user_id != user.id:
        raise NotAllowed("There is no such token.", hidden=True)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def authenticate(raw: str | None) -> ApiToken | None:
    """The live token whose secret is ``raw`` with its enabled owner loaded, or None.

    None for anything else: a malformed value, an unknown, revoked or expired token, or a disabled owner.
    """
    if not raw or not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    row = db.session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == hash_token(raw))
    ).first()
    if row is None:
        return None
    token, user = row._tuple()
    if not token.is_usable or user.is_disabled:
        return None
    return token


def record_use(token: ApiToken) -> None:
    """Note that ``token`` was used now, at most once per ``LAST_USED_EVERY`` (one conditional UPDATE)."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
