"""The signed renewal link from a reminder email: GET shows, only POST acts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.rendering import render
from portal.services import documents, renewal_links

bp = Blueprint("renew", __name__, url_prefix="/renew")

PROBLEM_STATUS = {"tampered": 400, "expired": 410, "used": 410, "wrong_user": 403, "renewed": 410, "gone": 404}


def _problem(problem: renewal_links.LinkProblem):
    return render("renew/problem.html", problem=problem, status=PROBLEM_STATUS.get(problem.code, 400))


@bp.route("/<token>", methods=["GET", "POST"])
@login_required
def link(token: str):
    try:
        checked = renewal_links.check(token, current_user)
    except renewal_links.LinkProblem as problem:
        return _problem(problem)
    error, status = None, 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error, status = "Choose the renewed certificate to upload.", 400
        else:
            try:
                document = renewal_links.upload_renewal(checked, current_user, upload.stream, upload.filename)
            except renewal_links.LinkProblem as problem:
                return _problem(problem)
            except documents.UploadRefused as refused:  # the link stays usable
                error = refused.message
                status = {"disk_full": 507, "quota": 429}.get(refused.code, 400)
            else:
                flash("Thank you: your renewed certificate is uploaded and waiting for review.", "success")
                return redirect(url_for("me.document", document_id=document.id))
    return render("renew/link.html", link=checked, credential=checked.credential, token=token, error=error,
                  status=status if error else 200)
