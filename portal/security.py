"""Login, role checks, safe redirects and response headers."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, g, request
from flask_login import current_user

from portal.extensions import db, login_manager


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    app.after_request(set_security_headers)
    # First of all before_request hooks, so extensions fill ``g`` after it.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)


def _fresh_request_globals() -> None:
    # In production ``g`` is new for every request anyway. Tests that hold an
    # app context share it between requests (and between test clients), and
    # a user or CSRF token cached there would leak from one request to the next.
    for name in list(g):
        g.pop(name, None)


def load_user(user_id: str):
    from portal.models import User

    try:
        raw_id, version = user_id.split(":")
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    # A password change bumps session_version, which logs out old sessions.
    if user is None or str(user.session_version) != version or not user.active:
        return None
    return user


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
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/")


def client_ip() -> str | None:
    return request.remote_addr
