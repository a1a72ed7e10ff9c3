"""One-time keys that make a resubmitted form create nothing twice.

A form that creates something (``cop.forms.OnceForm``) carries a key made when it is rendered. The view
claims the key for the user before calling its service (``replay``), so the claim commits with what the
service creates, in the same transaction; then it records where the created thing lives (``created``).
The same form sent again (a retry after a dropped connection or a killed worker, a double click, the
back button) finds its key claimed and is sent to what the first submission created instead. Keys are
kept ``KEEP`` and purged as the same user claims new ones.
"""

import re
import secrets
from datetime import datetime, timedelta

from flask import flash, redirect
from flask_login import current_user
from sqlalchemy import ForeignKey, String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from cop.extensions import Model, db, utcnow

KEEP = timedelta(days=7)
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class FormSubmission(Model):
    """A form key a user has sent, and the address of what it created (NULL until that is committed)."""

    __tablename__ = "form_submissions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def new_key() -> str:
    return secrets.token_urlsafe(24)


def _key(form) -> str | None:
    field = getattr(form, "form_key", None)
    key = field.data if field is not None else None
    return key if isinstance(key, str) and _KEY.match(key) else None


def replay(form, fallback_url: str):
    """``None`` when the form's key is new (claimed now, in the session: the service's commit keeps it),
    else a redirect to what the first submission created (or to ``fallback_url`` while it is still being
    created). A form without a valid key (an old page) goes ahead as before."""
    key = _key(form)
    if key is None or not current_user.is_authenticated:
        return None
    user_id = current_user.id
    existing = db.session.get(FormSubmission, (user_id, key))
    if existing is None:
        db.session.execute(
            delete(FormSubmission).where(FormSubmission.user_id == user_id, FormSubmission.created_at < utcnow() - KEEP)
        )
        db.session.add(FormSubmission(user_id=user_id, key=key))
        try:
            db.session.flush()  # a concurrent twin's claim fails here (it waits for the first to commit)
        except IntegrityError:
            db.session.rollback()
            existing = db.session.get(FormSubmission, (user_id, key))
        else:
            return None
    if existing is not None and existing.url:
        flash("This form had already been sent: here is what it created.", "info")
        return redirect(existing.url)
    flash("This form has already been sent; what it creates will appear in a moment.", "info")
    return redirect(fallback_url)


def created(form, url: str, *, lasting_url: str | None = None):
    """Record where what the form's key created lives (its own small commit) and redirect to ``url``.

    ``lasting_url``: the address to record when ``url`` may not stay right (a reply's thread page
    changes as replies arrive; its permalink does not)."""
    key = _key(form)
    if key is not None and current_user.is_authenticated:
        db.session.execute(
            update(FormSubmission)
            .where(FormSubmission.user_id == current_user.id, FormSubmission.key == key)
            .values(url=(lasting_url or url)[:500])
        )
        db.session.commit()
    return redirect(url)
