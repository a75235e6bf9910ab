"""Webhook events for what the daily scan wrote: credential.expiring,
credential.expired and requirement.missing, once per step."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Credential, Notification, Webhook
from portal.policies.reminders import SEEN_KIND
from portal.services import webhooks


def emit_webhooks(after_id: int, on: date) -> int:
    """credential.expiring / credential.expired / requirement.missing, once per step."""
    if not db.session.scalar(select(func.count(Webhook.id)).where(Webhook.active.is_(True))):
        return 0
    emitted = 0
    rows = db.session.execute(
        select(Notification.kind, Notification.step, Notification.person_id, Notification.credential_id,
               Notification.credential_type_id, Credential.expires_on)
        .outerjoin(Credential, Credential.id == Notification.credential_id)
        .where(Notification.id > after_id,
               Notification.kind.in_(("reminder", "escalation", "missing", SEEN_KIND)))
        .distinct()
    ).all()
    for kind, step, person_id, credential_id, type_id, expires_on in rows:
        payload = {"person_id": person_id, "credential_type_id": type_id, "credential_id": credential_id,
                   "expires_on": expires_on, "step": step, "as_of": on}
        if kind in ("missing", SEEN_KIND):
            event, key = "requirement.missing", f"requirement.missing:{person_id}:{type_id}"
        elif expires_on is not None and expires_on < on:
            event, key = "credential.expired", f"credential.expired:{credential_id}"
        else:
            event, key = "credential.expiring", f"credential.expiring:{credential_id}:{step.partition(':')[2]}"
        emitted += len(webhooks.emit(event, key, payload))
    db.session.commit()
    return emitted
