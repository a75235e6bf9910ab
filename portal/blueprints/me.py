"""The employee's own credentials, uploads and document statuses."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.routing import db_id
from portal.models import CredentialType, Document, today
from portal.navigation import nav_item
from portal.rendering import render
from portal.services import documents, registry, taxonomy
from portal.services.scoping import get_credential_or_404, get_document_or_404, get_row_or_404

bp = Blueprint("me", __name__, url_prefix="/me")
nav_item("My credentials", "me.credentials", ("employee",), order=10)


@bp.app_template_global()
def document_type_name(document: Document) -> str:
    """The credential type a document is for, in words (for status lines)."""
    ctype = taxonomy.credential_type(document.credential_type_id)
    return ctype.name if ctype else "a credential"


def _person_or_none():
    return current_user.person


@bp.get("")
@login_required
def credentials():
    person = _person_or_none()
    if person is None:
        return render("me/no_person.html")
    overview = registry.person_overview(person)
    return render("me/credentials.html", person=person, overview=overview,
                  upload=_upload_context(None, None))


def _upload_context(renews, credential_type):
    return {
        "renews": renews,
        "renews_expired": bool(renews and renews.expires_on and renews.expires_on < today()),
        "credential_type": credential_type,
        "accept": documents.ACCEPT_ATTRIBUTE,
        "accepted_types": ",".join(documents.ACCEPTED_TYPES),
        "max_bytes": documents.max_upload_bytes(),
        "max_mb": documents.max_upload_bytes() // (1024 * 1024),
    }


def _target_from(values):
    """The credential being renewed, or the type being uploaded for, if named."""
    renews = credential_type = None
    if values.get("credential"):
        try:
            renews = get_credential_or_404(db_id(values["credential"]), current_user)
        except ValueError:
            abort(404)
        if renews.person_id != current_user.person_id:
            abort(404)
        credential_type = renews.credential_type
    elif values.get("type"):
        try:
            credential_type = get_row_or_404(CredentialType, int(values["type"]))
        except ValueError:
            abort(404)
    return renews, credential_type


@bp.route("/upload", methods=["GET", "POST"])
@login_required
def upload():
    person = _person_or_none()
    if person is None:
        return render("me/no_person.html")
    renews, credential_type = _target_from(request.values)
    results, status = [], 200
    if request.method == "POST":
        files = [f for f in request.files.getlist("files") if f and f.filename]
        if not files:
            results.append({"name": "", "error": "Choose at least one file to upload."})
        for item in files:
            try:
                document = documents.upload(item.stream, item.filename, person, current_user,
                                            credential_type_id=credential_type.id if credential_type else None,
                                            renews=renews)
                results.append({"name": document.display_name, "document": document})
            except documents.UploadRefused as refused:
                results.append({"name": documents.safe_name(item.filename), "error": refused.message,
                                "code": refused.code, "existing": refused.existing})
        if results and all("error" in r for r in results):
            codes = {r.get("code") for r in results}
            status = (507 if "disk_full" in codes else 413 if "too_large" in codes
                      else 429 if "quota" in codes else 422)
        if not request.headers.get("HX-Request") and status == 200:
            ok = sum(1 for r in results if "document" in r)
            flash(f"{ok} file{'s' if ok != 1 else ''} uploaded. We are reading "
                  f"{'them' if ok != 1 else 'it'} now; HR will review the details.", "success")
    recent = documents.recent_for_person(person.id)
    return render("me/upload.html", block="upload_results", status=status, person=person, results=results,
                  recent=recent, upload=_upload_context(renews, credential_type))


@bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):
    doc = get_document_or_404(document_id, current_user)
    if doc.person_id != current_user.person_id:
        abort(404)  # the employee pages show one's own documents only
    return render("me/document.html", block="document_status", document=doc)


@bp.errorhandler(413)
def too_large(error):
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    message = f"That upload is larger than the {limit} MB limit. Upload the files one at a time, or a smaller scan."
    if request.headers.get("HX-Request"):
        return render("me/upload.html", block="upload_results", status=413, person=current_user.person,
                      results=[{"name": "", "error": message, "code": "too_large"}], recent=[],
                      upload=_upload_context(None, None))
    flash(message, "danger")
    return redirect(url_for("me.upload"))
