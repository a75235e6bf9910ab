"""Compliance of a person, a team (a manager's reporting line) or a project."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import documented_errors, make_blueprint, not_found, person_or_404
from portal.extensions import db
from portal.models import Assignment, CredentialType, JobRole, Person, Project, today
from portal.policies.compliance import SEVERITY, Status, summarise
from portal.services.compliance import people_states
from portal.services.scoping import reporting_line_ids

blp = make_blueprint("api_compliance", __name__, "Who meets their role and project requirements.")


def _answer(person_ids: list[int], on: date, keep=lambda state: True) -> dict:
    states = {pid: [s for s in found if keep(s)] for pid, found in people_states(person_ids, on).items()}
    for pid in person_ids:
        states.setdefault(pid, [])
    people = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(person_ids)))} if person_ids else {}
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


@blp.route("/people/<string:employee_id>", methods=["GET"])
@blp.arguments(schemas.ComplianceArgs, location="query")
@blp.response(200, schemas.GroupComplianceOut)
@documented_errors(blp, 404)
@scope("compliance:read")
def person_compliance(args, employee_id: str):
    """Compliance of one person"""
    return _answer([person_or_404(employee_id).id], args.get("on") or today())


@blp.route("/teams/<string:manager_employee_id>", methods=["GET"])
@blp.arguments(schemas.ComplianceArgs, location="query")
@blp.response(200, schemas.GroupComplianceOut)
@documented_errors(blp, 404)
@scope("compliance:read")
def team_compliance(args, manager_employee_id: str):
    """Compliance of a manager's whole reporting line (active people)"""
    manager = person_or_404(manager_employee_id)
    ids = list(db.session.scalars(
        select(Person.id).where(Person.id.in_(reporting_line_ids(manager.id)), Person.active.is_(True))
    ))
    return _answer(ids, args.get("on") or today())


@blp.route("/projects/<string:code>", methods=["GET"])
@blp.arguments(schemas.ComplianceArgs, location="query")
@blp.response(200, schemas.GroupComplianceOut)
@documented_errors(blp, 404)
@scope("compliance:read")
def project_compliance(args, code: str):
    """Compliance with a project's requirements of the people staffed on it that day"""
    project = db.session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise not_found("project", code)
    on = args.get("on") or today()
    ids = list(db.session.scalars(
        select(Assignment.person_id).where(
            Assignment.project_id == project.id, Assignment.overlapping(on),
        ).distinct()
    ))
    return _answer(ids, on, keep=lambda s: ("project", project.id) in s.sources)


BLUEPRINTS = [(blp, "/compliance")]
