"""The audit log: who changed what, when, from what to what."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, request

from portal.navigation import nav_item
from portal.rendering import render
from portal.security import role_required
from portal.routing import parse_id
from portal.services import audit_log, exports, review

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


def _person_arg() -> tuple[int | None, str | None]:
    """The person whose events are wanted: ?person=<id>, or a name / employee id typed on the page."""
    typed = (request.args.get("who_for") or "").strip()
    if not typed:
        return parse_id(request.args.get("person")), None
    found = review.people_matching(typed, limit=2)
    if len(found) == 1:
        return found[0].id, None
    return -1, ("Nobody matches that name or employee id." if not found
                else "Several people match: add the surname or the employee id.")


def _filters():
    since, since_error = _date_arg("since")
    until, until_error = _date_arg("until")
    errors = {k: v for k, v in (("since", since_error), ("until", until_error)) if v}
    person_id, person_error = _person_arg()
    if person_error:
        errors["who_for"] = person_error
    filters = audit_log.AuditFilter(
        entity_type=request.args.get("entity_type", "").strip(),
        entity_id=request.args.get("entity_id", "").strip(),
        action=request.args.get("action", "").strip(),
        actor=request.args.get("actor", "").strip(),
        since=since,
        until=until,
        person_id=person_id,
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
        describe=audit_log.describe, actor_name=audit_log.actor_name, names=audit_log.names_for(page.events),
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
    return Response(body, mimetype=exports.CSV_MIMETYPE, headers={
        "Content-Disposition": "attachment; filename=audit-log.csv"})
