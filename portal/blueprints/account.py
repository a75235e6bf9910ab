"""Your own password, first-time password links, and (for admins) who can sign in."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required, logout_user

from portal.errors import Invalid
from portal.extensions import limiter
from portal.models import ROLE_LABELS, ROLES, User
from portal.navigation import nav_item
from portal.rendering import render
from portal.security import role_required
from portal.services import accounts
from portal.services.scoping import get_person_or_404, get_row_or_404

bp = Blueprint("account", __name__)
nav_item("Users", "account.users", ("admin",), order=85)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    errors: dict[str, str] = {}
    if request.method == "POST":
        new, confirm = request.form.get("password", ""), request.form.get("confirm", "")
        if new != confirm:
            errors["confirm"] = "The two new passwords are not the same."
        else:
            try:
                accounts.change_own_password(current_user, request.form.get("current_password", ""), new)
            except Invalid as exc:
                errors.update(exc.errors)
            else:
                logout_user()
                flash("Password changed. Sign in with your new password.", "success")
                return redirect(url_for("auth.login"))
    return render("account/password.html", errors=errors, status=400 if errors else 200)


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def set_password(token: str):
    try:
        user = accounts.user_for_token(token)
    except Invalid as exc:
        return render("account/link_problem.html", message=str(exc), status=400)
    errors: dict[str, str] = {}
    if request.method == "POST":
        new, confirm = request.form.get("password", ""), request.form.get("confirm", "")
        if new != confirm:
            errors["confirm"] = "The two passwords are not the same."
        else:
            try:
                accounts.set_password_with_token(token, new)
            except Invalid as exc:
                errors.update(exc.errors)
            else:
                flash("Your password is set. Sign in to continue.", "success")
                return redirect(url_for("auth.login"))
    return render("account/set_password.html", user=user, token=token, errors=errors,
                  status=400 if errors else 200)


@bp.get("/admin/users")
@role_required("admin")
def users():
    q = (request.args.get("q") or "").strip()
    page = max(1, request.args.get("page", 1, type=int))
    listed = accounts.people_and_logins(q, bool(request.args.get("with_login")), page, per_page=25)
    return render("account/users.html", block="user_list", people=listed.rows, q=q, page=listed.page,
                  pages=listed.pages, total=listed.total, roles=ROLES, role_labels=ROLE_LABELS)


@bp.post("/admin/users/grant/<int:person_id>")
@role_required("admin")
def grant(person_id: int):
    person = get_person_or_404(person_id, current_user)
    roles = [r for r in request.form.getlist("roles") if r in ROLES]
    try:
        user, token = accounts.grant_access(person, roles, actor=current_user)
    except Invalid as exc:
        flash(str(exc), "danger")
        return redirect(url_for("account.users", q=person.email))
    link = url_for("account.set_password", token=token, _external=True)
    flash(f"{person.full_name} can now sign in: an email with a link to choose a password is on its way. "
          f"The link, to pass on yourself if needed: {link}", "success")
    return redirect(url_for("account.users", q=person.email))


@bp.post("/admin/users/<int:user_id>")
@role_required("admin")
def update(user_id: int):
    user = get_row_or_404(User, user_id)
    roles = [r for r in request.form.getlist("roles") if r in ROLES]
    try:
        accounts.update_access(user, roles, active=bool(request.form.get("active")), actor=current_user)
    except Invalid as exc:
        flash(str(exc), "danger")
    else:
        flash(f"Access for {user.email} saved.", "success")
    return redirect(url_for("account.users", q=user.email))
