"""Server-side sessions: every sign-in is a row of ``user_sessions`` that sign-out deletes.

The signed session cookie (and the "Keep me signed in" cookie) carry Flask-Login's identity
``"<user id>:<secret>"``; the database keeps only a hash of the secret. A request is signed in only
while that row exists, so a cookie copied before sign-out dies with it, and *Sign out everywhere*,
a password change or reset, disabling an account and cop.identity's leavers end every session at once.

A session lasts at most ``SESSION_MAX_AGE`` seconds from sign-in; one without "Keep me signed in"
also ends after ``SESSION_IDLE`` seconds unused. ``last_seen_at`` is written at most every
``TOUCH_EVERY``, so an ordinary page costs no write.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from cop.accounts.models import User, UserSession
from cop.extensions import db, utcnow

TOUCH_EVERY = timedelta(minutes=5)
_MAX_SECRET = 100


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return timedelta(seconds=int(config["SESSION_MAX_AGE"])), timedelta(seconds=int(config["SESSION_IDLE"]))


def _expired_clause(now):
    max_age, idle = _limits()
    return or_(
        UserSession.created_at < now - max_age,
        and_(UserSession.remember.is_(False), UserSession.last_seen_at < now - idle),
    )


def _is_expired(row: UserSession, now) -> bool:
    max_age, idle = _limits()
    return row.created_at < now - max_age or (not row.remember and row.last_seen_at < now - idle)


def start_session(user: User, *, remember: bool = False, user_agent: str = "") -> str:
    """Record a new session of ``user`` and return its identity (also attached to ``user`` for login_user).

    Expired sessions (everyone's: sign-ins are rare next to page views) are deleted on the way, so
    the table holds little more than live sessions.
    """
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(delete(UserSession).where(_expired_clause(now)).execution_options(synchronize_session=False))
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(secret),
            created_at=now,
            last_seen_at=now,
            remember=bool(remember),
            user_agent=(user_agent or "")[:200],
        )
    )
    db.session.commit()
    identity = f"{user.id}:{secret}"
    user._session_identity = identity
    return identity


def user_for_identity(identity: str) -> User | None:
    """The enabled user whose live session ``identity`` names (Flask-Login's user loader), else None.

    One query; every ``TOUCH_EVERY`` also one UPDATE of ``last_seen_at`` (skipped, for the next
    request, if the request already has changes of its own pending).
    """
    user_id, _, secret = (identity or "").partition(":")
    if not user_id.isdigit() or not secret or len(secret) > _MAX_SECRET:
        return None
    row = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(secret), UserSession.user_id == int(user_id))
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    if user.is_disabled or _is_expired(user_session, now):
        return None
    if now - user_session.last_seen_at >= TOUCH_EVERY and not (
        db.session.new or db.session.dirty or db.session.deleted
    ):
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == user_session.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    user._session_identity = identity
    user._session_id = user_session.id
    return user


def end_session(identity: str | None) -> None:
    """Delete the session ``identity`` names (sign-out); nothing if there is none."""
    user_id, _, secret = (identity or "").partition(":")
    if not user_id.isdigit() or not secret or len(secret) > _MAX_SECRET:
        return
    db.session.execute(delete(UserSession).where(UserSession.token_hash == _hash(secret)))
    db.session.commit()


def end_all_sessions(user: User) -> None:
    """Delete every session of ``user``, on every device (the caller commits)."""
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id).execution_options(synchronize_session=False)
    )


def active_sessions(user: User) -> list[UserSession]:
    """``user``'s live sessions, the most recently used first."""
    now = utcnow()
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return [row for row in rows if not _is_expired(row, now)]
