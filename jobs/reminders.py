"""Reminder jobs: the daily scan, the sender/retrier and the weekly digest.

Periodic tasks run only in the consumer that runs periodic tasks (start the
others with ``huey_consumer jobs.main.huey --no-periodic``); each is locked so
two consumers never run it at once. State lives in ``notifications``: the
tasks only carry ids, and the sender re-claims anything a dead worker left.
"""
from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


def _config(name: str, default: str) -> str:
    # The schedule is fixed when the consumer imports this module, before any
    # app exists: read what the app would (CREDWATCH_* environment, then
    # instance/config.py), falling back to the portal's defaults.
    value = os.environ.get(f"CREDWATCH_{name}")
    if value:
        return value
    from flask import Config

    from jobs.queue import ROOT

    config = Config(os.environ.get("CREDWATCH_INSTANCE_PATH", str(ROOT / "instance")))
    config.from_pyfile("config.py", silent=True)
    return str(config.get(name) or default)


REMINDER_TIME = _config("REMINDER_TIME", "07:00")
REMINDER_TIMEZONE = _config("REMINDER_TIMEZONE", "UTC")
DIGEST_WEEKDAY = _config("DIGEST_WEEKDAY", "1")  # cron day of week: 0=Sunday, 1=Monday


def _hour_minute() -> tuple[str, str]:
    """REMINDER_TIME in REMINDER_TIMEZONE, as the UTC crontab Huey runs on (utc=True)."""
    hour, minute = (int(part) for part in REMINDER_TIME.split(":"))
    local = datetime.now(ZoneInfo(REMINDER_TIMEZONE)).replace(hour=hour, minute=minute, second=0,
                                                              microsecond=0)
    utc = local.astimezone(ZoneInfo("UTC"))
    return str(utc.hour), str(utc.minute)


_HOUR, _MINUTE = _hour_minute()


@huey.task()
@with_app_context
def send_notification(notification_id: int) -> str | None:
    from portal.services import mailer

    return mailer.send(notification_id)


@huey.periodic_task(crontab(minute="*/5"))
@huey.lock_task("reminders-send-pending")
@with_app_context
def send_pending_notifications() -> dict:
    """Retries that are due, and rows whose task was lost or whose worker died."""
    from portal.services import mailer

    return mailer.send_pending()


@huey.periodic_task(crontab(hour=_HOUR, minute=_MINUTE))
@huey.lock_task("reminders-daily-scan")
@with_app_context
def daily_scan() -> dict:
    from portal.services import reminders

    return reminders.run_daily().as_dict()


@huey.periodic_task(crontab(day_of_week=DIGEST_WEEKDAY, hour=_HOUR, minute=_MINUTE))
@huey.lock_task("reminders-weekly-digest")
@with_app_context
def weekly_digest() -> int:
    from portal.services import reminders

    return reminders.run_weekly_digests()
