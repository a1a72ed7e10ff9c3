"""Password reset by e-mail: a signed link, valid for an hour and for one reset.

The token carries the user's id and current ``session_token``; a reset (or
any password change) rotates that, so a used or superseded link stops
working, and every session of the account ends with it.
"""

import logging
import secrets

from flask import current_app, render_template
from itsdangerous import BadSignature, URLSafeTimedSerializer

from cop.accounts.models import User
from cop.accounts.services import check_password_strength, end_all_sessions, find_user_by_email
from cop.extensions import db
from cop.notifications.mail import Mailer, MailError, absolute_url, build_message

log = logging.getLogger(__name__)

RESET_MAX_AGE = 3600  # seconds
_SALT = "cop.accounts.password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def reset_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "s": user.session_token})


def user_for_reset_token(token: str) -> User | None:
    """The enabled account a valid, unexpired, unused token names; None otherwise."""
    if not token or len(token) > 300:
        return None
    try:
        data = _serializer().loads(token, max_age=RESET_MAX_AGE)
    except BadSignature:  # expiry included (SignatureExpired is a BadSignature)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("s"), str):
        return None
    user = db.session.get(User, data["u"])
    if (
        user is None
        or user.is_disabled
        or not user.uses_password
        or not secrets.compare_digest(user.session_token, data["s"])
    ):
        return None
    return user


def reset_mail(email: str):
    """What to send for a reset asked for ``email``: a function to call after the response (see
    ``cop.accounts.registration.after_response``), which mails a link to the enabled account with this
    address, if there is one, and does nothing otherwise.

    The page answers the same either way, the request does the same work (one lookup), and a
    mail-server failure is logged, not shown, for the same reason.
    """
    user = find_user_by_email(email)
    user_id = user.id if user is not None else None

    def send() -> None:
        if user_id is not None:
            send_reset_link(db.session.get(User, user_id))

    return send


def send_reset_link(user: User | None) -> None:
    """Mail a reset link to ``user`` if it is an enabled account with a cop password."""
    if user is None or user.is_disabled or not user.uses_password:  # directory accounts have no cop password
        return
    context = {
        "user": user,
        "link": absolute_url("accounts.reset_password", token=reset_token(user)),
        "minutes": RESET_MAX_AGE // 60,
    }
    message = build_message(
        user,
        subject="Reset your cop password",
        text=render_template("accounts/mail/reset_password.txt", **context),
        html=render_template("accounts/mail/reset_password.html", **context),
        message_key=f"password-reset-{user.id}-{secrets.token_hex(8)}",
    )
    try:
        with Mailer() as mailer:
            mailer.send(message)
    except MailError:
        log.exception("password reset e-mail not sent")


def reset_password(user: User, new_password: str) -> None:
    """Set a new password and end every session (the link cannot be used again).

    :raise DomainError: (field ``password``) a password too short or too long.
    """
    check_password_strength(new_password)
    user.set_password(new_password)
    end_all_sessions(user)
    db.session.commit()
