"""Login, role checks, safe redirects and response headers."""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, session
from flask_login import current_user, user_loaded_from_cookie

from portal.extensions import db, login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    # Sessions and remember cookies carry their sign-in time (User.session_token).
    login_manager.id_attribute = "session_token"
    user_loaded_from_cookie.connect(_session_restored_from_cookie, app)
    app.after_request(set_security_headers)
    app.after_request(_log_denied_access)
    # First of all before_request hooks: an expired session ends before any
    # other hook (or extension) reads the signed-in user.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, _end_expired_session)
    hooks.insert(1, _assign_request_id)


security_log = logging.getLogger("credwatch.security")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _assign_request_id() -> None:
    # A proxy's X-Request-ID is kept (so its logs and ours agree) when it looks
    # like one; otherwise the request gets its own.
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def request_id() -> str | None:
    """This request's id (None outside a request)."""
    from flask import has_request_context

    return g.get("request_id") if has_request_context() else None


def security_event(kind: str, **details) -> None:
    """One line in the security log (ASVS 16.3): what, who, where, which request."""
    user = current_user if current_user and current_user.is_authenticated else None
    record = {
        "event": kind,
        "user_id": user.id if user else None,
        "user": user.email if user else None,
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None,
        "path": request.path,
        "ip": client_ip(),
        "request_id": request_id(),
        **details,
    }
    security_log.warning("%s %s", kind, json.dumps(record, default=str), extra={"security": record})


def _log_denied_access(response):
    # A 403, or a 404 on a route that names an object, is someone reaching
    # for something that is not theirs (or probing for what exists).
    if response.status_code == 403 or (response.status_code == 404 and request.view_args):
        security_event("access_denied", status=response.status_code)
    if g.get("request_id"):
        response.headers.setdefault("X-Request-ID", g.request_id)
    return response


def load_user(user_id: str):
    from portal.models import User

    try:
        raw_id, version, issued = user_id.split(":")
        issued_at = int(issued)
    except (ValueError, TypeError):
        return None
    # However a cookie was kept, nothing signed in longer ago than the
    # remember-cookie lifetime still counts.
    if time.time() - issued_at > _seconds(current_app.config["REMEMBER_COOKIE_DURATION"]):
        return None
    user = db.session.get(User, int(raw_id))
    # Sign-out, a password change or deactivation bump session_version, which
    # ends every session and remember cookie issued before.
    if user is None or str(user.session_version) != version or not user.active:
        return None
    return user


def start_session(user, remember: bool) -> None:
    """Sign ``user`` in on a fresh session (new CSRF token, new clock)."""
    from flask_login import login_user

    session.clear()  # nothing from before sign-in survives it, the CSRF token included
    g.pop("csrf_token", None)
    login_user(user, remember=remember)
    session["signed_in_at"] = int(time.time())


def _session_restored_from_cookie(app, user) -> None:
    session["signed_in_at"] = int(time.time())


def _end_expired_session() -> None:
    # Activity does not extend a session: it ends SESSION_ABSOLUTE_LIFETIME
    # after sign-in (a remember cookie, if any, then starts a new one).
    if "_user_id" not in session:
        return
    signed_in_at = session.get("signed_in_at")
    limit = _seconds(current_app.config["SESSION_ABSOLUTE_LIFETIME"])
    if not isinstance(signed_in_at, int) or time.time() - signed_in_at > limit:
        for key in ("_user_id", "_fresh", "_id", "signed_in_at"):
            session.pop(key, None)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


# Styles and scripts come only from our own files: no inline <style>, style=
# or <script> (htmx's own indicator <style> is switched off in base.html).
# Bootstrap's icons are data: SVGs; upload previews are blob: URLs. No page
# needs <base>, plugins, or to be framed (the Outbox's email frame sets its own).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def set_security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def role_required(*roles: str):
    """Only users holding one of ``roles`` may use the view (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be used as a post-login redirect."""
    if not target:
        return False
    if target.startswith("//") or "\\" in target:
        return False
    # CR/LF would split the Location header; no control character is a path.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


def client_ip() -> str | None:
    return request.remote_addr
