"""Consumers report they are alive, and the Tesseract they read with; /healthz reads it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import WorkerHeartbeat, utcnow

FORGET_AFTER = timedelta(days=1)


def ocr_version() -> str | None:
    """This process's Tesseract ("tesseract 5.3.0"), None when it has none."""
    import intake

    try:
        return intake.tesseract_version()
    except intake.IntakeError:
        return None


def beat(worker: str, ocr: str | None = None) -> None:
    """Record that ``worker`` is alive now, reading with Tesseract ``ocr``.
    Safe when several threads of one consumer beat at once: the loser of the
    insert race updates instead."""
    now = utcnow()
    values = {"seen_at": now, "ocr_version": ocr}
    updated = db.session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker).values(**values)
    ).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(WorkerHeartbeat(worker=worker, **values))
        except IntegrityError:
            db.session.execute(
                update(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker).values(**values)
            )
    # Consumers come and go (restarts change the pid); forget the long gone.
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))
    db.session.commit()
