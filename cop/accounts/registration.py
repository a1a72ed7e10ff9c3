"""Registration confirmed by e-mail, and mail sent after the response: neither page reveals whether an
address has an account (issue 14, item 6).

Registering answers the same for every valid form: "we have sent you a link". A new address gets a
link that creates the account; the owner of an existing one gets a note instead ("you already have an
account: sign in, or reset your password"). The link carries the registration (address, name and the
password's hash), encrypted and authenticated with a key derived from ``SECRET_KEY`` (Fernet), valid
``LINK_MAX_AGE`` seconds; opening it and confirming (a POST) creates the account, once.

Mails are built and sent after the response (``after_response``), so a request that mails and one
that does not take the same time; the password is hashed either way.
"""

import base64
import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from flask import after_this_request, current_app, render_template
from werkzeug.security import generate_password_hash

from cop.accounts.models import User
from cop.accounts.services import find_user_by_email, register_user, validate_registration
from cop.notifications.mail import Mailer, MailError, absolute_url, build_message

log = logging.getLogger(__name__)

LINK_MAX_AGE = 24 * 3600  # seconds


class _Recipient:
    """Who a mail goes to before there is an account (``build_message`` needs a name and an address)."""

    def __init__(self, display_name: str, email: str):
        self.display_name, self.email = display_name, email


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"cop.accounts.registration\0" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def after_response(send: Callable[[], None]) -> None:
    """Run ``send`` (in an app context) once this request's response has gone out."""
    # The app itself, to use from the response's close (current_app is typed as the Flask it stands for).
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    once = threading.Lock()

    def run():
        if not once.acquire(blocking=False):
            return  # already sent by the other path
        with app.app_context():
            send()

    @after_this_request
    def schedule(response):
        response.call_on_close(run)
        # A server may skip the response's close (werkzeug's development server does when reading what the
        # client sent next fails): the mail then goes a moment later from a timer instead of never.
        timer = threading.Timer(2.0, run)
        timer.daemon = True
        timer.start()
        return response


def _mail(recipient, subject: str, template: str, key: str, **context) -> None:
    context["user"] = recipient
    message = build_message(
        recipient,
        subject=subject,
        text=render_template(f"accounts/mail/{template}.txt", **context),
        html=render_template(f"accounts/mail/{template}.html", **context),
        message_key=f"{key}-{secrets.token_hex(8)}",
    )
    try:
        with Mailer() as mailer:
            mailer.send(message)
    except MailError:
        log.exception("%s e-mail not sent", key)


def request_account(email: str, display_name: str, password: str) -> Callable[[], None]:
    """Check a registration and return what to mail (call it after the response).

    :raise DomainError: invalid input only; an address that has an account is not an error.
    """
    email, display_name = validate_registration(email, display_name, password)
    password_hash = generate_password_hash(password)  # the same work whether or not the address is taken
    owner = find_user_by_email(email)
    if owner is None:
        token = _fernet().encrypt(json.dumps({"e": email, "n": display_name, "h": password_hash}).encode()).decode()
        recipient = _Recipient(display_name, email)
        return lambda: _mail(
            recipient,
            "Confirm your cop account",
            "register_confirm",
            "register",
            link=absolute_url("accounts.confirm_registration", token=token),
            hours=LINK_MAX_AGE // 3600,
        )
    owner_id = owner.id

    def note_to_owner():
        from cop.extensions import db

        user = db.session.get(User, owner_id)
        if user is None or user.is_disabled:
            return
        _mail(
            user,
            "You already have a cop account",
            "register_existing",
            "register-existing",
            login=absolute_url("accounts.login"),
            reset=absolute_url("accounts.forgot_password") if user.uses_password else None,
        )

    return note_to_owner


def registration_for_token(token: str) -> dict | None:
    """``{"email", "display_name", "password_hash"}`` from a valid, unexpired link; None otherwise."""
    if not token or len(token) > 2000:
        return None
    try:
        data = json.loads(_fernet().decrypt(token.encode(), ttl=LINK_MAX_AGE))
    except (InvalidToken, ValueError):
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("e", "n", "h")):
        return None
    return {"email": data["e"], "display_name": data["n"], "password_hash": data["h"]}


def confirm(registration: dict) -> User | None:
    """Create the account a link names; None if the address has an account by now (the link was used)."""
    if find_user_by_email(registration["email"]) is not None:
        return None
    return register_user(
        registration["email"], registration["display_name"], password_hash=registration["password_hash"]
    )
