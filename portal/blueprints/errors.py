"""Error pages that say what happened and what to do next."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.rendering import render

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not give access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Conflict", "Someone else changed this at the same time. Reload and try again."),
    413: ("File too large", "That upload is larger than the limit."),
    429: ("Too many attempts", "Please wait a minute before trying again."),
    500: ("Something went wrong", "The error has been logged. Please try again."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def _error_response(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, ("Error", "Something went wrong."))
    if _wants_json():
        response = jsonify({"error": {"code": title.lower().replace(" ", "_"), "message": message or default}})
        response.status_code = code
        return response
    return render("errors/error.html", code=code, title=title, message=message or default, status=code)


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    return _error_response(400, "Your form expired or was sent from elsewhere. Reload the page and try again.")


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if error.code in (301, 302, 303, 307, 308) or error.code is None:
        return error
    message = None
    if error.code == 413:
        from flask import current_app

        limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = f"That upload is larger than the {limit_mb} MB limit."
    elif error.code in (400, 409, 422) and error.description and error.description != type(error).description:
        message = error.description
    return _error_response(error.code, message)


@bp.app_errorhandler(500)
def server_error(error):
    return _error_response(500)
