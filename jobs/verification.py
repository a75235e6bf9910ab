"""Verification jobs. Re-verification: each hour, credentials due by their
type's policy are checked again, one task per credential id (state in
verification_states). Roster and exclusion imports: one task per import id
(state on its verification_imports row), and a sweep for lost ones."""
from __future__ import annotations

from huey import crontab
from huey.signals import SIGNAL_INTERRUPTED

from jobs.context import with_app_context
from jobs.queue import huey, run_later


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


def import_later(import_id: int, delay: float) -> None:
    run_later(import_roster_file, import_id, delay=delay)


@huey.signal(SIGNAL_INTERRUPTED)
def _requeue_interrupted_import(signal, task, *args, **kwargs) -> None:
    """A consumer told to stop now interrupts the import; put it back in the queue at once (it
    resumes after its last committed batch) instead of leaving it "running" for the sweep."""
    if isinstance(task, import_roster_file.task_class) and task.args:
        _requeue(task.args[0])


@with_app_context
def _requeue(import_id: int) -> None:
    from portal.services.verification import rosters

    rosters.requeue_interrupted(import_id)


@huey.periodic_task(crontab(minute="*/2"))
@huey.lock_task("verification-imports-sweep")
@with_app_context
def sweep_roster_imports() -> None:
    """Take up imports a dead worker left running, or a lost task left queued."""
    from portal.services.verification import rosters

    rosters.sweep()
