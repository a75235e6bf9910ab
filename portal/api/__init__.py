"""The JSON API for integrations (``/api/v1``), documented by flask-smorest.

Authentication is a bearer token (``Authorization: Bearer cw_...``) made by an
admin in the portal; cookies never authenticate here, and the API is exempt
from CSRF for that reason. Each operation needs one scope. Errors are always::

    {"error": {"code": "<stable code>", "message": "<for people>", "details": ...}}

The OpenAPI document is generated from the code at ``/api/v1/openapi.json``;
``/api/v1/docs`` is a browsable page rendered from the same document.
"""
from __future__ import annotations

import threading

from flask import Flask
from flask_smorest import Api as SmorestApi

from portal.api.errors import ErrorSchema, install_error_handlers

API_PREFIX = "/api/v1"
_SETUP_LOCK = threading.Lock()
SECURITY_SCHEME = "bearerAuth"


class Api(SmorestApi):
    """flask-smorest without its app-wide error handler.

    flask-smorest registers a handler for every HTTPException in the whole app;
    the portal keeps its own pages for those, and the API blueprints answer
    with the API's error shape (see ``portal.api.errors``).
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


def current_api() -> Api:
    from flask import current_app

    return current_app.extensions["credwatch_api"]


def init_api(app: Flask) -> Api:
    from portal.api import compliance, credentials, docs, documents, people, projects
    from portal.api.auth import install_auth
    from portal.extensions import csrf
    from portal.routing import DatabaseIdConverter, openapi_schema

    app.config.setdefault("API_TITLE", "Credwatch API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_RATE_LIMIT", "600 per minute")
    app.config.setdefault("API_MAX_BULK", 5000)
    # Webhooks may reach loopback/private/link-local addresses only when set
    # (CREDWATCH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true); see services/webhooks.py.
    app.config.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {
            SECURITY_SCHEME: {"type": "http", "scheme": "bearer",
                              "description": "A token made in the portal under Admin → API tokens."},
        }},
        "security": [{SECURITY_SCHEME: []}],
    })
    api = Api(app)
    api.register_converter(DatabaseIdConverter, openapi_schema)
    app.extensions["credwatch_api"] = api
    for module in (people, projects, credentials, documents, compliance):
        for blueprint, prefix in module.BLUEPRINTS:
            with _SETUP_LOCK:  # apps built by several threads at once set up blueprints once
                if not getattr(blueprint, "_credwatch_ready", False):  # once per process
                    install_auth(blueprint)
                    install_error_handlers(blueprint)
                    blueprint._credwatch_ready = True
            csrf.exempt(blueprint)
            api.register_blueprint(blueprint, url_prefix=f"{API_PREFIX}{prefix}")
    with _SETUP_LOCK:
        if not getattr(docs.bp, "_credwatch_ready", False):
            install_error_handlers(docs.bp)
            docs.bp._credwatch_ready = True
    app.register_blueprint(docs.bp, url_prefix=API_PREFIX)
    return api


DESCRIPTION = """\
Connect HRIS, staffing and contract systems to Credwatch.

**Authentication.** Send `Authorization: Bearer <token>`; an admin makes
tokens in the portal (Admin → API tokens), each with scopes. A call outside
the token's scopes answers 403 `insufficient_scope`.

**Errors** are JSON: `{"error": {"code", "message", "details"}}`. Codes:
`unauthorized` (401), `insufficient_scope` (403), `not_found` (404),
`conflict` / `duplicate` (409), `payload_too_large` (413),
`validation_failed` (422, `details` names the fields), `rate_limited` (429).

**Rate limits** are per token; `X-RateLimit-*` headers say where you stand.

**Upserts are idempotent**: sending the same people twice changes nothing the
second time. People are keyed by the HRIS employee id.
"""
