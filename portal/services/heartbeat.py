"""Consumers report they are alive; /healthz reads it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import WorkerHeartbeat, utcnow

FORGET_AFTER = timedelta(days=1)


def beat(worker: str) -> None:
    """Record that ``worker`` is alive now. Safe when several threads of one
    consumer beat at once: the loser of the insert race updates instead."""
    now = utcnow()
    updated = db.session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker).values(seen_at=now)
    ).rowcount
    if not updated:
        try:
            with db.session.begin_nested():
                db.session.add(WorkerHeartbeat(worker=worker, seen_at=now))
        except IntegrityError:
            db.session.execute(
                update(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker).values(seen_at=now)
            )
    # Consumers come and go (restarts change the pid); forget the long gone.
    db.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))
    db.session.commit()
