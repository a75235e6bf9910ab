"""What the admin setup pages list and count.

The setup views render these; the changes themselves are ``portal.services.setup``.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import (
    Assignment,
    CredentialType,
    Issuer,
    JobRole,
    Person,
    Project,
    ReminderPolicy,
    Requirement,
    today,
)
from portal.services import recommendations


def _count(query) -> int:
    return db.session.scalar(query) or 0


def overview_counts() -> dict[str, int]:
    """The numbers on the setup overview's cards."""
    return {
        "role_requirements": _count(select(func.count(Requirement.id)).where(Requirement.job_role_id.is_not(None))),
        "project_requirements": _count(select(func.count(Requirement.id)).where(
            Requirement.project_id.is_not(None))),
        "projects": _count(select(func.count(Project.id)).where(Project.active)),
        # current or upcoming: runs on some day from today on
        "assignments": _count(select(func.count(Assignment.id)).where(Assignment.overlapping(today(), date.max))),
        "policies": _count(select(func.count(ReminderPolicy.id))),
        "types": _count(select(func.count(CredentialType.id))),
        "issuers": _count(select(func.count(Issuer.id))),
        "suggestions": len(recommendations.learned_validity()),
    }


def credential_types() -> list[CredentialType]:
    """Every credential type by name, with its issuer loaded."""
    return db.session.scalars(
        select(CredentialType).options(selectinload(CredentialType.issuer)).order_by(CredentialType.name)
    ).all()


def requirement_choices() -> dict[str, list]:
    """What a requirement can name: types, roles and projects, by name."""
    return {
        "types": credential_types(),
        "roles": db.session.scalars(select(JobRole).order_by(JobRole.name)).all(),
        "projects": db.session.scalars(select(Project).order_by(Project.name)).all(),
    }


def _grouped(groups: dict) -> list[tuple]:
    """(owner, requirements) pairs, owners by name and requirements by type name."""
    return sorted(((owner, sorted(reqs, key=lambda r: r.credential_type.name)) for owner, reqs in groups.items()),
                  key=lambda pair: pair[0].name)


def requirements_by_owner() -> tuple[list[tuple], list[tuple]]:
    """Every requirement grouped by the role, and by the project, that asks for it."""
    reqs = db.session.scalars(
        select(Requirement).options(selectinload(Requirement.credential_type),
                                    selectinload(Requirement.job_role), selectinload(Requirement.project))
    ).all()
    by_role: dict = {}
    by_project: dict = {}
    for req in reqs:
        if req.job_role_id is not None:
            by_role.setdefault(req.job_role, []).append(req)
        else:
            by_project.setdefault(req.project, []).append(req)
    return _grouped(by_role), _grouped(by_project)


def projects_with_assignment_counts() -> list[tuple[Project, int]]:
    """Active projects first, then by name, each with its number of assignments."""
    return db.session.execute(
        select(Project, func.count(Assignment.id))
        .outerjoin(Assignment, Assignment.project_id == Project.id)
        .group_by(Project.id)
        .order_by(Project.active.desc(), Project.name)
    ).all()


def project_assignments(project: Project) -> list[Assignment]:
    return db.session.scalars(
        select(Assignment).options(selectinload(Assignment.person))
        .where(Assignment.project_id == project.id).order_by(Assignment.starts_on)
    ).all()


def assignable_people() -> list:
    """Active people (id, names, employee id) for the assignment picker."""
    return db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.employee_id)
        .where(Person.active).order_by(Person.last_name, Person.first_name)
    ).all()


def policies_overview() -> tuple[ReminderPolicy | None, list[ReminderPolicy], list[CredentialType]]:
    """The default policy, the types' own policies by type name, and the
    types that follow the default (which a new override can name)."""
    rows = db.session.scalars(select(ReminderPolicy).options(selectinload(ReminderPolicy.credential_type))).all()
    default = next((p for p in rows if p.credential_type_id is None), None)
    overrides = sorted((p for p in rows if p.credential_type_id is not None), key=lambda p: p.credential_type.name)
    taken = {p.credential_type_id for p in overrides}
    return default, overrides, [t for t in credential_types() if t.id not in taken]


def policy_for(type_id: int | None) -> ReminderPolicy | None:
    """A type's own policy, or the organisation default for None."""
    column = ReminderPolicy.credential_type_id
    return db.session.scalar(select(ReminderPolicy).where(column.is_(None) if type_id is None else column == type_id))


def issuers_with_types() -> list[Issuer]:
    return db.session.scalars(
        select(Issuer).options(selectinload(Issuer.credential_types)).order_by(Issuer.name)
    ).all()
