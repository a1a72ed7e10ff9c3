"""``flask cop ...`` commands."""

import click
from flask.cli import with_appcontext

from cop.errors import DomainError


@click.group("cop")
def cop_cli():
    """Administration commands for cop."""


@cop_cli.command("create-admin")
@click.argument("email")
@click.option("--password", envvar="COP_ADMIN_PASSWORD", help="Password for a new account (prompted if needed).")
@click.option("--name", "display_name", default=None, help="Display name for a new account.")
@with_appcontext
def create_admin(email, password, display_name):
    """Create an administrator account, or promote an existing one."""
    from cop.accounts import services

    if services.find_user_by_email(email) is None and not password:
        password = click.prompt("Password for the new administrator", hide_input=True, confirmation_prompt=True)
    try:
        user, created = services.make_admin(email, password, display_name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{'Created' if created else 'Promoted'} administrator {user.email}.")


@cop_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has accounts.")
@with_appcontext
def demo(if_empty):
    """Load demo communities, people and memberships (safe to run twice)."""
    from cop import demo as demo_data

    created = demo_data.load(if_empty=if_empty)
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
    click.echo(demo_data.logins_text())


@cop_cli.group("search")
def search_cli():
    """The search index: rebuild it, apply pending changes, report its state."""


@search_cli.command("reindex")
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Writer processes (a segment each); 2 on a 2-core machine halves a large build.",
)
@click.option(
    "--limitmb",
    type=click.IntRange(32, 8192),
    default=256,
    show_default=True,
    help="Memory per writer process before it spills a sorted run to disk.",
)
@with_appcontext
def search_reindex(procs, limitmb):
    """Rebuild the index from the database in a new directory, then swap it in."""
    from sqlalchemy.orm import Session

    from cop.extensions import db
    from cop.search import index

    with Session(db.engine) as session:
        total = index.count_documents_to_build(session)
    with click.progressbar(length=total, label="Indexing") as bar:
        documents = index.rebuild(progress=bar.update, limitmb=limitmb, procs=procs)
    applied = index.catch_up()
    click.echo(
        f"Indexed {documents} documents into {index.index_dir()}"
        + (f"; applied {applied} changes made meanwhile." if applied else ".")
    )


@search_cli.command("catch-up")
@with_appcontext
def search_catch_up():
    """Apply the outbox's pending changes to this host's index."""
    from cop.search import index

    applied = index.catch_up()
    if applied is None:
        raise click.ClickException("The index is locked by another process or could not be updated; see the log.")
    click.echo(f"Applied {applied} changes.")


@search_cli.command("prune-outbox")
@click.option(
    "--keep-hours",
    default=24,
    show_default=True,
    type=click.IntRange(min=0),
    help="Keep applied changes this recent, for the other hosts' index copies.",
)
@with_appcontext
def search_prune_outbox(keep_hours):
    """Delete the outbox changes this host's index has applied (older than --keep-hours).

    catch-up also prunes, at most once an hour per process, keeping a day.
    """
    from datetime import timedelta

    from cop.search import index

    deleted = index.prune_outbox(keep=timedelta(hours=keep_hours))
    if deleted is None:
        raise click.ClickException("The outbox could not be pruned; see the log.")
    click.echo(f"Deleted {deleted} applied changes from the outbox.")


@search_cli.command("related")
@click.option("--all", "everything", is_flag=True, help="Recompute every thread's list, not only the missing.")
@with_appcontext
def search_related(everything):
    """Store the related threads of threads that have none (after a rebuild or a seed)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from cop.discussions.models import Thread
    from cop.extensions import db
    from cop.search import index, related
    from cop.search.engine import get_engine
    from cop.search.models import RelatedThread

    with Session(db.engine) as session:
        wanted = select(Thread.id).where(Thread.is_deleted.is_(False))
        if not everything:
            wanted = wanted.where(~select(RelatedThread.thread_id).where(RelatedThread.thread_id == Thread.id).exists())
        ids = list(session.scalars(wanted.order_by(Thread.id)))
        find = get_engine().related_finder(index.index_dir())
        with click.progressbar(length=len(ids), label="Related threads") as bar:
            for start in range(0, len(ids), 200):
                related.refresh(session, find, ids[start : start + 200], force=True)
                bar.update(len(ids[start : start + 200]))
    click.echo(f"Stored the related threads of {len(ids)} threads.")


@search_cli.command("status")
@with_appcontext
def search_status():
    """Documents indexed, outbox backlog and the last change applied."""
    from cop.search import index

    info = index.status()
    click.echo(f"Index: {info['path']} ({'available' if info['available'] else 'UNAVAILABLE'})")
    if info.get("error"):
        click.echo(f"Problem: {info['error']}")
    click.echo(f"Documents indexed: {info['documents'] if info['documents'] is not None else '-'}")
    click.echo(f"Outbox backlog: {info['backlog']}")
    when = info["last_applied_at"].isoformat(timespec="seconds") if info["last_applied_at"] else "-"
    click.echo(f"Last applied change: #{info['last_applied']} ({when})")


@cop_cli.group("sentiment")
def sentiment_cli():
    """Post sentiment (VADER): score the posts written before it was recorded."""


@sentiment_cli.command("backfill")
@click.option(
    "--batch", type=click.IntRange(1, 10_000), default=500, show_default=True, help="Posts scored per transaction."
)
@click.option("--limit", type=click.IntRange(1), default=None, help="Stop after this many posts (resume later).")
@with_appcontext
def sentiment_backfill(batch, limit):
    """Score every post that has no sentiment yet. Safe to stop and run again: it goes on where it stopped."""
    from cop.discussions import sentiment

    total = sentiment.unscored_count()
    if limit is not None:
        total = min(total, limit)
    with click.progressbar(length=total, label="Scoring posts") as bar:
        scored = sentiment.backfill(batch=batch, limit=limit, progress=bar.update)
    left = sentiment.unscored_count()
    click.echo(f"Scored {scored} posts; {left} left to score." if left else f"Scored {scored} posts; all done.")


def _register_operations_commands():
    """Seeding (cop.seed) and backups (cop.ops) keep their commands in their own packages."""
    from cop.ops.cli import backup_command, check_command, repair_counters_command
    from cop.seed.cli import seed_command

    cop_cli.add_command(seed_command)
    cop_cli.add_command(backup_command)
    cop_cli.add_command(repair_counters_command)
    cop_cli.add_command(check_command)


_register_operations_commands()


def _register_notification_commands():
    """E-mail sending (cop.notifications) keeps its commands in its own package."""
    from cop.notifications.cli import send_digests_command, send_mail_command

    cop_cli.add_command(send_mail_command)
    cop_cli.add_command(send_digests_command)


_register_notification_commands()


def _register_identity_commands():
    """Directory sync (cop.identity) keeps its command in its own package."""
    from cop.identity.cli import sync_directory_command

    cop_cli.add_command(sync_directory_command)


_register_identity_commands()


def _register_webhook_commands():
    """Webhook deliveries (cop.webhooks) keep their command in their own package."""
    from cop.webhooks.cli import webhooks_cli

    cop_cli.add_command(webhooks_cli)


_register_webhook_commands()


def _register_experts_commands():
    """The experts' evidence table (cop.tags) keeps its command in its own package."""
    from cop.tags.cli import experts_cli

    cop_cli.add_command(experts_cli)


_register_experts_commands()


def _register_voice_commands():
    """The share of voice per tag and day (cop.oversight) keeps its command in its own package."""
    from cop.oversight.cli import voice_cli

    cop_cli.add_command(voice_cli)


_register_voice_commands()
