"""Verification: check a credential now (with its document or a badge file),
and the admin's sources, trust roots, roster imports and runs."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from portal.errors import Invalid
from portal.policies.access import REVIEW_ROLES
from portal.security import role_required
from portal.services import verification
from portal.services.documents import UploadRefused
from portal.services.scoping import get_credential_or_404
from portal.services.verification import SourceUnavailable, checks_for_upload

bp = Blueprint("verification", __name__)
VERIFY_ROLES = (*REVIEW_ROLES, "compliance")


@bp.app_template_global()
def verification_standing(credential):
    return verification.standing(credential)


@bp.app_template_global()
def verification_standings(credentials):
    return verification.standings([c.id for c in credentials])


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
        return redirect(url_for("registry.credential", credential_id=credential.id, _anchor="verification"))
    except SourceUnavailable as down:
        flash(f"The source could not be reached ({down}); the standing is unchanged. Try again later.", "warning")
        return redirect(url_for("registry.credential", credential_id=credential.id, _anchor="verification"))
    flash(f"Checked: {result.detail}", "danger" if result.outcome == "failed" else "success")
    return redirect(url_for("registry.credential", credential_id=credential.id, _anchor="verification"))
