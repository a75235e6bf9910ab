"""Admin Outbox: the emails the portal wrote or sent, and addresses that fail."""
from __future__ import annotations

import email
from email import policy

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_login import current_user
from portal.models import Notification
from portal.navigation import nav_item
from portal.rendering import render
from portal.security import role_required
from portal.services import mailer, outbox
from portal.services.outbox import STATE_FILTERS
from portal.services.scoping import get_person_or_404, get_row_or_404

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
nav_item("Outbox", "outbox.index", ("admin",), order=80)
nav_item("Email problems", "outbox.failing", ("reviewer",), order=60)



@bp.get("")
@role_required("admin")
def index():
    state = request.args.get("state") or None
    if state not in STATE_FILTERS:
        state = None
    q = (request.args.get("q") or "").strip()
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    listed = outbox.messages(state, q, page, current_app.config.get("PAGE_SIZE", 25))
    return render("outbox/index.html", block="outbox_list", rows=listed.rows, state=state, q=q, page=listed.page,
                  pages=listed.pages, total=listed.total, counts=outbox.state_counts(), states=STATE_FILTERS,
                  failing=outbox.failing_people(), smtp=current_app.config.get("SMTP_HOST"))


def _message(notification: Notification):
    path = mailer.outbox_path(notification.id)
    if not path.exists():
        return None
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


@bp.get("/<int:notification_id>")
@role_required("admin")
def message(notification_id: int):
    notification = get_row_or_404(Notification, notification_id)
    msg = _message(notification)
    text = attachments = None
    if msg is not None:
        body = msg.get_body(("plain",))
        text = body.get_content() if body else ""
        attachments = [(part.get_filename(), part.get_content_type(), len(part.get_payload(decode=True) or b""))
                       for part in msg.iter_attachments()]
    return render("outbox/message.html", notification=notification, msg=msg, text=text,
                  attachments=attachments or [], resendable=mailer.RESENDABLE_STATES)


@bp.post("/<int:notification_id>/resend")
@role_required("admin")
def resend(notification_id: int):
    """An operator sends an unknown or failed message again (audited)."""
    notification = get_row_or_404(Notification, notification_id)
    if mailer.resend(notification, actor=current_user):
        flash(f"Queued to send again to {notification.recipient_email}.", "success")
    else:
        flash("Only a message whose delivery is unknown or failed can be sent again.", "error")
    return redirect(url_for("outbox.message", notification_id=notification.id))


@bp.get("/<int:notification_id>/html")
@role_required("admin")
def message_html(notification_id: int):
    """The HTML part, for a sandboxed frame: no scripts, no forms, no same origin."""
    notification = get_row_or_404(Notification, notification_id)
    msg = _message(notification)
    part = msg.get_body(("html",)) if msg is not None else None
    if part is None:
        abort(404)
    response = make_response(part.get_content())
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    # Its own policy, not the portal's: email HTML carries inline styles (mail
    # clients drop <style> and stylesheets), and the preview shows it as sent.
    # That is safe here: sandboxed (no scripts, forms or same origin), nothing
    # loads from anywhere, and only the Outbox page may frame it.
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<int:notification_id>/eml")
@role_required("admin")
def message_eml(notification_id: int):
    notification = get_row_or_404(Notification, notification_id)
    path = mailer.outbox_path(notification.id)
    if not path.exists():
        abort(404)
    response = make_response(path.read_bytes())
    response.headers["Content-Type"] = "message/rfc822"
    response.headers["Content-Disposition"] = f'attachment; filename="credwatch-{notification.id}.eml"'
    return response


@bp.get("/failing")
@role_required("reviewer", "admin")
def failing():
    return render("outbox/failing.html", failing=outbox.failing_people())


@bp.post("/failing/<int:person_id>/clear")
@role_required("reviewer", "admin")
def clear_failing(person_id: int):
    person = get_person_or_404(person_id, current_user)
    if person.email_failing_since is not None:
        mailer.clear_address_failing(person, actor=current_user)
        flash(f"{person.full_name}’s address will be tried again.", "success")
    return redirect(url_for("outbox.index") if request.form.get("back") == "outbox" else url_for("outbox.failing"))
