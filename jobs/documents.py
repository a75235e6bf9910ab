"""Document jobs: read an uploaded file, learn from corrections, sweep lost work.

Tasks carry ids only; the state lives on the Document row (see
``portal.services.documents``), so running a task twice changes nothing.
"""
from __future__ import annotations

from huey import crontab
from huey.signals import SIGNAL_INTERRUPTED

from jobs.context import with_app_context
from jobs.queue import huey, run_later


@huey.task()
@with_app_context
def extract_document(document_id: int) -> None:
    """Read the document in an isolated, time- and memory-limited process."""
    from portal.services import documents

    documents.read(document_id)


def extract_later(document_id: int, delay: float) -> None:
    """Put a reading straight on the schedule, ``delay`` seconds ahead (``jobs.queue.run_later``)."""
    run_later(extract_document, document_id, delay=delay)


@huey.signal(SIGNAL_INTERRUPTED)
def _requeue_interrupted_reading(signal, task, *args, **kwargs) -> None:
    """A consumer told to stop now (SIGINT, or SIGTERM without ``-g TERM``)
    interrupts the reading; put the document back in the queue at once
    instead of leaving it "reading" until the sweeper's ten minutes pass."""
    if isinstance(task, extract_document.task_class) and task.args:
        _requeue(task.args[0])


@with_app_context
def _requeue(document_id: int) -> None:
    from portal.services import documents

    documents.requeue_interrupted(document_id)


@huey.task()
@with_app_context
def learn_from_review(document_id: int) -> None:
    """Turn a reviewer's corrections of this document into issuer hints."""
    from portal.services import learning

    learning.learn_from_corrections(document_id)


@huey.periodic_task(crontab(minute="*/2"))
@huey.lock_task("documents-sweep")
@with_app_context
def sweep_documents() -> None:
    """Re-enqueue documents a dead worker left "reading" (or a lost task left
    "queued"), and readings that failed for want of OCR once this consumer's
    own Tesseract answers."""
    from portal.services import documents
    from portal.services.heartbeat import ocr_version

    documents.sweep()
    if ocr_version():
        documents.retry_failed_readings()
