"""``flask cop send-mail`` and ``flask cop send-digests daily|weekly`` (run them from cron)."""

import click
from flask.cli import with_appcontext

from cop.notifications.mail import MailError


@click.command("send-mail")
@with_appcontext
def send_mail_command():
    """Send the immediate e-mails not sent yet (after a mail-server outage, or with COP_MAIL_ON_COMMIT=0)."""
    from cop.notifications import digests

    try:
        result = digests.send_pending()
    except MailError as exc:
        raise click.ClickException(f"{exc}. What was sent stays sent; run this again to go on.") from None
    click.echo(f"Sent {result.sent} e-mails" + (f"; {result.refused} addresses refused." if result.refused else "."))


@click.command("send-digests")
@click.argument("cadence", type=click.Choice(["daily", "weekly"]))
@with_appcontext
def send_digests_command(cadence):
    """Send the daily or weekly digests (and, weekly, the sponsors' summaries).

    Safe to run twice: each person gets one digest per day (or ISO week); a
    run stopped halfway is completed by the next one without duplicates.
    """
    from cop.notifications import digests

    try:
        pending = digests.send_pending()  # retry immediate e-mails an outage held back
        result = digests.send_digests(cadence)
        summaries = digests.send_sponsor_summaries() if cadence == "weekly" else None
    except MailError as exc:
        raise click.ClickException(f"{exc}. What was sent stays sent; run this again to finish.") from None
    click.echo(
        f"Sent {result.sent} {cadence} digests ({result.empty} with nothing left to show"
        + (f", {result.refused} addresses refused" if result.refused else "")
        + ")."
    )
    if pending.sent:
        click.echo(f"Also sent {pending.sent} immediate e-mails held back earlier.")
    if summaries is not None:
        click.echo(f"Sent {summaries.sent} sponsor summaries.")
