"""Compliance of a group of people as the API reports it: each person's
requirement states with the codes that name them, and the group's summary.

The groups are one person, a manager's active reporting line, or the people
staffed on a project on a day (``team_ids``, ``staffed_ids``).
"""
from __future__ import annotations

from datetime import date
from typing import Callable

from sqlalchemy import select

from portal.extensions import db
from portal.models import Assignment, CredentialType, JobRole, Person, Project
from portal.policies.compliance import SEVERITY, RequirementState, Status, summarise
from portal.services.compliance import people_states
from portal.services.scoping import reporting_line_ids


def team_ids(manager: Person) -> list[int]:
    """The active people of ``manager``'s whole reporting line."""
    return list(db.session.scalars(
        select(Person.id).where(Person.id.in_(reporting_line_ids(manager.id)), Person.active.is_(True))
    ))


def staffed_ids(project: Project, on: date) -> list[int]:
    """The people assigned to ``project`` on ``on``."""
    return list(db.session.scalars(
        select(Assignment.person_id).where(
            Assignment.project_id == project.id, Assignment.overlapping(on),
        ).distinct()
    ))


def group_report(person_ids: list[int], on: date,
                 keep: Callable[[RequirementState], bool] = lambda state: True) -> dict:
    """Everyone in ``person_ids`` by employee id, with the requirement states
    ``keep`` keeps, their worst status, and the group's summary."""
    states = {pid: [s for s in found if keep(s)] for pid, found in people_states(person_ids, on).items()}
    for pid in person_ids:
        states.setdefault(pid, [])
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))} \
        if person_ids else {}
    type_ids = {s.credential_type_id for found in states.values() for s in found}
    types = {t.id: t for t in db.session.scalars(select(CredentialType).where(CredentialType.id.in_(type_ids)))} \
        if type_ids else {}
    roles = dict(db.session.execute(select(JobRole.id, JobRole.code)).all())
    projects = dict(db.session.execute(select(Project.id, Project.code)).all())

    def source(kind: str, ident: int) -> str:
        return f"{kind}:{(roles if kind == 'role' else projects).get(ident, ident)}"

    listed = []
    for pid in sorted(person_ids, key=lambda i: people[i].employee_id):
        person, found = people[pid], states[pid]
        worst = min((s.status for s in found), key=SEVERITY.index, default=Status.COMPLIANT)
        listed.append({
            "employee_id": person.employee_id, "name": person.full_name, "active": person.active,
            "status": str(worst),
            "requirements": [{
                "credential_type": types[s.credential_type_id].code,
                "credential_type_name": types[s.credential_type_id].name,
                "status": str(s.status), "credential_id": s.credential_id, "expires_on": s.expires_on,
                "expiry_predicted": s.expiry_predicted, "days_left": s.days_left,
                "valid_today": s.valid_today,
                "required_by": [source(kind, ident) for kind, ident in s.sources],
            } for s in found],
        })
    summary = summarise(states)
    return {"on": on, "people": listed, "summary": {
        "counts": summary.counts, "total": summary.total, "people": summary.people,
        "people_compliant": summary.people_compliant, "percent_compliant": summary.percent_compliant,
        "percent_people_compliant": summary.percent_people_compliant,
    }}
