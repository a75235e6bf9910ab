"""What the JSON API looks up by the integrations' keys and lists a page at a time.

The routes in ``portal.api`` shape the answers and say 404 or 422; the rows
come from here. A key that matches nothing answers None.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from portal.extensions import db
from portal.models import (Assignment, Credential, CredentialType, Department, JobRole, Person, Project, Requirement,
                           today)
from portal.services.compliance import PolicyBook
from portal.services.display_states import state_clause
from portal.services.paging import Page, page_of

RECORD_STATES = ("superseded", "revoked")  # a ``state`` filter that is the stored record state, not a reading


def person_by_employee_id(employee_id: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.employee_id == employee_id))


def project_by_code(code: str) -> Project | None:
    return db.session.scalar(select(Project).where(Project.code == code))


def credential_type_id_by_code(code: str) -> int | None:
    return db.session.scalar(select(CredentialType.id).where(CredentialType.code == code))


def credential_by_id(credential_id: int) -> Credential | None:
    return db.session.get(Credential, credential_id)


def people(filters: Mapping[str, Any], page: int, per_page: int) -> Page:
    """People by employee id, filtered by ``active``, ``department`` (name),
    ``job_role`` (code) and ``manager_employee_id``; a page past the end is empty."""
    query = select(Person).options(
        selectinload(Person.job_role), selectinload(Person.department), selectinload(Person.manager)
    ).order_by(Person.employee_id)
    if "active" in filters:
        query = query.where(Person.active.is_(filters["active"]))
    if filters.get("department"):
        query = query.join(Department, Person.department_id == Department.id).where(
            Department.name == filters["department"])
    if filters.get("job_role"):
        query = query.join(JobRole, Person.job_role_id == JobRole.id).where(JobRole.code == filters["job_role"])
    if filters.get("manager_employee_id"):
        manager = aliased(Person)
        query = query.join(manager, Person.manager_id == manager.id).where(
            manager.employee_id == filters["manager_employee_id"])
    return page_of(query, page, per_page, clamp=False)


def projects(page: int, per_page: int) -> Page:
    """Projects by code, their requirements (and those's types) loaded."""
    query = select(Project).options(
        selectinload(Project.requirements).selectinload(Requirement.credential_type)
    ).order_by(Project.code)
    return page_of(query, page, per_page, clamp=False)


def project_assignments(project: Project) -> list[Assignment]:
    """Who is staffed on ``project``, by start date."""
    return db.session.scalars(
        select(Assignment).where(Assignment.project_id == project.id)
        .options(selectinload(Assignment.person), selectinload(Assignment.project))
        .order_by(Assignment.starts_on, Assignment.id)
    ).all()


def credentials(filters: Mapping[str, Any], page: int, per_page: int, policies: PolicyBook) -> Page:
    """Credentials by expiry (none last), filtered by person (``employee_id``),
    ``credential_type`` (code), ``state`` as it reads today under ``policies``,
    ``record_state``, ``source`` and an inclusive expiry window."""
    query = (
        select(Credential)
        .join(Person, Credential.person_id == Person.id)
        .join(CredentialType, Credential.credential_type_id == CredentialType.id)
        .options(selectinload(Credential.person),
                 selectinload(Credential.credential_type).selectinload(CredentialType.issuer))
        .order_by(Credential.expires_on.is_(None), Credential.expires_on, Credential.id)
    )
    state = filters.get("state")
    if state in RECORD_STATES:
        query = query.where(Credential.state == state)
    elif filters.get("record_state"):
        query = query.where(Credential.state == filters["record_state"])
    if filters.get("employee_id"):
        query = query.where(Person.employee_id == filters["employee_id"])
    if filters.get("credential_type"):
        query = query.where(CredentialType.code == filters["credential_type"])
    if filters.get("source"):
        query = query.where(Credential.source == filters["source"])
    if filters.get("expires_after"):
        query = query.where(Credential.expires_on >= filters["expires_after"])
    if filters.get("expires_before"):
        query = query.where(Credential.expires_on <= filters["expires_before"])
    if state and state not in RECORD_STATES:
        query = query.where(state_clause(state, today(), policies))
    return page_of(query, page, per_page, clamp=False)
