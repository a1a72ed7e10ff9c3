"""``flask cop sync-directory``."""

import click
from flask.cli import with_appcontext

from cop.errors import DomainError
from cop.identity.errors import SignInError


@click.command("sync-directory")
@click.option("--force", is_flag=True, help="Disable accounts even when more than half of them would be.")
@with_appcontext
def sync_directory_command(force):
    """Disable accounts that left the LDAP directory (all their sessions end) and refresh the others'
    profiles and group memberships. Safe to run from cron."""
    from cop.identity import mode_enabled
    from cop.identity.directory_sync import sync_directory

    if not mode_enabled("ldap"):
        raise click.ClickException("LDAP sign-in is not enabled (COP_AUTH_MODES has no ldap).")
    try:
        summary = sync_directory(
            lambda total: click.progressbar(length=total, label="Checking directory entries"), force=force
        )
    except DomainError as exc:
        # A sign-in error (the directory cannot be read) says why; the "too many leavers" refusal has no reason.
        reason = exc.reason if isinstance(exc, SignInError) else ""
        raise click.ClickException(f"{exc.message} ({reason})" if reason else exc.message) from None
    click.echo(str(summary))
