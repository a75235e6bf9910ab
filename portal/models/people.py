"""People (the workforce, keyed by the HRIS employee id) and portal users."""
from __future__ import annotations

import time
from datetime import date, datetime
from typing import Any, Optional

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.models.base import Base, Timestamped

ROLES = ("employee", "reviewer", "manager", "admin", "compliance")
ROLE_LABELS = {
    "employee": "Employee",
    "reviewer": "HR reviewer",
    "manager": "Manager",
    "admin": "Administrator",
    "compliance": "Compliance officer",
}


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


class JobRole(Base):
    """A job title as the HRIS names it; requirements hang off it."""

    __tablename__ = "job_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<JobRole {self.code}>"


class Person(Timestamped, Base):
    """Someone in the workforce, whether or not they ever log in."""

    __tablename__ = "people"
    # The organisation's matrix by name walks this index and stops at the
    # page instead of sorting everyone.
    __table_args__ = (Index("ix_people_name", "last_name", "first_name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[Optional[str]] = mapped_column(String(254), unique=True)
    job_role_id: Mapped[Optional[int]] = mapped_column(ForeignKey("job_roles.id"), index=True)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"), index=True)
    manager_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"), index=True)
    location: Mapped[Optional[str]] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    hired_on: Mapped[Optional[date]]
    left_on: Mapped[Optional[date]]
    # Set when the mail server permanently refused this address (5xx), so HR
    # can fix it; cleared when the address changes.
    email_failing_since: Mapped[Optional[datetime]]
    email_failing_reason: Mapped[Optional[str]] = mapped_column(String(500))
    # "email" or "digest": how the person prefers optional notices. Compliance
    # reminders are always sent whatever this says.
    notification_channel: Mapped[str] = mapped_column(String(16), default="email")
    # Names the person held before (a maiden name, "Priya Patel" or "Patel"),
    # so a certificate issued under one is recognised as theirs at review.
    former_names: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")

    job_role: Mapped[Optional[JobRole]] = relationship()
    department: Mapped[Optional[Department]] = relationship()
    manager: Mapped[Optional["Person"]] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list["Person"]] = relationship(back_populates="manager")
    user: Mapped[Optional["User"]] = relationship(back_populates="person", uselist=False)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Person {self.employee_id} {self.full_name}>"


class User(UserMixin, Timestamped, Base):
    """A login. Roles are a space-separated set of names from ROLES."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles_text: Mapped[str] = mapped_column("roles", String(120), default="employee")
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("people.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[Optional[datetime]]
    # Bumped on password change so old sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Optional[Person]] = relationship(back_populates="user")

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.roles_text.split())

    @roles.setter
    def roles(self, value) -> None:
        unknown = set(value) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {sorted(unknown)}")
        self.roles_text = " ".join(r for r in ROLES if r in set(value))

    def has_role(self, *names: str) -> bool:
        return bool(self.roles.intersection(names))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def session_token(self) -> str:
        """What a new session and remember cookie carry (Flask-Login's
        ``id_attribute``): who, which session version (revocable) and when
        they signed in, so a cookie's lifetime is enforced by the server too,
        not only by the browser."""
        return f"{self.get_id()}:{int(time.time())}"

    @property
    def display_name(self) -> str:
        return self.person.full_name if self.person else self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.roles_text}>"
