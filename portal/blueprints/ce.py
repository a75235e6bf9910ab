"""CE/CPE activities logged against a credential's renewal cycle."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.errors import Invalid
from portal.models import CeActivity, today
from portal.policies.recommendations import ce_hours_to_earn
from portal.rendering import render
from portal.services.renewal_slack import ce_hours_logged
from portal.services import setup as setup_service
from portal.services.scoping import get_credential_or_404, get_row_or_404

bp = Blueprint("ce", __name__)
# Besides the holder, who may log or remove activities for someone else.
LOG_FOR_OTHERS_ROLES = ("reviewer", "admin", "compliance")


def _may_log(credential) -> bool:
    return credential.person_id == current_user.person_id or current_user.has_role(*LOG_FOR_OTHERS_ROLES)


def _page(credential, values=None, errors=None, status=200):
    logged = ce_hours_logged([credential.id]).get(credential.id, 0.0)
    required = credential.credential_type.ce_hours
    outstanding = ce_hours_to_earn(required, logged)
    return render("ce/credential.html", credential=credential, logged=logged,
                  required=required, outstanding=outstanding, may_log=_may_log(credential),
                  values=values or {"completed_on": today().isoformat()}, errors=errors or {}, status=status)


@bp.get("/credentials/<int:credential_id>/ce")
@login_required
def credential(credential_id: int):
    return _page(get_credential_or_404(credential_id, current_user))


@bp.post("/credentials/<int:credential_id>/ce")
@login_required
def log(credential_id: int):
    credential = get_credential_or_404(credential_id, current_user)
    if not _may_log(credential):
        abort(403)
    try:
        activity = setup_service.log_ce_activity(credential, request.form, actor=current_user, on=today())
    except Invalid as exc:
        return _page(credential, values=request.form, errors=exc.errors, status=422)
    flash(f"Logged {activity.hours:g} CE hours: {activity.title}.", "success")
    return redirect(url_for("ce.credential", credential_id=credential.id))


@bp.post("/credentials/<int:credential_id>/ce/<int:activity_id>/delete")
@login_required
def delete(credential_id: int, activity_id: int):
    credential = get_credential_or_404(credential_id, current_user)
    activity = get_row_or_404(CeActivity, activity_id)
    if activity.credential_id != credential.id:
        abort(404)
    if not _may_log(credential):
        abort(403)
    setup_service.delete_ce_activity(activity, actor=current_user)
    flash("Activity removed.", "success")
    return redirect(url_for("ce.credential", credential_id=credential.id))
