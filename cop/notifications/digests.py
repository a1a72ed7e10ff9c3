"""Sending the e-mails: one per notification ("immediately"), daily and weekly digests, and the
sponsor's weekly summary.

Exactly once, as far as SMTP allows:

* an immediate notification is *claimed* (``mail_claimed_at``, committed)
  before it is sent and marked ``emailed_at`` right after, one row at a
  time; a failed send releases the claim so ``flask cop send-mail`` retries;
* a digest is a ``Digest`` row, unique per (user, cadence, period),
  committed together with the notifications it covers (``digest_id``)
  before the mail is sent and marked ``sent_at`` after. A rerun skips the
  sent ones and sends the one a crash left unsent, once.

The only window for a duplicate is between the SMTP server accepting a
message and our commit of "sent"; such a duplicate carries the same
Message-ID. When the mail server fails, a run stops (``MailError``) and
leaves everything unsent for the next run; an address refused for good is
recorded and skipped.
"""

import dataclasses
import logging
from collections import OrderedDict
from datetime import timedelta

from flask import render_template
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from cop.accounts.models import User
from cop.communities.models import community_sponsors
from cop.database import rowcount
from cop.extensions import db, utcnow
from cop.notifications import services
from cop.notifications.mail import Mailer, MailError, RecipientRefused, absolute_url, build_message, unsubscribe_url
from cop.notifications.models import DIGEST_CADENCES, KIND_LABELS, KINDS, SPONSOR_SUMMARY, Digest, Notification
from cop.oversight import periods, portfolio

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)  # a sender that held a row this long has died: another may take it
SUBJECT_MAX = 150


@dataclasses.dataclass
class RunResult:
    sent: int = 0
    empty: int = 0  # digests with nothing left visible to send (recorded, no mail)
    refused: int = 0  # addresses the server refused for good


