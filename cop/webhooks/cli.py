"""``flask cop webhooks run``: send due deliveries (retries, and whatever a crash or another host left)."""

import time

import click
from flask.cli import with_appcontext


@click.group("webhooks")
def webhooks_cli():
    """Webhook deliveries."""


@webhooks_cli.command("run")
@click.option("--loop", is_flag=True, help="Keep running, sending due deliveries every --interval seconds.")
@click.option("--interval", type=click.IntRange(1, 3600), default=15, show_default=True)
@with_appcontext
def run_command(loop, interval):
    """Send every due delivery once (from cron), or keep doing so with --loop (a worker); the delivery log keeps
    30 days."""
    from cop.extensions import db
    from cop.webhooks.sender import deliver_due, prune

    while True:
        counts = deliver_due()
        pruned = prune()
        click.echo(
            f"Delivered {counts['delivered']}, to retry {counts['retry']}, given up {counts['failed']}"
            + (f"; removed {pruned} log entries older than 30 days." if pruned else ".")
        )
        db.session.remove()
        if not loop:
            return
        time.sleep(interval)
