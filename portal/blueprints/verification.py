"""Verification: check a credential now (with its document or a badge file),
and the admin's sources, trust roots, roster imports and runs."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_login import current_user

from portal.errors import Invalid
from portal.navigation import nav_item
from portal.policies.access import REVIEW_ROLES
from portal.policies.verification import STATUSES
from portal.rendering import render
from portal.security import role_required
from portal.services import verification
from portal.services.documents import UploadRefused
from portal.services.scoping import get_credential_or_404
from portal.services.verification import SourceUnavailable, admin, checks_for_upload, rosters, runs

bp = Blueprint("verification", __name__)
VERIFY_ROLES = (*REVIEW_ROLES, "compliance")
ADMIN_VIEW_ROLES = ("admin", "compliance")
nav_item("Verification", "verification.admin_page", ADMIN_VIEW_ROLES, order=86)


bp.record_once(lambda state: state.app.jinja_env.globals.update(verification_statuses=STATUSES))


@bp.app_template_global()
def verification_standing(credential):
    return verification.standing(credential)


@bp.app_template_global()
def verification_standings(credentials):
    """Standings by credential id, for credentials or their ids (the team matrix has ids only)."""
    return verification.standings([c if isinstance(c, int) else c.id for c in credentials])


@bp.app_template_global()
def person_exclusions(person):
    return rosters.open_exclusions(person.id)


@bp.app_template_global()
def verification_history(credential):
    return verification.history(credential)


@bp.post("/credentials/<int:credential_id>/verify")
@role_required(*VERIFY_ROLES)
def verify(credential_id: int):
    credential = get_credential_or_404(credential_id, current_user)
    upload = request.files.get("file")
    try:
        if upload and upload.filename:
            result = checks_for_upload(credential, upload.stream, upload.filename, actor=current_user)
        else:
            result = verification.verify(credential, actor=current_user)
    except (UploadRefused, Invalid) as refused:
        flash(f"{getattr(refused, 'message', None) or refused} Nothing was recorded.", "danger")
    except SourceUnavailable as down:  # raised before verify records anything
        runs.source_down(credential, str(down), actor=current_user)
        flash(f"The source could not be reached ({down}); the standing is unchanged. Try again later.", "warning")
    else:
        flash(f"Checked: {result.detail}", "danger" if result.outcome == "failed" else "success")
    return redirect(url_for("registry.credential", credential_id=credential.id, _anchor="verification"))


# --- admin: sources, policies, trust roots, roster imports, runs -------------------------


def _admin_page(errors=None, status=200, form=None):
    return render("verification/admin.html", overview=admin.overview(), errors=errors or {}, form=form or {},
                  methods=admin.METHOD_LABELS, status=status)


@bp.get("/admin/verification")
@role_required(*ADMIN_VIEW_ROLES)
def admin_page():
    return _admin_page()


@bp.post("/admin/verification/policies")
@role_required(*ADMIN_VIEW_ROLES)
def save_policy():
    try:
        admin.save_policy(request.form, actor=current_user)
    except Invalid as invalid:
        return _admin_page({invalid.field or "form": invalid.message}, 422, dict(request.form.items()))
    flash("Verification policy saved.", "success")
    return redirect(url_for(".admin_page", _anchor="policies"))


@bp.post("/admin/verification/roots")
@role_required(*ADMIN_VIEW_ROLES)
def add_root():
    upload = request.files.get("certificate")
    try:
        if not upload or not upload.filename:
            raise Invalid("Choose a root certificate file (PEM or DER).", field="certificate")
        root = verification.add_trust_root(upload.read(1024 * 1024), actor=current_user)
    except Invalid as invalid:
        return _admin_page({invalid.field or "certificate": invalid.message}, 422)
    flash(f"Trusted for signed PDFs: {root.name}.", "success")
    return redirect(url_for(".admin_page", _anchor="roots"))


@bp.post("/admin/verification/imports")
@role_required(*ADMIN_VIEW_ROLES)
def import_roster():
    upload = request.files.get("file")
    try:
        if not upload or not upload.filename:
            raise Invalid("Choose a roster or exclusion file (CSV, .xlsx or .xls).", field="file")
        record = rosters.submit(upload.stream, upload.filename, request.form.get("kind", ""),
                                actor=current_user, source=request.form.get("source") or None)
    except Invalid as invalid:
        return _admin_page({invalid.field or "file": invalid.message}, 422, dict(request.form.items()))
    flash(f"{record.original_name} is stored and queued for import; its progress shows below.", "success")
    return redirect(url_for(".admin_page", _anchor=f"import-{record.id}"))


@bp.get("/admin/verification/imports/<int:import_id>")
@role_required(*ADMIN_VIEW_ROLES)
def import_status(import_id: int):
    """One import: the whole page, or (HTMX, polled while it runs) its status item."""
    return render("verification/import.html", block="import_status", record=admin.import_or_404(import_id))


@bp.post("/admin/verification/imports/<int:import_id>/retry")
@role_required(*ADMIN_VIEW_ROLES)
def retry_import(import_id: int):
    """Try a failed import again. HTMX gets the status item back (waiting, then polling); without
    JS the import's page, with what happened said at the top."""
    record = admin.import_or_404(import_id)
    try:
        rosters.retry(record.id, actor=current_user)
        said = (f"{record.original_name} is queued again; it goes on after the rows already applied.", "success")
    except Invalid as invalid:  # it is not failed any more: the item shows what it is now
        said = (invalid.message, "warning")
    if request.headers.get("HX-Request"):  # (the row reloads: retry's update expired it)
        return render("verification/import.html", block="import_status", record=record)
    flash(*said)
    return redirect(url_for(".import_status", import_id=import_id))


@bp.get("/admin/verification/export.csv")
@role_required(*ADMIN_VIEW_ROLES)
def export():
    from portal.services.exports import CSV_MIMETYPE

    response = Response(admin.export_csv(), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = "attachment; filename=verifications.csv"
    return response
