"""``flask reminders run --as-of YYYY-MM-DD [--dry-run]`` and ``flask reminders send``."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

reminders_cli = AppGroup("reminders", help="Reminders, escalations and their emails.")


@reminders_cli.command("run")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Scan as if today were this date (default: today).")
@click.option("--dry-run", is_flag=True, help="Only show what would be sent; write and send nothing.")
@click.option("--no-send", is_flag=True, help="Write the notifications but leave sending to the jobs.")
def run(as_of, dry_run: bool, no_send: bool) -> None:
    """Run the daily scan: what is due, for whom, on a date."""
    from portal.services import reminders

    on = as_of.date() if as_of else date.today()
    if dry_run:
        result = reminders.scan(on, dry_run=True)
        click.echo(f"Dry run for {on:%Y-%m-%d}: {result.total} notification(s) would be sent.")
        for item in sorted(result.planned, key=lambda p: (p.expires_on or date.max, p.person_id, p.step)):
            expires = f"{item.expires_on:%Y-%m-%d}" if item.expires_on else "missing   "
            click.echo(f"  {expires}  {item.step:<24} {item.kind:<10} -> {item.recipient_email}"
                       f"  (person {item.person_id}, type {item.type_id})")
        return
    result = reminders.run_daily(on, send=not no_send)
    click.echo(f"Scan for {on:%Y-%m-%d}: {result.total} new notification(s).")
    for key, count in sorted(result.created.items()):
        click.echo(f"  {key:<24} {count}")
    if result.sent:
        click.echo("Sent: " + ", ".join(f"{v} {k}" for k, v in sorted(result.sent.items())))


@reminders_cli.command("send")
def send() -> None:
    """Send every notification that is due now (retries included)."""
    from portal.services import mailer

    counts = mailer.send_pending(limit=None)
    click.echo("Nothing due." if not counts else ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))


@reminders_cli.command("digest")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]))
def digest(as_of) -> None:
    """Write and send this week's digests now."""
    from portal.services import reminders

    count = reminders.run_weekly_digests(as_of.date() if as_of else None)
    click.echo(f"{count} digest(s) written.")
