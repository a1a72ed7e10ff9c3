"""``flask cop voice ...``: the share of voice per tag and day behind the sponsor report (cop.oversight.voice)."""

import time

import click
from flask.cli import with_appcontext


@click.group("voice")
def voice_cli():
    """The share of voice per tag, community and day that reports read (cop.oversight.voice)."""


@voice_cli.command("rebuild")
@with_appcontext
def voice_rebuild():
    """Recompute every row from the posts, in one transaction (safe to run again at any time)."""
    from cop.extensions import db
    from cop.oversight import voice

    started = time.perf_counter()
    with db.engine.begin() as connection:
        voice.rebuild(connection)
        rows = len(voice.stored(connection))
    click.echo(f"Wrote {rows} share-of-voice rows in {time.perf_counter() - started:.1f} s.")


@voice_cli.command("check")
@with_appcontext
def voice_check():
    """Compare the stored rows with the posts; exit status 1 when they differ (then run ``rebuild``)."""
    from cop.extensions import db
    from cop.oversight import voice

    with db.engine.connect() as connection:
        stored, computed = voice.stored(connection), voice.computed(connection)
    differ = sorted(key for key in stored.keys() | computed.keys() if stored.get(key) != computed.get(key))
    if differ:
        click.echo(f"{len(differ)} of {len(computed)} share-of-voice rows differ from the posts, e.g. {differ[0]}.")
        raise SystemExit(1)
    click.echo(f"All {len(computed)} share-of-voice rows match the posts.")
