"""Bearer-token authentication, scopes, and per-token rate limits.

Cookies never authenticate the API: a signed-in portal session is ignored
here, only ``Authorization: Bearer`` counts.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request

from portal.api.errors import ApiError
from portal.extensions import limiter
from portal.models import ApiToken
from portal.services import api_tokens

_SCOPE_ATTR = "_api_scope"
_ENVIRON_KEY = "credwatch.api_token"


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> ApiToken | None:
    """The token of this request (looked up once per request).

    Cached in the WSGI environ rather than on ``g``: an app context can
    outlive one request (tests, CLI), a request's environ cannot.
    """
    if _ENVIRON_KEY not in request.environ:
        request.environ[_ENVIRON_KEY] = api_tokens.authenticate(_bearer())
    return request.environ[_ENVIRON_KEY]


def rate_limit_key() -> str:
    token = current_token()
    return f"api-token:{token.id}" if token else f"api-anon:{request.remote_addr}"


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _authenticate() -> None:
    if request.method == "OPTIONS":
        return
    if any(isinstance(v, str) and "\x00" in v for v in (request.view_args or {}).values()):
        raise ApiError(404, "not_found", "There is no such resource.")
    token = current_token()
    if token is None:
        raise ApiError(401, "unauthorized",
                       "Missing, unknown, revoked or expired token. Send 'Authorization: Bearer <token>'.",
                       headers={"WWW-Authenticate": 'Bearer realm="credwatch"'})
    view = current_app.view_functions.get(request.endpoint)
    scope = getattr(view, _SCOPE_ATTR, None)
    if scope is None or scope not in (token.scopes or []):
        raise ApiError(403, "insufficient_scope", f"This token lacks the '{scope}' scope.",
                       details={"required_scope": scope, "token_scopes": list(token.scopes or [])},
                       headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'})
    api_tokens.touch(token)


def install_auth(blueprint: Blueprint) -> None:
    # Flask-Limiter checks limits in an app-wide before_request, which runs
    # before this blueprint's; its key function resolves the token itself.
    limiter.limit(_rate_limit, key_func=rate_limit_key)(blueprint)
    blueprint.before_request(_authenticate)


def scope(name: str):
    """The scope an operation needs: checked before the view runs, and named
    in the OpenAPI document (``x-required-scope`` and the 403 response).

    Put it closest to the function: flask-smorest's decorators copy the
    attribute outward with ``functools.wraps``.
    """

    def decorator(view):
        setattr(view, _SCOPE_ATTR, name)
        apidoc = view.__dict__.setdefault("_apidoc", {})
        manual = apidoc.setdefault("manual_doc", {})
        manual["x-required-scope"] = name
        return view

    return decorator
