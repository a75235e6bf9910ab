"""The stored compliance snapshot: one row per active person and required type.

Rows hold what the engine concluded on the last refresh (which credential
satisfies the requirement, whether a document is pending) and the days on
which the state changes, so the state on any day is a date comparison in
SQL: org-wide roll-ups and the reminder scan are single indexed queries.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, utcnow


class RequirementSnapshot(Base):
    __tablename__ = "requirement_states"
    __table_args__ = (
        UniqueConstraint("person_id", "credential_type_id", name="uq_requirement_states_person_type"),
        Index("ix_requirement_states_type_lapses", "credential_type_id", "lapses_on"),
        Index("ix_requirement_states_warn_from", "warn_from"),
        Index("ix_requirement_states_expired_from", "expired_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    credential_type_id: Mapped[int] = mapped_column(ForeignKey("credential_types.id"))
    credential_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("credentials.id", ondelete="SET NULL"), index=True
    )
    expires_on: Mapped[Optional[date]]
    expiry_predicted: Mapped[bool] = mapped_column(default=False)
    pending: Mapped[bool] = mapped_column(default=False)
    warn_from: Mapped[Optional[date]]
    lapses_on: Mapped[Optional[date]]
    expired_from: Mapped[Optional[date]]
    lead_days: Mapped[int] = mapped_column(default=0)
    warn_days: Mapped[int] = mapped_column(default=0)
    grace_days: Mapped[int] = mapped_column(default=0)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    evaluated_on: Mapped[date]
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)
