"""Consumers report they are alive; /healthz reads it."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import WorkerHeartbeat, utcnow


def beat(worker: str) -> None:
    row = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker))
    if row is None:
        row = WorkerHeartbeat(worker=worker)
        db.session.add(row)
    row.seen_at = utcnow()
    db.session.commit()