def _shorten(text: str, limit: int = SUBJECT_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _item(notification) -> dict:
    endpoint, values = services.target_of(notification)
    return {
        "sentence": services.describe(notification),
        "kind": notification.kind,
        "link": absolute_url(endpoint, **values),
        "excerpt": services.excerpt_of(notification),
        "community": notification.community.name,
        "created_at": notification.created_at,
    }


# --- immediate ------------------------------------------------------------------------------


def notification_message(notification):
    """The e-mail for one notification: text and HTML, links, unsubscribe for its kind only."""
    user = notification.user
    item = _item(notification)
    context = {
        "user": user,
        "item": item,
        "kind_label": KIND_LABELS[notification.kind],
        "unsubscribe": unsubscribe_url(user.id, notification.kind),
        "settings": absolute_url("notifications.settings"),
        "all_notifications": absolute_url("notifications.index"),
    }
    return build_message(
        user,
        subject=_shorten(item["sentence"]),
        text=render_template("notifications/mail/notification.txt", **context),
        html=render_template("notifications/mail/notification.html", **context),
        message_key=f"notification-{notification.id}",
        unsubscribe=context["unsubscribe"],
    )


def _claim_notification(notification_id: int, now) -> bool:
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.delivery == "immediately",
            Notification.emailed_at.is_(None),
            or_(Notification.mail_claimed_at.is_(None), Notification.mail_claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(mail_claimed_at=now)
    )
    db.session.commit()
    return rowcount(result) == 1


def _still_readable(notification) -> bool:
    user = notification.user
    if user.is_disabled:
        return False
    return (
        db.session.scalar(select(Notification.id).where(services._readable(user), Notification.id == notification.id))
        is not None
    )


def _send_notifications(ids, mailer: Mailer, result: RunResult) -> None:
    """:raise MailError: the server failed; the row being sent is released for a retry."""
    for notification_id in sorted(set(ids)):
        now = utcnow()
        if not _claim_notification(notification_id, now):
            continue  # sent already, another sender holds it, or it is no longer an immediate one
        notification = db.session.get_one(Notification, notification_id)
        if not _still_readable(notification):
            notification.emailed_at, notification.mail_error = now, "not sent: no longer visible to the recipient"
            db.session.commit()
            continue
        try:
            mailer.send(notification_message(notification))
        except RecipientRefused as exc:
            notification.emailed_at, notification.mail_error = utcnow(), str(exc)[:300]
            db.session.commit()
            result.refused += 1
            continue
        except Exception as exc:  # the server failed (MailError) or a bug: release the row for a retry
            db.session.rollback()
            notification = db.session.get_one(Notification, notification_id)
            notification.mail_claimed_at, notification.mail_error = None, str(exc)[:300] or type(exc).__name__
            db.session.commit()
            raise
        notification.emailed_at, notification.mail_error = utcnow(), ""
        db.session.commit()
        result.sent += 1


def deliver_notifications(ids) -> RunResult:
    """Send the immediate e-mails for ``ids`` now (at the end of the request that created them).

    Never raises: a failure is logged and the rows wait for ``send_pending``.
    """
    result = RunResult()
    try:
        with Mailer() as mailer:
            _send_notifications(ids, mailer, result)
    except Exception:  # the request that triggered this must not fail because of the mail server
        log.exception("immediate e-mails not sent; `flask cop send-mail` will retry them")
        db.session.rollback()
    return result


def send_pending(batch: int = 500) -> RunResult:
    """Send every immediate e-mail not sent yet (``flask cop send-mail``).

    :raise MailError: the mail server failed (what was sent stays sent).
    """
    result = RunResult()
    last_id = 0
    with Mailer() as mailer:
        while True:
            ids = list(
                db.session.scalars(
                    select(Notification.id)
                    .where(
                        Notification.delivery == "immediately",
                        Notification.emailed_at.is_(None),
                        Notification.id > last_id,
                    )
                    .order_by(Notification.id)
                    .limit(batch)
                )
            )
            if not ids:
                return result
            _send_notifications(ids, mailer, result)
            last_id = ids[-1]


# --- digests ----------------------------------------------------------------------------------


def period_key(cadence: str, now) -> str:
    """The period a digest run at ``now`` covers: the day ("2025-06-02") or ISO week ("2025-W23")."""
    if cadence == "daily":
        return now.date().isoformat()
    year, week, _day = now.isocalendar()
    return f"{year}-W{week:02d}"


def _digest_record(user_id: int, cadence: str, period: str, now) -> Digest | None:
    """The unsent digest to send for this user (one left by a crash first), a new one, or None
    when this period's digest has already gone out."""
    record = db.session.scalar(
        select(Digest)
        .where(Digest.user_id == user_id, Digest.cadence == cadence, Digest.sent_at.is_(None))
        .order_by(Digest.id)
    )
    if record is not None:
        return record
    if (
        db.session.scalar(
            select(Digest.id).where(Digest.user_id == user_id, Digest.cadence == cadence, Digest.period == period)
        )
        is not None
    ):
        return None
    record = Digest(user_id=user_id, cadence=cadence, period=period, created_at=now)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:  # another run created it a moment ago: that run sends it
        db.session.rollback()
        return None
    return record


def _claim_digest(record: Digest, now) -> bool:
    result = db.session.execute(
        update(Digest)
        .where(
            Digest.id == record.id,
            Digest.sent_at.is_(None),
            or_(Digest.claimed_at.is_(None), Digest.claimed_at < now - CLAIM_TIMEOUT),
        )
        .values(claimed_at=now)
    )
    db.session.commit()
    return rowcount(result) == 1


def digest_message(user, record: Digest, notifications):
    """The digest e-mail: the notifications grouped by kind, each kind with its own unsubscribe link."""
    groups: OrderedDict[str, list[dict]] = OrderedDict((kind, []) for kind in KINDS)
    for notification in notifications:
        groups[notification.kind].append(_item(notification))
    sections = [
        {"kind": kind, "label": KIND_LABELS[kind], "items": items, "unsubscribe": unsubscribe_url(user.id, kind)}
        for kind, items in groups.items()
        if items
    ]
    count = len(notifications)
    context = {
        "user": user,
        "cadence": record.cadence,
        "sections": sections,
        "count": count,
        "unsubscribe": unsubscribe_url(user.id, record.cadence),
        "settings": absolute_url("notifications.settings"),
        "all_notifications": absolute_url("notifications.index"),
    }
    subject = f"Your {record.cadence} digest: {count} {'notification' if count == 1 else 'notifications'}"
    return build_message(
        user,
        subject=subject,
        text=render_template("notifications/mail/digest.txt", **context),
        html=render_template("notifications/mail/digest.html", **context),
        message_key=f"digest-{record.id}",
        unsubscribe=context["unsubscribe"],
    )


def _send_digest(user_id: int, cadence: str, period: str, now, mailer: Mailer, result: RunResult) -> None:
    record = _digest_record(user_id, cadence, period, now)
    if record is None:
        return
    # The digest and the notifications it covers commit together: from here a crash resumes it.
    db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.delivery == cadence,
            Notification.digest_id.is_(None),
            Notification.emailed_at.is_(None),
            Notification.created_at <= now,
        )
        .values(digest_id=record.id)
    )
    db.session.commit()
    if not _claim_digest(record, now):
        return
    user = db.session.get_one(User, user_id)
    items = (
        []
        if user.is_disabled
        else list(db.session.scalars(services.readable_notifications(user).where(Notification.digest_id == record.id)))
    )
    if not items:
        record.sent_at, record.items = utcnow(), 0
        db.session.commit()
        result.empty += 1
        return
    _deliver(mailer, record, digest_message(user, record, items), len(items), result)


