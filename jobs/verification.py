"""Verification jobs. Re-verification: each hour, credentials due by their
type's policy are checked again, one task per credential id (state in
verification_states). Roster and exclusion imports: one task per import id
(state on its verification_imports row), and a sweep for lost ones."""
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


@huey.task()
@with_app_context
def import_roster_file(import_id: int) -> None:
    """Apply a stored roster or exclusion file (state on its verification_imports row)."""
    from portal.services.verification import rosters

    rosters.run(import_id)


@huey.periodic_task(crontab(minute="*/2"))
@huey.lock_task("verification-imports-sweep")
@with_app_context
def sweep_roster_imports() -> None:
    """Take up imports a dead worker left running, or a lost task left queued."""
    from portal.services.verification import rosters

    rosters.sweep()
