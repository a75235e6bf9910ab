"""Login, role checks, safe redirects and response headers."""
from __future__ import annotations

import time
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
    # First of all before_request hooks, so extensions fill ``g`` after it.
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, _fresh_request_globals)
    hooks.insert(1, _end_expired_session)


def _fresh_request_globals() -> None:
    # In production ``g`` is new for every request anyway. Tests that hold an
    # app context share it between requests (and between test clients), and
    # a user or CSRF token cached there would leak from one request to the next.
    for name in list(g):
        g.pop(name, None)


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


def set_security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )
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
