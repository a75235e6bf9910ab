"""An employee's notification settings: email or weekly digest, where policy allows."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.errors import Invalid
from portal.navigation import nav_item
from portal.rendering import render
from portal.services import notification_settings
from portal.services.notification_settings import CHANNELS

bp = Blueprint("notifications", __name__, url_prefix="/me/notifications")
nav_item("Notifications", "notifications.preferences", ("employee",), order=90)


@bp.route("", methods=["GET", "POST"])
@login_required
def preferences():
    person = current_user.person
    if person is None:
        return render("notifications/preferences.html", person=None, allowed=False, types=[], recent=[],
                      channels=CHANNELS, error=None)
    policies = notification_settings.digest_policies()
    error = None
    if request.method == "POST":
        try:
            notification_settings.choose_channel(person, request.form.get("channel"), policies)
        except Invalid as invalid:
            error = str(invalid)
        else:
            flash("Your notification settings are saved.", "success")
            return redirect(url_for("notifications.preferences"))
    recent = notification_settings.recent_notifications(person)
    return render("notifications/preferences.html", person=person, allowed=policies.allowed,
                  default_allows=policies.default_allows, types=policies.types, recent=recent, channels=CHANNELS,
                  error=error, status=400 if error else 200)
