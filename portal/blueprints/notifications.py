"""An employee's notification settings: email or weekly digest, where policy allows."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.extensions import db
from portal.models import CredentialType, Notification, ReminderPolicy
from portal.navigation import nav_item
from portal.rendering import render
from portal.services import audit

bp = Blueprint("notifications", __name__, url_prefix="/me/notifications")
nav_item("Notifications", "notifications.preferences", ("employee",), order=90)

CHANNELS = {"email": "Each reminder by email", "digest": "One weekly digest"}


def _digest_policies():
    """Whether the default policy allows a digest, and the types whose own policy does."""
    rows = db.session.execute(
        select(ReminderPolicy.credential_type_id, ReminderPolicy.allow_digest, CredentialType.name)
        .outerjoin(CredentialType, CredentialType.id == ReminderPolicy.credential_type_id)
    ).all()
    default = next((allow for type_id, allow, _ in rows if type_id is None), False)
    types = sorted(name for type_id, allow, name in rows if type_id is not None and allow)
    return default, types


@bp.route("", methods=["GET", "POST"])
@login_required
def preferences():
    person = current_user.person
    if person is None:
        return render("notifications/preferences.html", person=None, allowed=False, types=[], recent=[],
                      channels=CHANNELS, error=None)
    default_allows, types = _digest_policies()
    allowed = default_allows or bool(types)
    error = None
    if request.method == "POST":
        channel = request.form.get("channel")
        if channel not in CHANNELS:
            error = "Choose one of the options."
        elif channel == "digest" and not allowed:
            error = "Your organisation’s policy sends every reminder by email."
        else:
            if channel != person.notification_channel:
                before = audit.snapshot(person, ("notification_channel",))
                person.notification_channel = channel
                audit.record("person.notification_channel", person, before=before,
                             after=audit.snapshot(person, ("notification_channel",)))
                db.session.commit()
            flash("Your notification settings are saved.", "success")
            return redirect(url_for("notifications.preferences"))
    recent = db.session.scalars(
        select(Notification).where(Notification.recipient_person_id == person.id)
        .order_by(Notification.id.desc()).limit(10)
    ).all()
    return render("notifications/preferences.html", person=person, allowed=allowed, default_allows=default_allows,
                  types=types, recent=recent, channels=CHANNELS, error=error, status=400 if error else 200)
