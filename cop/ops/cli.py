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
    click.echo(
        f"Database copied to {result.database} ({result.database_bytes:,} bytes, "
        f"{result.seconds:.1f} s); uploads: {result.blobs_copied} new files, {result.blobs_kept} "
        f"already in {result.uploads}."
    )
    if result.missing_blobs:
        click.echo(
            f"{len(result.missing_blobs)} files named by the database are missing from the upload store "
            "(and so from this backup):",
            err=True,
        )
        for sha256, what in result.missing_blobs:
            click.echo(f"  {sha256}  {what}", err=True)
        raise click.exceptions.Exit(1)


@click.command("check")
@with_appcontext
def check_command():
    """Check database integrity, upload blobs, the search index against the outbox, and counters."""
    from cop.ops import check

    report = check.check()
    for section, problems in report.sections.items():
        click.echo(f"{section}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            click.echo(f"  {problem}")
    if not report.ok:
        raise click.exceptions.Exit(1)


@click.command("repair-counters")
@with_appcontext
def repair_counters_command():
    """Recompute reply counts, last activity, first replies, member counts and latest versions from the rows."""
    from cop.ops import counters

    repaired = counters.repair_counters()
    for name, rows in vars(repaired).items():
        click.echo(f"{name}: {rows} row{'s' if rows != 1 else ''} corrected")
    click.echo("All counters were right." if repaired.total == 0 else f"{repaired.total} figures corrected.")
