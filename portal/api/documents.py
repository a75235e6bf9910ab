"""Documents: upload a certificate file for a person into the review queue."""
from __future__ import annotations

from portal.api import schemas
from portal.api.auth import current_token, scope
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from portal.api.common import documented_errors, person_or_404
from portal.api.errors import ApiError
from portal.services import api_lists, documents

class _MultipartParser(FlaskParser):
    """``files`` reads the whole multipart body (fields and files), so one
    schema describes it and the OpenAPI document shows both."""

    def load_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _MultipartParser()


blp = _Blueprint("api_documents", __name__,
                 description="Certificate files: they enter the same review queue as portal uploads.")

REFUSALS = {  # UploadRefused code -> (HTTP status, API code)
    "too_large": (413, "payload_too_large"),
    "disk_full": (507, "insufficient_storage"),
    "empty": (422, "empty_file"),
    "wrong_type": (415, "unsupported_media_type"),
    "duplicate": (409, "duplicate"),
    "wrong_credential": (422, "validation_failed"),
    "quota": (429, "upload_quota_exceeded"),
}


@blp.route("", methods=["POST"])
@blp.arguments(schemas.DocumentUploadIn, location="files")
@blp.response(201, schemas.DocumentOut)
@documented_errors(blp, 404, 409, 413, 415)
@scope("documents:write")
def upload_document(form):
    """Upload a certificate for a person

    `multipart/form-data` with `employee_id`, the `file` (PDF, PNG, JPEG,
    TIFF or HEIC; the type is read from the content, not the name) and,
    if known, the `credential_type` code. The file is read by the intake
    pipeline and waits for a reviewer like any portal upload. The same file
    twice for one person answers 409 `duplicate`; past the token's upload
    quota (files per hour, bytes per day) 429 `upload_quota_exceeded`.
    """
    person = person_or_404(form["employee_id"])
    type_id = None
    if form.get("credential_type"):
        type_id = api_lists.credential_type_id_by_code(form["credential_type"])
        if type_id is None:
            raise ApiError(422, "validation_failed", "Unknown credential type.",
                           details={"form": {"credential_type": ["Unknown credential type code."]}})
    upload = form["file"]
    if not hasattr(upload, "stream"):
        raise ApiError(422, "validation_failed", "Send the certificate as a file part named 'file'.",
                       details={"files": {"file": ["Not a file."]}})
    try:
        document = documents.upload(upload.stream, upload.filename, person, None,
                                    credential_type_id=type_id, source="api", api_token=current_token())
    except documents.UploadRefused as refused:
        status, code = REFUSALS.get(refused.code, (422, "validation_failed"))
        details = {"existing_document_id": refused.existing.id} if refused.existing is not None else None
        raise ApiError(status, code, refused.message, details=details) from None
    return document


BLUEPRINTS = [(blp, "/documents")]
