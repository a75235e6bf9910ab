"""One error shape for the whole API, with stable codes.

``raise ApiError(409, "duplicate", "...", details=...)`` in a view; werkzeug
and flask-smorest/webargs errors (422 validation, 404, 405, 413, 429...) are
turned into the same shape by the handlers installed on each API blueprint.
"""
from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Blueprint, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

CODES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Send a valid API token as 'Authorization: Bearer <token>'."),
    403: ("forbidden", "This token may not do that."),
    404: ("not_found", "There is no such resource."),
    405: ("method_not_allowed", "That method is not allowed here."),
    409: ("conflict", "The request conflicts with the current state."),
    413: ("payload_too_large", "The request body is larger than the limit."),
    415: ("unsupported_media_type", "Send JSON (or multipart for file uploads)."),
    422: ("validation_failed", "Some fields are invalid; see details."),
    429: ("rate_limited", "Too many requests for this token; slow down."),
    500: ("internal_error", "Something went wrong on our side; it has been logged."),
}


class ApiError(HTTPException):
    """An error with a stable code, a message for people, and optional details."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 details: Any = None, headers: dict | None = None):
        default_code, default_message = CODES.get(status, ("error", "Error."))
        self.code = status
        self.error_code = code or default_code
        self.message = message or default_message
        self.details = details
        self.extra_headers = headers or {}
        super().__init__(description=self.message)


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people"})
    details = ma.fields.Raw(allow_none=True, metadata={"description": "Field errors or other specifics"})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def error_response(status: int, code: str | None = None, message: str | None = None,
                   details: Any = None, headers: dict | None = None):
    default_code, default_message = CODES.get(status, ("error", "Error."))
    body: dict[str, Any] = {"code": code or default_code, "message": message or default_message}
    if details is not None:
        body["details"] = details
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException):
    if isinstance(error, ApiError):
        return error_response(error.code, error.error_code, error.message, error.details, error.extra_headers)
    status = error.code or 500
    if isinstance(error, InternalServerError) or status >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("API error", exc_info=original)
        return error_response(500)
    data = getattr(error, "data", None) or {}
    details = None
    message = None
    if status == 422 and "messages" in data:
        # webargs: {"json": {"field": ["msg"]}} -> keep the location, it helps.
        details = data["messages"]
    headers = dict(data.get("headers") or {})
    if status == 429:
        message = f"Rate limit exceeded ({error.description}); retry later."
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(retry_after)
    elif status == 413:
        from flask import current_app

        limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = f"The request body is larger than the {limit_mb} MB limit."
    response = error_response(status, None, message, details, headers)
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_unexpected(error: Exception):
    log.exception("Unhandled error in the API")
    return error_response(500)


def install_error_handlers(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(HTTPException, handle_http_exception)
    blueprint.register_error_handler(Exception, handle_unexpected)
