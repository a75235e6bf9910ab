"""Reminder and escalation policies, and the notifications they produce."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Timestamped, utcnow
from portal.models.taxonomy import CredentialType

DEFAULT_OFFSETS = [90, 60, 30, 14, 7, 0]
DEFAULT_ESCALATION = [
    {"days_before": 30, "notify": "manager"},
    {"days_before": 7, "notify": "hr"},
    {"days_before": 0, "notify": "compliance"},
]


class ReminderPolicy(Timestamped, Base):
    """Offsets, grace and escalation; one row with no type is the default."""

    __tablename__ = "reminder_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL: the organisation default. Unique so each type has at most one.
    credential_type_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("credential_types.id"), unique=True,
        active_history=True,  # the compliance hook refreshes the type it governed too
    )
    offsets: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_OFFSETS))
    grace_days: Mapped[int] = mapped_column(default=30)
    escalation: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_ESCALATION))
    renewal_lead_days: Mapped[Optional[int]]
    # Whether employees may take these notices as a weekly digest instead.
    allow_digest: Mapped[bool] = mapped_column(default=False)

    credential_type: Mapped[Optional[CredentialType]] = relationship()


# the kinds of a missing requirement's records and notices (SQL)
MISSING_KINDS = "kind IN ('missing-seen', 'missing')"
ESCALATIONS = "kind = 'escalation'"

NOTIFICATION_STATES = ("pending", "sending", "delivering", "sent", "retry", "failed", "skipped", "unknown")


class Notification(Base):
    """One message to one recipient about one thing, at most once.

    ``unique_key`` (e.g. ``reminder:cred:42:person:7:30``) is what makes the
    daily scan idempotent: a second run finds the row and sends nothing.

    The daily scan writes these by the hundred thousand in a large
    organisation, so each row costs only what something reads: the person,
    credential, type and document ids are plain columns, not foreign keys
    (each key was one lookup and row lock per row written, about half the
    cost of a row; none of those rows is ever deleted, and the scan selects
    every id from its table in the statement that writes it), and the person
    and credential indexes cover only the rows read by them (a missing
    requirement's records, escalations), not the day's many reminders. Only
    the recipient's index holds every row: a person's page lists what was
    sent to them.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_state_next", "state", "next_attempt_at"),
        # The daily scan's missing-requirement escalations start from the
        # records whose day falls in the step's window (kind, step, due_on);
        # partial, so the day's many reminders add nothing to it.
        Index("ix_notifications_kind_step_due", "kind", "step", "due_on",
              postgresql_where=text(MISSING_KINDS), sqlite_where=text(MISSING_KINDS)),
        # A missing requirement's episodes, by person and type (closing them,
        # counting closed ones, the escalations' first notice).
        Index("ix_notifications_missing_person_type", "person_id", "credential_type_id",
              postgresql_where=text(MISSING_KINDS), sqlite_where=text(MISSING_KINDS)),
        # The escalations a renew-now list shows beside each credential.
        Index("ix_notifications_escalation_credential", "credential_id",
              postgresql_where=text(ESCALATIONS), sqlite_where=text(ESCALATIONS)),
        # The last few sent to a person, newest first (their notification
        # settings page). The one index every row of the scan adds to at a
        # random place: +12% of the next day's page reads at 10M credentials,
        # where the page took 4 s without it.
        Index("ix_notifications_recipient", "recipient_person_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unique_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # reminder | escalation | digest | review | request
    step: Mapped[Optional[str]] = mapped_column(String(32))
    person_id: Mapped[Optional[int]]
    credential_id: Mapped[Optional[int]]
    credential_type_id: Mapped[Optional[int]]
    document_id: Mapped[Optional[int]]
    recipient_person_id: Mapped[Optional[int]]
    recipient_email: Mapped[str] = mapped_column(String(254))
    due_on: Mapped[Optional[date]]
    subject: Mapped[Optional[str]] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[Optional[datetime]]
    claimed_at: Mapped[Optional[datetime]]
    sent_at: Mapped[Optional[datetime]]
    message_id: Mapped[Optional[str]] = mapped_column(String(255))
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderScan(Base):
    """One daily scan that wrote notifications: the day it scanned, when it
    started and what it scanned with (``fingerprint``: the policies, the
    catch-up days and the credential types). The next scan with the same
    fingerprint reads only what came due since this day and the people
    changed since it started (``portal.services.reminders.scan``)."""

    __tablename__ = "reminder_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    on: Mapped[date]
    started_at: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(64))
    full: Mapped[bool] = mapped_column(default=True)


class ReminderChange(Base):
    """The last time anything the reminder scan reads of a person changed
    other than their own row (``people.updated_at``): their credentials,
    documents or compliance-snapshot rows. Written by the snapshot refresh;
    no foreign key, so a deleted person's change is still seen."""

    __tablename__ = "reminder_changes"

    person_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    changed_at: Mapped[datetime] = mapped_column(index=True)
