"""Helpers the API modules share: pagination, sync answers, documented errors."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from portal.api.auth import current_token
from portal.api.errors import ApiError
from portal.models import Person
from portal.services import api_lists, api_tokens, people_sync
from portal.services.paging import Page
from portal.services.people_sync import SyncResult

# Every operation can answer these; documenting them keeps the spec honest
# (and lets schemathesis check response conformance).
COMMON_ERRORS = (401, 403, 422, 429)


def make_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    return Blueprint(name, import_name, description=description)


def documented_errors(blp: Blueprint, *extra: int):
    """Decorator adding the shared error responses (and ``extra``) to the docs."""

    def decorator(view):
        for status in (*COMMON_ERRORS, *extra):
            view = blp.alt_response(status, response="DEFAULT_ERROR", description=_DESCRIPTIONS[status])(view)
        return view

    return decorator


_DESCRIPTIONS = {
    400: "Bad request", 401: "No valid token", 403: "The token lacks the scope",
    404: "Not found", 409: "Conflict", 413: "Payload too large", 415: "Unsupported file type",
    422: "Invalid fields (details name them)", 429: "Rate limited",
}


def page_answer(listed: Page, per_page: int, items: list | None = None) -> dict[str, Any]:
    """A page of a list (``items``: its rows as shown, default the rows)."""
    return {"items": listed.rows if items is None else items, "page": listed.page, "per_page": per_page,
            "total": listed.total, "pages": listed.pages}


def actor() -> str:
    return api_tokens.actor_label(current_token())


def sync_answer(result: SyncResult, applied: bool) -> dict[str, Any]:
    return {"applied": applied, "counts": result.counts, "results": [o.as_dict() for o in result.outcomes]}


def finish(result: SyncResult, dry_run: bool) -> tuple[dict[str, Any], int]:
    """Committed unless a dry run (``people_sync.settle``); 200 with per-record
    outcomes either way.

    Records with errors are reported and skipped; the others are applied in
    the same transaction (all or nothing for the valid ones).
    """
    return sync_answer(result, people_sync.settle(result, dry_run)), 200


def not_found(what: str, key: Any) -> ApiError:
    return ApiError(404, "not_found", f"No {what} {key!s}.")


def person_or_404(employee_id: str) -> Person:
    person = api_lists.person_by_employee_id(employee_id)
    if person is None:
        raise not_found("person with employee id", employee_id)
    return person


def check_size(items: list) -> None:
    """413 for a bulk call over ``API_MAX_BULK`` records."""
    limit = current_app.config["API_MAX_BULK"]
    if len(items) > limit:
        raise ApiError(413, "payload_too_large", f"Send at most {limit} records per call.")
