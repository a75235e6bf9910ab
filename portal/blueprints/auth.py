"""Sign in and sign out."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required, logout_user

from portal.extensions import limiter
from portal.rendering import render
from portal.security import client_ip, is_safe_next, security_event, start_session
from portal.services import accounts

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _address_and_email() -> str:
    # Per address *and* account: guessing one account's password is slowed
    # down, but nobody elsewhere can lock its owner out by failing on purpose.
    return f"login:{client_ip()}:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_email)
def login():
    next_url = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_next(next_url) else url_for("home.index"))
    errors: dict[str, str] = {}
    email = ""
    if request.method == "POST":
        email = (request.form.get("email") or "").strip()
        password = request.form.get("password") or ""
        if not email:
            errors["email"] = "Enter your email address."
        if not password:
            errors["password"] = "Enter your password."
        if not errors:
            user = accounts.authenticate(email, password)
            if user is None:
                security_event("sign_in_failed", email=email.lower()[:254])
                errors["form"] = "That email and password do not match an active account."
            else:
                start_session(user, remember=bool(request.form.get("remember")))
                flash(f"Welcome back, {user.display_name}.", "success")
                return redirect(next_url if is_safe_next(next_url) else url_for("home.index"))
    status = 400 if errors else 200
    return render("auth/login.html", email=email, errors=errors, next_url=next_url, status=status,
                  **_demo_hint())


def _demo_hint() -> dict:
    """The demo accounts, on the sign-in page of a demo instance only."""
    if not current_app.config.get("SHOW_DEMO_ACCOUNTS"):
        return {}
    from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    return {"demo_accounts": DEMO_ACCOUNTS, "demo_password": DEMO_PASSWORD}


@bp.post("/logout")
@login_required
def logout():
    accounts.sign_out_everywhere(current_user)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
