"""E-mail: building messages (plain text + HTML), absolute links, and sending them.

Messages are stdlib ``email.message.EmailMessage`` sent with ``smtplib``
(``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``,
``SMTP_TLS``, ``MAIL_FROM``). Without ``SMTP_HOST`` every message is
written as an ``.eml`` file to ``<instance>/mail`` instead, so a laptop
with no mail server (``make run``) still "sends" and shows what went out.
"""

import email.policy
import os
import smtplib
import ssl
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from cop.extensions import utcnow
from cop.forms import clean_line

SMTP_TIMEOUT = 10  # seconds; an unreachable server must not hold a request long
# Headers up to SMTP's own limit: a long List-Unsubscribe URL must stay one plain
# ``<https://...>``, not be folded into an RFC 2047 encoded word that clients cannot follow.
MESSAGE_POLICY = email.policy.default.clone(max_line_length=998)
_UNSUBSCRIBE_SALT = "cop.notifications.unsubscribe"


class MailError(Exception):
    """The mail server could not be reached or refused the message for a reason that may pass."""


class RecipientRefused(MailError):
    """The server refused this recipient for good (a bad address): do not retry."""


# --- links -----------------------------------------------------------------------------


def absolute_url(endpoint: str, **values) -> str:
    """``endpoint``'s address under ``BASE_URL``, with or without a request (the CLI sends digests)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token for "stop e-mails of ``kind``" (a notification kind, ``daily``, ``weekly`` or
    ``sponsor_summary``). It never expires: an old mail's link must still work."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).dumps({"u": user_id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a token, or None when it is forged, damaged or malformed."""
    if not token or len(token) > 300:
        return None
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]


def unsubscribe_url(user_id: int, kind: str) -> str:
    return absolute_url("notifications.unsubscribe", token=unsubscribe_token(user_id, kind))


# --- building ----------------------------------------------------------------------------


def _sender_domain() -> str:
    _name, address = parseaddr(current_app.config["MAIL_FROM"])
    return address.rpartition("@")[2] or "localhost"


def build_message(
    user, *, subject: str, text: str, html: str, message_key: str, unsubscribe: str | None = None
) -> EmailMessage:
    """A multipart/alternative message to ``user``.

    ``message_key`` (e.g. ``notification-12``) makes the Message-ID: the same
    mail sent twice carries the same id, so mail clients can fold a duplicate.
    ``unsubscribe`` is the signed link, also given as ``List-Unsubscribe``.
    """
    message = EmailMessage(policy=MESSAGE_POLICY)
    # Titles and names are cleaned where they are typed (cop.forms); older rows may still hold a control
    # character, and a NUL or line break must never reach a header.
    message["Subject"] = clean_line(subject)
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = Address(display_name=clean_line(user.display_name), addr_spec=user.email)
    message["Date"] = format_datetime(utcnow().replace(tzinfo=UTC))
    message["Message-ID"] = f"<{message_key}@{_sender_domain()}>"
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


# --- sending -------------------------------------------------------------------------------


class Mailer:
    """One connection for a batch of messages: ``with Mailer() as mailer: mailer.send(msg)``.

    :raise MailError: the server cannot be reached or fails (the caller stops
        and retries later). :raise RecipientRefused: this address is refused.
    """

    def __init__(self) -> None:
        self.config = current_app.config
        self.folder = None if self.config.get("SMTP_HOST") else os.path.join(current_app.instance_path, "mail")
        self.smtp: smtplib.SMTP | None = None
        self.sent = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        tls = (config.get("SMTP_TLS") or "").lower()
        host = config["SMTP_HOST"]
        smtp: smtplib.SMTP  # SMTP_SSL is one
        try:
            if tls == "ssl":
                smtp = smtplib.SMTP_SSL(
                    host, config.get("SMTP_PORT") or 465, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, config.get("SMTP_PORT") or (587 if tls else 25), timeout=SMTP_TIMEOUT)
                if tls in ("1", "true", "yes", "on", "starttls"):
                    smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"cannot reach the mail server {host}: {exc}") from exc
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.folder is not None:
            self._write(self.folder, message)
        else:
            if self.smtp is None:
                self.smtp = self._connect()
            try:
                self.smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _text in exc.recipients.values()]
                if codes and all(code >= 500 for code in codes):
                    raise RecipientRefused(f"address refused: {exc.recipients}") from exc
                raise MailError(f"address not accepted for now: {exc.recipients}") from exc
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                raise MailError(f"the mail server failed: {exc}") from exc
        self.sent += 1

    def _write(self, folder: str, message: EmailMessage) -> None:
        os.makedirs(folder, exist_ok=True)
        key = message["Message-ID"].strip("<>").partition("@")[0]
        name = f"{utcnow():%Y%m%d-%H%M%S-%f}-{key}.eml"
        temporary = os.path.join(folder, "." + name)
        with open(temporary, "wb") as handle:
            handle.write(bytes(message))
        os.replace(temporary, os.path.join(folder, name))  # readers never see half a file
