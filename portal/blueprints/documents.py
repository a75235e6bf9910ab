"""Document files and page images, for whoever may see the document's person.

Files are always sent as attachments with the type sniffed from their bytes
(never the uploader's claim) and ``nosniff``, so nothing uploaded is ever
rendered inline by the browser as HTML or script. Page previews are PNGs the
portal rendered itself.
"""
from __future__ import annotations

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from portal.policies.access import REVIEW_ROLES
from portal.services import documents
from portal.services.scoping import get_document_or_404

bp = Blueprint("documents", __name__, url_prefix="/documents")


def _no_store(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/<int:document_id>/file")
@login_required
def download(document_id: int):
    document = get_document_or_404(document_id, current_user)
    path = documents.stored_path(document.sha256)
    if not path.exists():
        abort(404)
    response = send_file(
        path,
        mimetype=documents.served_type(document),
        as_attachment=True,
        download_name=documents.download_name(document),
        conditional=True,
        etag=document.sha256,
    )
    return _no_store(response)


@bp.get("/<int:document_id>/pages/<int:page>.png")
@login_required
def page_image(document_id: int, page: int):
    document = get_document_or_404(document_id, current_user)
    if page < 1 or page > max(document.pages or 1, 1):
        abort(404)
    cached = documents.preview_path(document, page)
    if not cached.exists():
        # Rendering parses the file: only for reviewers, and only for files
        # the isolated reader already read without trouble.
        if not (current_user.has_role(*REVIEW_ROLES) and documents.can_preview(document)):
            abort(404)
        try:
            cached = documents.preview(document, page)
        except Exception:
            abort(404)
    return _no_store(send_file(cached, mimetype="image/png", max_age=0))
