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
