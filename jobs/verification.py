"""Re-verification: each night, credentials due by their type's policy are
checked again, one task per credential id (state in verification_states)."""
from __future__ import annotations

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


@huey.task()
@with_app_context
def reverify_credential(credential_id: int) -> str:
    from portal.services.verification.runs import reverify

    return reverify(credential_id)


@huey.periodic_task(crontab(minute="15", hour="*"))
@huey.lock_task("verification-queue-due")
@with_app_context
def queue_due_verifications() -> int:
    from portal.services.verification.runs import enqueue_due

    return enqueue_due()
