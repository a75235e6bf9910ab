"""The front door: send each role to its own home."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from portal.policies.access import landing_endpoints
from portal.rendering import render

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    landings = landing_endpoints(current_user.roles)
    if landings:
        return redirect(url_for(landings[0]))
    return render("home/welcome.html")
