"""Team pages for managers, HR and compliance: the matrix with headline
numbers, the twelve-month forecast, renew-now lists and exports."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, json, request, url_for
from flask_login import current_user
from portal.models import today
from portal.navigation import nav_item
from portal.policies.access import COMPLIANCE_VIEW_ROLES
from portal.rendering import render
from portal.security import role_required
from portal.services import exports
from portal.services import forecast as forecast_service
from portal.services import recommendations
from portal.services import team as team_service
from portal.services.scoping import get_person_or_404

bp = Blueprint("team", __name__, url_prefix="/team")
nav_item("Team", "team.overview", COMPLIANCE_VIEW_ROLES, order=20)

RENEW_PREVIEW = 5
RENEW_LIST = 200
RISK_LIST = 100  # at-risk assignments on the forecast page; the CSV has them all


def person_url(person_id: int) -> str:
    """The registry page of a person."""
    return url_for("registry.person", person_id=person_id)


@bp.context_processor
def helpers():
    return {"person_url": person_url, "status_labels": team_service.STATUS_LABELS}


def _scope():
    return team_service.scope_from_args(current_user, request.args)


def _scope_context(scope):
    return {"scope": scope, "choices": team_service.scope_choices(current_user)}


@bp.get("/managers")
@role_required(*COMPLIANCE_VIEW_ROLES)
def manager_suggestions():
    """The search box's suggestions (a large organisation's team picker), as <option>s."""
    labels = team_service.manager_suggestions(current_user, request.args.get("manager_name"))
    return render("team/_manager_suggestions.html", labels=labels)


@bp.get("")
@role_required(*COMPLIANCE_VIEW_ROLES)
def overview():
    scope = _scope()
    flt = team_service.MatrixFilter.from_args(request.args)
    on = today()
    matrix = team_service.build_matrix(scope, flt, on=on)
    # The preview is for a team; organisation- or department-wide lists are
    # long and live on the renew-now page.
    renewals = recommendations.renew_now(scope.person_ids, on=on, limit=RENEW_PREVIEW).rows if scope.root else []
    return render("team/overview.html", block="results", matrix=matrix, renewals=renewals,
                  sorts=team_service.SORTS, **_scope_context(scope))


@bp.get("/forecast")
@role_required(*COMPLIANCE_VIEW_ROLES)
def forecast():
    scope = _scope()
    result = forecast_service.team_forecast(scope, risk_limit=RISK_LIST)
    return render("team/forecast.html", block="results", forecast=result,
                  chart_json=json.dumps(result.chart_data()), **_scope_context(scope))


@bp.get("/forecast/risks.csv")
@role_required(*COMPLIANCE_VIEW_ROLES)
def risks_export():
    """Every assignment at risk in the scope, most urgent first."""
    scope = _scope()
    on = today()
    rows, _ = forecast_service.assignments_at_risk(scope, on)
    header = ["Person", "Project code", "Project", "Credential", "Missing now", "Lapses on", "Assignment ends"]
    lines = [[row.person_name, row.project_code, row.project_name, row.credential_type_name,
              "yes" if row.risk.missing else "no",
              row.risk.lapses_on.isoformat() if row.risk.lapses_on else "",
              row.risk.ends_on.isoformat() if row.risk.ends_on else "open-ended"] for row in rows]
    return _csv_response(header, lines, f"assignments-at-risk-{on.isoformat()}.csv")


@bp.get("/renewals")
@role_required(*COMPLIANCE_VIEW_ROLES)
def renewals():
    scope = _scope()
    found = recommendations.renew_now(scope.person_ids, limit=RENEW_LIST, whole_org=scope.whole_org)
    return render("team/renewals.html", block="results", rows=found.rows, total=found.total, person=None,
                  **_scope_context(scope))


@bp.get("/people/<int:person_id>/renewals")
@role_required(*COMPLIANCE_VIEW_ROLES)
def person_renewals(person_id: int):
    person = get_person_or_404(person_id, current_user)
    found = recommendations.renew_now([person.id])
    return render("team/renewals.html", rows=found.rows, total=found.total, person=person, scope=None, choices=None)


@bp.get("/export.<fmt>")
@role_required(*COMPLIANCE_VIEW_ROLES)
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    scope = _scope()
    matrix = team_service.build_matrix(scope, team_service.MatrixFilter.from_args(request.args), page_size=None)
    header, rows = team_service.export_rows(matrix)
    filename = f"team-compliance-{today().isoformat()}.{fmt}"
    if fmt == "csv":
        return _csv_response(header, rows, filename)
    workbook = exports.xlsx_bytes(header, rows, sheet="Compliance", title=f"{scope.label} — {datetime.now():%d %b %Y}",
                                  freeze="D3", widths={"A": 12, "B": 24, "C": 22})
    return _download(workbook, exports.XLSX_MIMETYPE, filename)


def _csv_response(header: list[str], rows: list[list], filename: str) -> Response:
    return _download(exports.csv_bytes(header, rows), exports.CSV_MIMETYPE, filename)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response

