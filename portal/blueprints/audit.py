"""The audit log: who changed what, when, from what to what."""
from __future__ import annotations

from datetime import date
from functools import partial

from flask import Blueprint, Response, request

from portal.navigation import nav_item
from portal.rendering import render
from portal.security import role_required
from portal.routing import parse_id
from portal.services import audit_log, exports

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
nav_item("Audit log", "audit.log", ("admin", "compliance"), order=90)


def _date_arg(name: str) -> tuple[date | None, str | None]:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None, None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, "Use a date like 2026-11-29."


def _filters():
    since, since_error = _date_arg("since")
    until, until_error = _date_arg("until")
    errors = {k: v for k, v in (("since", since_error), ("until", until_error)) if v}
    filters = audit_log.AuditFilter(
        entity_type=request.args.get("entity_type", "").strip(),
        entity_id=request.args.get("entity_id", "").strip(),
        action=request.args.get("action", "").strip(),
        actor=request.args.get("actor", "").strip(),
        since=since,
        until=until,
        person_id=parse_id(request.args.get("person")),
    )
    return filters, errors


@bp.get("")
@role_required("admin", "compliance")
def log():
    filters, errors = _filters()
    page = audit_log.search(filters, page=request.args.get("page", 1, type=int))
    return render(
        "audit/log.html",
        block="audit_results",
        result=page,
        filters=filters,
        errors=errors,
        entity_types=audit_log.entity_types(),
        describe=partial(audit_log.describe, names=audit_log.names_for(page.events)),
    )


@bp.get("/chain")
@role_required("admin", "compliance")
def chain():
    from portal.services.audit_chain import verify

    report = verify()
    return render("audit/chain.html", report=report, status=200 if report.ok else 409)


@bp.get("/export.csv")
@role_required("admin", "compliance")
def export():
    """The filtered audit log as CSV, for auditors (formula-safe cells)."""
    filters, _ = _filters()
    body = exports.csv_bytes(audit_log.EXPORT_HEADER, audit_log.export_rows(filters))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=audit-log.csv"})
