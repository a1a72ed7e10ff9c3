"""``flask cop seed``: load a synthetic data set, then build the search index."""

import time

import click
from flask.cli import with_appcontext


class _Bar:
    """A click progress bar with the ``update``/``finish`` the loader calls."""

    def __init__(self, label, total):
        self.bar = click.progressbar(length=total, label=label)
        self.bar.__enter__()

    def update(self, n):
        self.bar.update(n)

    def finish(self):
        self.bar.__exit__(None, None, None)


@click.command("seed")
@click.option(
    "--size",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
    help="small: 150 people, 3,000 posts; medium: 2,000 people, 100,000 posts; "
    "large: 20,000 people, 1,000 communities, 1,000,000 posts, 50,000 resources.",
)
@click.option(
    "--seed",
    "seed_value",
    type=int,
    default=1,
    show_default=True,
    help="Random seed: the same seed gives the same data.",
)
@click.option("--force", is_flag=True, help="Delete every row of a non-empty database first.")
@click.option("--no-index", is_flag=True, help="Skip building the search index (run `cop search reindex` later).")
@with_appcontext
def seed_command(size, seed_value, force, no_index):
    """Fill an EMPTY database with a synthetic data set (every account's password: seeded-password-1)."""
    from cop.search import index
    from cop.seed import data

    click.echo(f"Seeding the {size} data set (seed {seed_value})...")
    started = time.perf_counter()
    try:
        data.load(size, seed=seed_value, force=force, echo=click.echo, progress=_Bar)
    except data.SeedError as exc:
        raise click.ClickException(str(exc)) from None
    loaded = time.perf_counter() - started
    click.echo(f"Data loaded in {loaded:.1f} s.")
    if no_index:
        return
    from sqlalchemy.orm import Session

    from cop.extensions import db

    started = time.perf_counter()
    with Session(db.engine) as session:
        total = index.count_documents_to_build(session)
    with click.progressbar(length=total, label="Indexing") as bar:
        documents = index.rebuild(progress=bar.update, limitmb=1024 if size == "large" else 256)
    indexed = time.perf_counter() - started
    click.echo(f"Indexed {documents} documents in {indexed:.1f} s.")
    click.echo(
        f"Seed {size}: data {loaded:.1f} s, index {indexed:.1f} s, total {loaded + indexed:.1f} s. "
        f"Log in as {data.ADMIN_EMAIL} / {data.SEED_PASSWORD}."
    )
