"""When a credential's verification standing changes: tell the people the
escalation ladder names, and emit ``credential.verification_changed``.

Runs in the caller's transaction; mail and webhooks go out after its commit.
"""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Credential, Notification, ReminderPolicy, User, Verification
from portal.models.reminders import DEFAULT_ESCALATION
from portal.policies import notification_keys
from portal.policies.reminders import ROLE_FOR_AUDIENCE
from portal.policies.verification import STATUSES
from portal.services import mailer, webhooks

EVENT = "credential.verification_changed"
MAIL_KIND = "verification"


def audiences(credential_type_id: int) -> list[str]:
    """Who the type's escalation ladder names (its own policy, else the default)."""
    rows = {p.credential_type_id: p for p in db.session.scalars(select(ReminderPolicy).where(
        (ReminderPolicy.credential_type_id == credential_type_id) | ReminderPolicy.credential_type_id.is_(None)))}
    policy = rows.get(credential_type_id) or rows.get(None)
    ladder = policy.escalation if policy and policy.escalation else DEFAULT_ESCALATION
    named = [step.get("notify") for step in ladder if isinstance(step, dict)]
    return list(dict.fromkeys(["employee", *[n for n in named if n]]))


def recipients(credential: Credential) -> list[tuple[int | None, str]]:
    """(person id, email) for each person the ladder names, once each."""
    holder = credential.person
    found: dict[str, int | None] = {}
    for audience in audiences(credential.credential_type_id):
        if audience == "employee" and holder.email and holder.active:
            found.setdefault(holder.email, holder.id)
        elif audience == "manager" and holder.manager and holder.manager.email and holder.manager.active:
            found.setdefault(holder.manager.email, holder.manager.id)
        elif audience in ROLE_FOR_AUDIENCE:
            role = ROLE_FOR_AUDIENCE[audience]
            for user in db.session.scalars(select(User).where(User.active.is_(True),
                                                              User.roles_text.like(f"%{role}%"))):
                if user.has_role(role):
                    found.setdefault(user.person.email if user.person and user.person.email else user.email,
                                     user.person_id)
    return list((pid, email) for email, pid in found.items())


def verification_changed(credential: Credential, verification: Verification, before: str | None) -> None:
    type_name, holder = credential.credential_type.name, credential.person.full_name
    after_label = STATUSES.get(verification.outcome, verification.outcome)
    payload = {
        "credential_id": credential.id, "person_id": credential.person_id,
        "credential_type": credential.credential_type.code, "before": before, "after": verification.outcome,
        "method": verification.method, "source": verification.source, "detail": verification.detail,
        "verification_id": verification.id, "checked_at": verification.checked_at,
    }
    webhooks.emit(EVENT, f"{EVENT}:{verification.id}", payload)
    if before is None and verification.outcome != "failed":
        return  # a first check that finds nothing wrong is news to no one
    subject = f"{type_name} for {holder}: {after_label.lower()}"
    for person_id, email in recipients(credential):
        mailer.queue(Notification(
            unique_key=notification_keys.verification_change(verification.id, email), kind=MAIL_KIND, step=verification.outcome,
            person_id=credential.person_id, credential_id=credential.id,
            credential_type_id=credential.credential_type_id, recipient_person_id=person_id,
            recipient_email=email, subject=subject[:300],
            context={"message": f"{subject}. {verification.detail}", "credential_id": credential.id,
                     "action_label": "See the verification",
                     "action_url": mailer.public_url("registry.credential", credential_id=credential.id)},
        ))
