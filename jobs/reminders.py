"""Reminder jobs: the daily scan, the sender/retrier and the weekly digest.

Periodic tasks run only in the consumer that runs periodic tasks (start the
others with ``huey_consumer jobs.main.huey --no-periodic``); each is locked so
two consumers never run it at once. State lives in ``notifications``: the
tasks only carry ids, and the sender re-claims anything a dead worker left.

Time of day: Huey's crontab runs in one fixed offset, so a schedule computed
once would drift by an hour at each daylight-saving change. Instead the scan
and digest tasks check every five minutes whether REMINDER_TIME has come in
REMINDER_TIMEZONE (read from the app's config at run time) and whether that
local date (ISO week, for digests) has already had its run — recorded in the
database, so a restart, a repeated hour or a second consumer never runs it
twice. See ``portal.policies.reminders.scheduled_date``.
"""
from __future__ import annotations

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


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


@huey.periodic_task(crontab(minute="*/5"))
@huey.lock_task("reminders-daily-scan")
@with_app_context
def daily_scan() -> dict | None:
    from portal.services import reminders

    return reminders.run_scheduled_scan()


@huey.periodic_task(crontab(minute="*/5"))
@huey.lock_task("reminders-weekly-digest")
@with_app_context
def weekly_digest() -> int | None:
    from portal.services import reminders

    return reminders.run_scheduled_digests()
