"""The audit trail: record who changed what, from what, to what.

Events are added to the caller's session so they commit (or roll back)
together with the change they describe. Rows are append-only: the ORM refuses
to update or delete them, and the migration adds database triggers that do
the same for anyone with a SQL prompt.
"""
from __future__ import annotations

import decimal
from datetime import date, datetime
from typing import Any, Iterable

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.security import request_id
from portal.models import AuditEvent, User, utcnow
from portal.services import audit_chain  # noqa: F401  (links every new event into the chain)


class AuditTrailIsAppendOnly(Exception):
    pass


def jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as JSON-safe values."""
    return {name: jsonable(getattr(obj, name)) for name in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _actor(actor: User | str | None) -> tuple[int | None, str]:
    if isinstance(actor, User):
        return actor.id, actor.email
    if isinstance(actor, str):
        return None, actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, "system"


def _ip() -> str | None:
    if has_request_context():
        from flask import request

        return request.remote_addr
    return None


def record(
    action: str,
    entity: Any,
    before: dict | None = None,
    after: dict | None = None,
    actor: User | str | None = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``entity`` to the current session (not committed)."""
    actor_id, label = _actor(actor)
    if entity is not None:
        entity_type = entity_type or entity.__class__.__name__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
    event_row = AuditEvent(
        occurred_at=utcnow(),  # set now: it is part of the event's chain hash
        actor_user_id=actor_id,
        actor_label=label,
        action=action,
        entity_type=entity_type or "unknown",
        entity_id=None if entity_id is None else str(entity_id),
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        ip_address=_ip(),
        reason=reason,
        request_id=request_id(),
    )
    db.session.add(event_row)
    return event_row


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
