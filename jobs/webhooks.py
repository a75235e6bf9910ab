"""Webhook deliveries: one task per delivery id, and a sweeper for due retries.

The delivery row holds the state (attempts, next attempt, last error); a task
lost by a dead worker, or a retry scheduled in a queue that was flushed, is
picked up by the sweeper within a minute.
"""
from __future__ import annotations

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


@huey.task()
@with_app_context
def deliver_webhook(delivery_id: int) -> str | None:
    from portal.services.webhooks import deliver

    return deliver(delivery_id)


@huey.periodic_task(crontab(minute="*"))
@huey.lock_task("sweep-webhook-deliveries")
@with_app_context
def sweep_webhook_deliveries() -> int:
    from portal.services.webhooks import sweep

    return sweep()
