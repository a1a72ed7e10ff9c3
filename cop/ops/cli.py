"""``flask cop backup DEST``: a consistent copy of the database and the uploads, taken while the app runs."""
import click
from flask.cli import with_appcontext


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(dest):
    """Copy the SQLite database (online backup API) and new upload blobs into DEST/<timestamp>/."""
    from cop.ops import backup

    try:
        result = backup.backup(dest)
    except backup.BackupUnsupported as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Database copied to {result.database} ({result.database_bytes:,} bytes, "
               f"{result.seconds:.1f} s); uploads: {result.blobs_copied} new files, {result.blobs_kept} "
               f"already in {result.uploads}.")
