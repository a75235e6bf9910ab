"""The append-only audit trail: who changed what, when, from what to what."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_chain_seq", "chain_seq", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    # Who acted when it was not a logged-in user: "system", "api:<token name>".
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[Optional[str]] = mapped_column(String(64))
    before: Mapped[Optional[dict[str, Any]]] = mapped_column()
    after: Mapped[Optional[dict[str, Any]]] = mapped_column()
    ip_address: Mapped[Optional[str]] = mapped_column(String(64))
    # Why, when the person said (a rejection, a revocation), and which request
    # made the change (the X-Request-ID in the logs and the response).
    reason: Mapped[Optional[str]] = mapped_column(Text)
    request_id: Mapped[Optional[str]] = mapped_column(String(64))
    # Tamper evidence (portal.services.audit_chain): the row's place in the
    # chain and an HMAC over its content and the previous row's hash.
    chain_seq: Mapped[Optional[int]]
    chain_hash: Mapped[Optional[str]] = mapped_column(String(64))
