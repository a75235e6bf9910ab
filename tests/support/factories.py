"""Model factories: small helpers that build valid rows with sensible defaults."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from portal.extensions import db
from portal.models import (
    Assignment,
    Credential,
    CredentialType,
    Department,
    Document,
    Issuer,
    JobRole,
    Person,
    Project,
    ReminderPolicy,
    Requirement,
    User,
)

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)
_password_hash: str | None = None


def _n() -> int:
    return next(_seq)


def department(name: str | None = None) -> Department:
    dept = Department(name=name or f"Department {_n()}")
    db.session.add(dept)
    return dept


def job_role(code: str | None = None, name: str | None = None) -> JobRole:
    code = code or f"ROLE{_n()}"
    role = JobRole(code=code, name=name or code.title())
    db.session.add(role)
    return role


def person(first="Pat", last=None, manager=None, department=None, job_role=None, email=None, **kw) -> Person:
    n = _n()
    p = Person(
        employee_id=kw.pop("employee_id", f"T{n:05d}"),
        first_name=first,
        last_name=last or f"Tester{n}",
        email=email or f"person{n}@example.test",
        manager=manager,
        department=department,
        job_role=job_role,
        **kw,
    )
    db.session.add(p)
    return p


def user(person_=None, roles=("employee",), email=None) -> User:
    global _password_hash
    u = User(email=email or (person_.email if person_ else f"user{_n()}@example.test"), person=person_)
    u.roles = roles
    if _password_hash is None:
        u.set_password(PASSWORD)
        _password_hash = u.password_hash
    u.password_hash = _password_hash
    db.session.add(u)
    return u


def issuer(name="American Heart Association", code=None, **kw) -> Issuer:
    i = Issuer(code=code or f"issuer{_n()}", name=name, **kw)
    db.session.add(i)
    return i


def credential_type(name="BLS Provider", code=None, issuer_=None, validity_months=24, **kw) -> CredentialType:
    t = CredentialType(
        code=code or f"TYPE{_n()}",
        name=name,
        issuer=issuer_ or issuer(),
        validity_months=validity_months,
        **kw,
    )
    db.session.add(t)
    return t


def credential(person_, type_, expires_on: date | None = None, issued_on: date | None = None, **kw) -> Credential:
    c = Credential(
        person=person_,
        credential_type=type_,
        license_number=kw.pop("license_number", f"LN{_n():06d}"),
        issued_on=issued_on or (expires_on - timedelta(days=700) if expires_on else date(2024, 1, 1)),
        expires_on=expires_on,
        verified=kw.pop("verified", True),
        **kw,
    )
    db.session.add(c)
    return c


def document(person_, uploaded_by=None, state="needs_review", **kw) -> Document:
    d = Document(
        sha256=kw.pop("sha256", f"{_n():064x}"),
        original_name=kw.pop("original_name", "certificate.pdf"),
        media_type=kw.pop("media_type", "application/pdf"),
        size_bytes=kw.pop("size_bytes", 1234),
        person=person_,
        uploaded_by=uploaded_by,
        state=state,
        **kw,
    )
    db.session.add(d)
    return d


def requirement(type_, job_role_=None, project=None, lead_days=None) -> Requirement:
    r = Requirement(credential_type=type_, job_role=job_role_, project=project, lead_days=lead_days)
    db.session.add(r)
    return r


def project(code=None, name="Hospital contract", **kw) -> Project:
    p = Project(code=code or f"P{_n()}", name=name, **kw)
    db.session.add(p)
    return p


def assignment(project_, person_, starts_on: date, ends_on: date | None = None) -> Assignment:
    a = Assignment(project=project_, person=person_, starts_on=starts_on, ends_on=ends_on)
    db.session.add(a)
    return a


def default_policy(**kw) -> ReminderPolicy:
    p = ReminderPolicy(credential_type_id=None, **kw)
    db.session.add(p)
    return p


@dataclass
class SmallOrg:
    """director -> manager -> employee; an outsider in another team; HR; admin."""

    department: Department
    other_department: Department
    role: JobRole
    director: Person
    manager: Person
    employee: Person
    outsider: Person
    outsider_manager: Person
    manager_user: User
    employee_user: User
    outsider_user: User
    reviewer_user: User
    admin_user: User
    compliance_user: User
    bls: CredentialType


def small_org() -> SmallOrg:
    dept, other = department("Nursing"), department("Facilities")
    role = job_role("RN", "Registered Nurse")
    director = person("Dee", "Director", department=dept, job_role=role)
    manager = person("Max", "Manager", manager=director, department=dept, job_role=role)
    employee = person("Erin", "Employee", manager=manager, department=dept, job_role=role)
    outsider_manager = person("Olga", "Othermanager", department=other)
    outsider = person("Oscar", "Outsider", manager=outsider_manager, department=other)
    hr = person("Hana", "Reviewer")
    admin = person("Ada", "Admin")
    compliance = person("Cory", "Compliance")
    bls = credential_type("BLS Provider", code="AHA-BLS")
    requirement(bls, job_role_=role)
    org = SmallOrg(
        department=dept, other_department=other, role=role, director=director, manager=manager,
        employee=employee, outsider=outsider, outsider_manager=outsider_manager,
        manager_user=user(manager, ("employee", "manager")),
        employee_user=user(employee, ("employee",)),
        outsider_user=user(outsider, ("employee",)),
        reviewer_user=user(hr, ("employee", "reviewer")),
        admin_user=user(admin, ("employee", "admin")),
        compliance_user=user(compliance, ("employee", "compliance")),
        bls=bls,
    )
    db.session.commit()
    return org
