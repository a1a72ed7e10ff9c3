"""``flask cop experts ...``: the precomputed evidence behind "People who know #tag"."""

import time

import click
from flask.cli import with_appcontext


@click.group("experts")
def experts_cli():
    """Who knows what: the evidence table the rankings read (cop.tags.evidence)."""


@experts_cli.command("rebuild")
@click.option(
    "--chunk", type=click.IntRange(1, 1000), default=20, show_default=True, help="Tags recomputed per transaction."
)
@with_appcontext
def experts_rebuild(chunk):
    """Recompute every evidence row from the posts, reactions and resources (safe to run again at any time)."""
    from sqlalchemy import func, select

    from cop.extensions import db
    from cop.tags import evidence
    from cop.tags.models import Tag

    started = time.perf_counter()
    with db.engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(Tag)).scalar_one()
        with click.progressbar(length=total, label="Rebuilding expert evidence") as bar:
            written = evidence.rebuild(connection, chunk=chunk, progress=bar.update)
    click.echo(f"Wrote {written} evidence rows for {total} tags in {time.perf_counter() - started:.1f} s.")
