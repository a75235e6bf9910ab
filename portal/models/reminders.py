"""Reminder and escalation policies, and the notifications they produce."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text
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
        ForeignKey("credential_types.id"), unique=True
    )
    offsets: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_OFFSETS))
    grace_days: Mapped[int] = mapped_column(default=30)
    escalation: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_ESCALATION))
    renewal_lead_days: Mapped[Optional[int]]
    # Whether employees may take these notices as a weekly digest instead.
    allow_digest: Mapped[bool] = mapped_column(default=False)

    credential_type: Mapped[Optional[CredentialType]] = relationship()


NOTIFICATION_STATES = ("pending", "sending", "delivering", "sent", "retry", "failed", "skipped", "unknown")


class Notification(Base):
    """One message to one recipient about one thing, at most once.

    ``unique_key`` (e.g. ``reminder:cred:42:person:7:30``) is what makes the
    daily scan idempotent: a second run finds the row and sends nothing.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unique_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # reminder | escalation | digest | review | request
    step: Mapped[Optional[str]] = mapped_column(String(32))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"), index=True)
    credential_id: Mapped[Optional[int]] = mapped_column(ForeignKey("credentials.id"), index=True)
    credential_type_id: Mapped[Optional[int]] = mapped_column(ForeignKey("credential_types.id"))
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"))
    recipient_person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"))
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
