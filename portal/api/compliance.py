"""Compliance of a person, a team (a manager's reporting line) or a project."""
from __future__ import annotations

from portal.api import schemas
from portal.api.auth import scope
from portal.api.common import documented_errors, make_blueprint, not_found, person_or_404
from portal.models import today
from portal.services import api_lists, compliance_report

blp = make_blueprint("api_compliance", __name__, "Who meets their role and project requirements.")


@blp.route("/people/<string:employee_id>", methods=["GET"])
@blp.arguments(schemas.ComplianceArgs, location="query")
@blp.response(200, schemas.GroupComplianceOut)
@documented_errors(blp, 404)
@scope("compliance:read")
def person_compliance(args, employee_id: str):
    """Compliance of one person"""
    return compliance_report.group_report([person_or_404(employee_id).id], args.get("on") or today())


@blp.route("/teams/<string:manager_employee_id>", methods=["GET"])
@blp.arguments(schemas.ComplianceArgs, location="query")
@blp.response(200, schemas.GroupComplianceOut)
@documented_errors(blp, 404)
@scope("compliance:read")
def team_compliance(args, manager_employee_id: str):
    """Compliance of a manager's whole reporting line (active people)"""
    manager = person_or_404(manager_employee_id)
    return compliance_report.group_report(compliance_report.team_ids(manager), args.get("on") or today())


@blp.route("/projects/<string:code>", methods=["GET"])
@blp.arguments(schemas.ComplianceArgs, location="query")
@blp.response(200, schemas.GroupComplianceOut)
@documented_errors(blp, 404)
@scope("compliance:read")
def project_compliance(args, code: str):
    """Compliance with a project's requirements of the people staffed on it that day"""
    project = api_lists.project_by_code(code)
    if project is None:
        raise not_found("project", code)
    on = args.get("on") or today()
    return compliance_report.group_report(compliance_report.staffed_ids(project, on), on,
                                          keep=lambda s: ("project", project.id) in s.sources)


BLUEPRINTS = [(blp, "/compliance")]
