"""What work requires: role and project requirements, projects, assignments."""
from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import CheckConstraint, ColumnElement, ForeignKey, String, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Base, Timestamped
from portal.models.people import JobRole, Person
from portal.models.taxonomy import CredentialType


class Project(Timestamped, Base):
    """Client work with its own credential demands (from the contract)."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    client: Mapped[Optional[str]] = mapped_column(String(200))
    starts_on: Mapped[Optional[date]]
    ends_on: Mapped[Optional[date]]
    active: Mapped[bool] = mapped_column(default=True)

    assignments: Mapped[list["Assignment"]] = relationship(back_populates="project")
    requirements: Mapped[list["Requirement"]] = relationship(back_populates="project")


class Requirement(Timestamped, Base):
    """A credential type demanded by a job role or by a project."""

    __tablename__ = "requirements"
    __table_args__ = (
        CheckConstraint(
            "(job_role_id IS NULL) <> (project_id IS NULL)", name="role_xor_project"
        ),
        UniqueConstraint("credential_type_id", "job_role_id", name="uq_requirements_type_role"),
        UniqueConstraint("credential_type_id", "project_id", name="uq_requirements_type_project"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_type_id: Mapped[int] = mapped_column(ForeignKey("credential_types.id"), index=True)
    # active_history: the compliance hook refreshes the role and project it had too.
    job_role_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job_roles.id"), index=True, active_history=True)
    project_id: Mapped[Optional[int]] = mapped_column(ForeignKey("projects.id"), index=True, active_history=True)
    # Days before expiry at which a holder stops counting as comfortably
    # compliant for this requirement (e.g. a contract demands 60 days' cover).
    lead_days: Mapped[Optional[int]]

    credential_type: Mapped[CredentialType] = relationship()
    job_role: Mapped[Optional[JobRole]] = relationship()
    project: Mapped[Optional[Project]] = relationship(back_populates="requirements")


class Assignment(Timestamped, Base):
    """A person staffed on a project for a period."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    # active_history: the compliance hook refreshes the holder it had too.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True, active_history=True)
    starts_on: Mapped[date]
    ends_on: Mapped[Optional[date]]
    role_on_project: Mapped[Optional[str]] = mapped_column(String(120))

    project: Mapped[Project] = relationship(back_populates="assignments")
    person: Mapped[Person] = relationship()

    @classmethod
    def overlapping(cls, first_day: date, last_day: date | None = None) -> ColumnElement[bool]:
        """SQL: the assignment runs on some day from ``first_day`` to
        ``last_day`` (default: on ``first_day``); an open end runs on."""
        return (cls.starts_on <= (last_day or first_day)) & or_(cls.ends_on.is_(None), cls.ends_on >= first_day)

    @classmethod
    def changes_within(cls, first_day: date, last_day: date) -> ColumnElement[bool]:
        """SQL: the assignment starts after ``first_day`` or ends before
        ``last_day`` (``portal.policies.forecast.changes_within``)."""
        return or_(cls.starts_on > first_day, cls.ends_on < last_day)
