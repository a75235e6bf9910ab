"""The stored compliance snapshot: one row per active person and required type.

Rows hold what the engine concluded on the last refresh (which credential
satisfies the requirement, whether a document is pending) and the days on
which the state changes, so the state on any day is a date comparison in
SQL: org-wide roll-ups and the reminder scan are single indexed queries.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, UniqueConstraint, text, true
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


class PersonCompliance(Base):
    """One active person's compliance roll-up (``portal.policies.rollup``),
    judged on ``as_of``, kept with their snapshot rows.

    No foreign key to ``people``: when a person is deleted, the refresh
    that follows must still find this row to take it out of its
    department's tally.
    """

    __tablename__ = "person_compliance"
    __table_args__ = (
        # The matrix's urgency sorts walk these and stop at the page.
        Index("ix_person_compliance_urgency", "worst_rank", "expiry_unknown", "first_expiry"),
        Index("ix_person_compliance_expiry", "expiry_unknown", "first_expiry"),
    )

    person_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    department_key: Mapped[int] = mapped_column(index=True)  # department id, 0 for none
    as_of: Mapped[date]
    worst_rank: Mapped[Optional[int]]  # most urgent state's rank in SEVERITY; None without requirements
    first_expiry: Mapped[Optional[date]]
    # first_expiry is None (sorted last, as the matrix sorts it, in one index order)
    expiry_unknown: Mapped[bool] = mapped_column(server_default=true())
    # one bit per state the person has a row in (portal.policies.rollup.state_bit)
    states: Mapped[int] = mapped_column(server_default=text("0"))
    tally: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ComplianceTally(Base):
    """The sum of a department's person roll-ups (``department_key`` 0: no
    department; -1: the whole organisation), judged on ``as_of``. A tally
    whose ``as_of`` is not the day asked about is not read: pages fall back
    to the snapshot rows until the next rebuild."""

    __tablename__ = "compliance_tallies"

    department_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    as_of: Mapped[Optional[date]]
    tally: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StaffingRisk(Base):
    """A project assignment of an active person that a credential its
    project requires will not last through (``portal.policies.forecast.
    assignment_risks``), judged with the person's roll-up on its ``as_of``
    and replaced with it, so the organisation's and a department's forecast
    list their risks without loading anyone's facts.

    No foreign keys, as for ``PersonCompliance``: the refresh that follows a
    deletion takes these rows out.
    """

    __tablename__ = "staffing_risks"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(index=True)
    department_key: Mapped[int] = mapped_column(index=True)  # department id, 0 for none (as PersonCompliance's)
    assignment_id: Mapped[int]
    project_id: Mapped[int]
    credential_type_id: Mapped[int]
    credential_id: Mapped[Optional[int]]  # None: missing today
    lapses_on: Mapped[Optional[date]]
    ends_on: Mapped[Optional[date]]  # the assignment's end (None: open-ended)
