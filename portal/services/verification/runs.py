"""Re-verification: which credentials are due, and running one.

The database owns the state: ``verification_states.next_due`` says when a
check must be made again and ``retry_at`` when a source that was down is
asked again. A task only carries a credential id; running it twice on one day
checks once (the second finds nothing due).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select

from portal.extensions import db
from portal.models import Credential, User, VerificationState, today, utcnow
from portal.services import audit
from portal.services.verification.base import SourceUnavailable

RETRY_AFTER = timedelta(hours=6)


def _due(on: date | None, now: datetime | None):
    """Active credentials whose check is due (or was never made and has a document)."""
    on, now = on or today(), now or utcnow()
    never_checked = and_(VerificationState.credential_id.is_(None), Credential.source_document_id.is_not(None))
    due = and_(VerificationState.next_due <= on,
               or_(VerificationState.retry_at.is_(None), VerificationState.retry_at <= now))
    waiting_retry = VerificationState.retry_at <= now
    return (select(Credential.id).outerjoin(VerificationState, VerificationState.credential_id == Credential.id)
            .where(Credential.state == "active", or_(never_checked, due, waiting_retry)))


def due_ids(on: date | None = None, now: datetime | None = None, limit: int = 5000) -> list[int]:
    return list(db.session.scalars(_due(on, now).order_by(Credential.id).limit(limit)))


def is_due(credential_id: int, on: date | None = None, now: datetime | None = None) -> bool:
    return db.session.scalar(_due(on, now).where(Credential.id == credential_id)) is not None


def reverify(credential_id: int, on: date | None = None, now: datetime | None = None) -> str:
    """Check one credential if it is still due: "checked", "not due" or "source down"."""
    from portal.services import verification

    if not is_due(credential_id, on, now):
        return "not due"
    credential = db.session.get(Credential, credential_id)
    try:
        verification.verify(credential)
    except SourceUnavailable as down:
        db.session.rollback()
        source_down(db.session.get(Credential, credential_id), str(down), now=now)
        return "source down"
    return "checked"


def source_down(credential: Credential, reason: str, actor: User | None = None, now: datetime | None = None) -> None:
    """Keep an inconclusive check (a source that timed out or was unavailable) on the audit trail.

    The standing stays what it was: a source that cannot answer says nothing
    about the credential, so it never turns it to failed. The source is asked
    again after RETRY_AFTER, not at each hourly run.
    """
    state = db.session.get(VerificationState, credential.id)
    retry_at = (now or utcnow()) + RETRY_AFTER
    if state is None:  # never checked: a standing with no outcome keeps when to ask again
        state = VerificationState(credential_id=credential.id)
        db.session.add(state)
    state.retry_at = retry_at
    standing = state.outcome
    audit.record("credential.verification_inconclusive", credential, actor=actor or "system",
                 before={"verification": standing},
                 after={"verification": standing, "reason": reason[:300], "retry_at": retry_at})
    db.session.commit()


def enqueue_due(on: date | None = None) -> int:
    from jobs.verification import reverify_credential

    ids = due_ids(on)
    for credential_id in ids:
        reverify_credential(credential_id)
    return len(ids)