def _deliver(mailer, record, message, items: int, result: RunResult) -> None:
    """Send one claimed digest-like ``record``'s message and record the outcome (commits).

    A refused recipient is recorded as done (it would be refused again); any other mail
    failure releases the claim so the next run retries it. :raise MailError: that failure.
    """
    try:
        mailer.send(message)
    except RecipientRefused as exc:
        record.sent_at, record.error = utcnow(), str(exc)[:300]
        db.session.commit()
        result.refused += 1
        return
    except MailError as exc:
        record.claimed_at, record.error = None, str(exc)[:300]
        db.session.commit()
        raise
    record.sent_at, record.items, record.error = utcnow(), items, ""
    db.session.commit()
    result.sent += 1


def send_digests(cadence: str, now=None) -> RunResult:
    """Send each user their ``cadence`` digest for the current period (``flask cop send-digests``).

    Idempotent: a second run in the same period sends nothing; a run that
    stopped halfway is resumed by the next one without duplicates.

    :raise ValueError: unknown cadence. :raise MailError: the mail server failed (rerun to resume).
    """
    if cadence not in DIGEST_CADENCES:
        raise ValueError(f"unknown digest cadence {cadence!r}")
    now = now or utcnow()
    period = period_key(cadence, now)
    waiting = select(Notification.user_id).where(
        Notification.delivery == cadence,
        Notification.digest_id.is_(None),
        Notification.emailed_at.is_(None),
        Notification.created_at <= now,
    )
    unsent = select(Digest.user_id).where(Digest.cadence == cadence, Digest.sent_at.is_(None))
    user_ids = sorted(set(db.session.scalars(waiting.distinct())) | set(db.session.scalars(unsent)))
    result = RunResult()
    with Mailer() as mailer:
        for user_id in user_ids:
            _send_digest(user_id, cadence, period, now, mailer, result)
    return result


# --- the sponsor's weekly summary --------------------------------------------------------------


def send_sponsor_summaries(now=None) -> RunResult:
    """Mail each sponsor their portfolio's figures (``cop.oversight.portfolio.portfolio``) for the last
    seven days, once per ISO week.

    Same exactly-once protocol as the digests (a ``Digest`` with cadence "sponsor").
    :raise MailError: the mail server failed (rerun to resume).
    """
    now = now or utcnow()
    period_name = period_key("weekly", now)
    sponsor_ids = sorted(set(db.session.scalars(select(community_sponsors.c.user_id))))
    result = RunResult()
    with Mailer() as mailer:
        for user_id in sponsor_ids:
            user = db.session.get_one(User, user_id)
            if user.is_disabled or services.cadence_of(user_id, SPONSOR_SUMMARY) == "never":
                continue
            record = _digest_record(user_id, "sponsor", period_name, now)
            db.session.commit()
            if record is None or not _claim_digest(record, now):
                continue
            rows = portfolio.portfolio(user, periods.Period.last(7, now=now), now=now)
            _deliver(mailer, record, sponsor_summary_message(user, record, rows), len(rows), result)
    return result


_UNIT_SUFFIX = {"percent": "%", "hours": " h"}


def _shown(value, unit: str) -> str:
    return "–" if value is None else f"{value}{_UNIT_SUFFIX.get(unit, '')}"


def sponsor_summary_message(user, record: Digest, rows):
    """The summary e-mail: per sponsored community, each portfolio figure this week beside last week."""
    communities = [
        {
            "name": row.name,
            "link": absolute_url("oversight.report", slug=row.slug),
            "figures": [
                {"label": f.label, "value": _shown(f.value, f.unit), "previous": _shown(f.previous, f.unit)}
                for f in row.figures
            ],
        }
        for row in rows
    ]
    context = {
        "user": user,
        "communities": communities,
        "period": record.period,
        "portfolio": absolute_url("oversight.portfolio"),
        "unsubscribe": unsubscribe_url(user.id, SPONSOR_SUMMARY),
        "settings": absolute_url("notifications.settings"),
    }
    return build_message(
        user,
        subject=f"Your communities this week ({record.period})",
        text=render_template("notifications/mail/sponsor_summary.txt", **context),
        html=render_template("notifications/mail/sponsor_summary.html", **context),
        message_key=f"sponsor-{record.id}",
        unsubscribe=context["unsubscribe"],
    )
