"""An employee's choice of how reminders reach them: each by email, or one
weekly digest where the organisation's reminder policies allow it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import CredentialType, Notification, Person, ReminderPolicy
from portal.services import audit

CHANNELS = {"email": "Each reminder by email", "digest": "One weekly digest"}
RECENT = 10


@dataclass(frozen=True)
class DigestPolicies:
    default_allows: bool        # the organisation default allows a digest
    types: list[str]            # names of the types whose own policy allows one

    @property
    def allowed(self) -> bool:
        return self.default_allows or bool(self.types)


def digest_policies() -> DigestPolicies:
    rows = db.session.execute(
        select(ReminderPolicy.credential_type_id, ReminderPolicy.allow_digest, CredentialType.name)
        .outerjoin(CredentialType, CredentialType.id == ReminderPolicy.credential_type_id)
    ).all()
    default = next((allow for type_id, allow, _ in rows if type_id is None), False)
    return DigestPolicies(default, sorted(name for type_id, allow, name in rows if type_id is not None and allow))


def choose_channel(person: Person, channel: str | None, policies: DigestPolicies) -> None:
    """Record the person's choice (audited); Invalid when it is not one they may make."""
    if channel not in CHANNELS:
        raise Invalid("Choose one of the options.", "channel")
    if channel == "digest" and not policies.allowed:
        raise Invalid("Your organisation’s policy sends every reminder by email.", "channel")
    if channel == person.notification_channel:
        return
    before = audit.snapshot(person, ("notification_channel",))
    person.notification_channel = channel
    audit.record("person.notification_channel", person, before=before,
                 after=audit.snapshot(person, ("notification_channel",)))
    db.session.commit()


def recent_notifications(person: Person) -> list[Notification]:
    """The last few notifications sent (or queued) to the person."""
    return db.session.scalars(
        select(Notification).where(Notification.recipient_person_id == person.id)
        .order_by(Notification.id.desc()).limit(RECENT)
    ).all()
