"""Command-line tools: ``flask demo ...``, ``flask users ...``."""
from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo organisation.")
users_cli = AppGroup("users", help="Portal accounts.")


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Pretend today is this date.")
def demo_seed(if_empty: bool, today) -> None:
    """Load the demo organisation."""
    from portal import demo

    if not demo.database_is_empty():
        if if_empty:
            click.echo("Database already has data; demo seed skipped.")
            return
        raise click.ClickException("The database is not empty; demo data goes into an empty one.")
    counts = demo.seed(today.date() if today else date.today())
    click.echo("Demo organisation loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    click.echo("`flask demo accounts` lists the accounts to sign in with.")


@demo_cli.command("certificates")
def demo_certificates() -> None:
    """Write demo certificate files to upload into instance/demo-certificates."""
    from pathlib import Path

    from flask import current_app

    from portal.demo.certificates import write

    for path in write(Path(current_app.instance_path) / "demo-certificates", date.today()):
        click.echo(str(path))


@demo_cli.command("accounts")
def demo_accounts() -> None:
    """Print the demo accounts and their password."""
    print_accounts()


def print_accounts() -> None:
    from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo("")
    click.echo("Demo accounts (password: %s)" % DEMO_PASSWORD)
    for email, label in DEMO_ACCOUNTS:
        click.echo(f"  {email:<28} {label}")
    click.echo("")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, default=["employee"], show_default=True)
@click.password_option()
def users_create(email: str, roles, password: str) -> None:
    """Create a portal account."""
    from portal.extensions import db
    from portal.services.accounts import create_user

    create_user(email, password, roles, actor="cli")
    db.session.commit()
    click.echo(f"Created {email} with roles {', '.join(roles)}.")


def register_cli(app: Flask) -> None:
    from portal.reminders_cli import reminders_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(audit_cli)


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exit 1 at the first broken link."""
    from portal.services.audit_chain import verify

    report = verify()
    click.echo(f"{report.checked} events checked, {report.unchained} from before the chain; "
               f"head #{report.head_seq} {report.head_hash}")
    if not report.ok:
        click.echo(f"BROKEN at event number {report.broken_at}: {report.problem}", err=True)
        raise SystemExit(1)
    click.echo("The chain holds.")
