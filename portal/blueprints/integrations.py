"""Admin pages for connected systems: API tokens, webhooks and their delivery
log, and spreadsheet imports (upload, map, preview, apply)."""
from __future__ import annotations

import math

from flask import Blueprint, Response, abort, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from portal.errors import Invalid
from portal.models import API_SCOPES, ApiToken, Webhook, WebhookDelivery
from portal.navigation import nav_item
from portal.policies.access import ADMIN_ROLES
from portal.rendering import render
from portal.security import role_required
from portal.services import api_tokens, exports, imports, spreadsheets, webhooks
from portal.services.scoping import get_row_or_404

bp = Blueprint("integrations", __name__, url_prefix="/admin/integrations")
nav_item("Integrations", "integrations.imports_page", ADMIN_ROLES, order=85)

SESSION_KEY = "import_ids"
PREVIEW_PAGE = 100


@bp.before_request
@login_required
@role_required(*ADMIN_ROLES)
def _admins_only():
    return None


# --- API tokens -------------------------------------------------------------

@bp.route("/tokens", methods=["GET", "POST"])
def tokens():
    errors, form, secret, new_token = {}, {}, None, None
    if request.method == "POST":
        form = {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes")}
        try:
            new_token, secret = api_tokens.create_token(form["name"], form["scopes"], actor=current_user)
        except Invalid as error:
            errors.update(error.errors)
    status = 422 if errors else 200
    response = render("integrations/tokens.html", tokens=api_tokens.list_tokens(), errors=errors, form=form,
                      secret=secret, new_token=new_token, scopes=API_SCOPES, labels=api_tokens.SCOPE_LABELS,
                      status=status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the secret is shown once
    return response


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_token(token_id: int):
    token = get_row_or_404(ApiToken, token_id)
    api_tokens.revoke_token(token, actor=current_user)
    flash(f"Token “{token.name}” revoked; calls with it now answer 401.", "success")
    return redirect(url_for(".tokens"))


# --- webhooks ---------------------------------------------------------------

@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks_page():
    errors, form, secret = {}, {"events": list(webhooks.EVENTS)}, None
    if request.method == "POST":
        form = {"url": request.form.get("url", ""), "events": request.form.getlist("events")}
        try:
            _, secret = webhooks.create_webhook(form["url"], form["events"], actor=current_user)
            form = {"events": list(webhooks.EVENTS)}
        except Invalid as error:
            errors.update(error.errors)
    hooks = webhooks.hooks()
    stats = webhooks.delivery_stats([h.id for h in hooks])
    response = render("integrations/webhooks.html", hooks=hooks, stats=stats, errors=errors, form=form,
                      secret=secret, events=webhooks.EVENTS, status=422 if errors else 200)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/webhooks/<int:hook_id>", methods=["GET", "POST"])
def webhook(hook_id: int):
    hook = get_row_or_404(Webhook, hook_id)
    errors, secret = {}, None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "update":
            try:
                webhooks.update_webhook(hook, request.form.get("url", ""), request.form.getlist("events"),
                                        active=request.form.get("active") == "1", actor=current_user)
                flash("Webhook saved.", "success")
                return redirect(url_for(".webhook", hook_id=hook.id))
            except Invalid as error:
                errors.update(error.errors)
        elif action == "rotate":
            secret = webhooks.rotate_secret(hook, actor=current_user)
        elif action == "test":
            webhooks.send_test(hook, actor=current_user)
            flash("Test delivery queued; it appears in the log below.", "info")
            return redirect(url_for(".webhook", hook_id=hook.id))
        else:
            abort(400)
    state = request.args.get("state") or None
    page = max(request.args.get("page", 1, type=int), 1)
    log = webhooks.delivery_log(hook, state, page)
    response = render("integrations/webhook.html", block="delivery_log" if request.method == "GET" else None,
                      hook=hook, deliveries=log.rows, state=state, states=webhooks.STATES, page=log.page,
                      pages=log.pages, total=log.total, events=webhooks.EVENTS,
                      errors=errors, secret=secret, max_attempts=webhooks.MAX_ATTEMPTS,
                      status=422 if errors else 200)
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/webhooks/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
def redeliver(delivery_id: int):
    delivery = get_row_or_404(WebhookDelivery, delivery_id)
    webhooks.redeliver(delivery, actor=current_user)
    flash(f"Delivery {delivery.id} queued again.", "info")
    return redirect(url_for(".webhook", hook_id=delivery.webhook_id))


# --- imports ----------------------------------------------------------------

def _own_upload(import_id: str) -> imports.Upload:
    """The upload, only for the user who made it in this session (404 otherwise)."""
    if import_id not in session.get(SESSION_KEY, []):
        abort(404)
    upload = imports.load_upload(import_id, current_user)
    if upload is None:
        abort(404)
    return upload


@bp.route("/imports", methods=["GET", "POST"])
def imports_page():
    errors, kind = {}, request.values.get("kind", "people")
    if request.method == "POST":
        file = request.files.get("file")
        if file is None or not file.filename:
            errors["file"] = "Choose a CSV or Excel file."
        else:
            try:
                upload = imports.save_upload(file.stream, file.filename, kind, current_user)
            except Invalid as error:
                errors.update(error.errors)
            else:
                session[SESSION_KEY] = (session.get(SESSION_KEY, []) + [upload.id])[-10:]
                return redirect(url_for(".import_map", import_id=upload.id))
    imported = imports.unverified_imported(limit=200)
    return render("integrations/imports.html", kinds=imports.KINDS, kind=kind, errors=errors,
                  imported=imported, max_rows=spreadsheets.max_rows(), status=422 if errors else 200)


def _mapping_from(form, kind: str) -> dict[str, str]:
    return {f.name: form.get(f"map-{f.name}", "") for f in imports.fields_for(kind)}


def _accepted(form) -> set[int]:
    return {int(v) for v in form.getlist("accept") if v.isdigit()}


@bp.route("/imports/<import_id>", methods=["GET", "POST"])
def import_map(import_id: str):
    """Map columns and preview every row (nothing is written here)."""
    upload = _own_upload(import_id)
    try:
        table = upload.table()
    except Invalid as error:
        imports.discard(upload)
        flash(error.message, "error")
        return redirect(url_for(".imports_page", kind=upload.kind))
    source = request.form if request.method == "POST" else request.args
    if any(key.startswith("map-") for key in source):
        mapping = _mapping_from(source, upload.kind)
    else:
        mapping = imports.suggest_mapping(upload.kind, table.headers)
    errors = imports.check_mapping(upload.kind, table.headers, mapping)
    result = None
    if not errors:
        result = imports.preview(upload, mapping, _accepted(source))
    show = source.get("show") or "all"
    page = max(int(source.get("page", 1)) if str(source.get("page", "1")).isdigit() else 1, 1)
    rows = [r for r in result.rows if show == "all" or r.action == show or (show == "warning" and r.warnings)] \
        if result else []
    pages = max(1, math.ceil(len(rows) / PREVIEW_PAGE))
    return render("integrations/import.html", block="preview" if request.method == "GET" else None,
                  upload=upload, table=table, fields=imports.fields_for(upload.kind), mapping=mapping,
                  errors=errors, result=result, rows=rows[(page - 1) * PREVIEW_PAGE: page * PREVIEW_PAGE],
                  show=show, page=page, pages=pages, sample=table.rows[:3], accepted=_accepted(source),
                  kinds=imports.KINDS, status=422 if errors else 200,
                  csv_url=url_for(".import_preview_csv", import_id=upload.id,
                                  **{f"map-{k}": v for k, v in mapping.items() if v},
                                  accept=sorted(_accepted(source))))


@bp.route("/imports/<import_id>/preview.csv")
def import_preview_csv(import_id: str):
    upload = _own_upload(import_id)
    mapping = _mapping_from(request.args, upload.kind)
    table = upload.table()
    if imports.check_mapping(upload.kind, table.headers, mapping):
        abort(400)
    result = imports.preview(upload, mapping, _accepted(request.args))
    return Response(imports.preview_csv(result), mimetype=exports.CSV_MIMETYPE, headers={
        "Content-Disposition": f'attachment; filename="import-preview-{upload.kind}.csv"',
        "X-Content-Type-Options": "nosniff",
    })


@bp.route("/imports/<import_id>/apply", methods=["POST"])
def import_apply(import_id: str):
    upload = _own_upload(import_id)
    mapping = _mapping_from(request.form, upload.kind)
    table = upload.table()
    if imports.check_mapping(upload.kind, table.headers, mapping):
        abort(400)
    applied = imports.apply(upload, mapping, current_user, _accepted(request.form))
    counts = applied.preview.counts
    imports.discard(upload)
    session[SESSION_KEY] = [i for i in session.get(SESSION_KEY, []) if i != upload.id]
    flash(f"Imported {upload.filename}: {counts['create']} created, {counts['update']} updated, "
          f"{counts['unchanged']} unchanged, {counts['error'] + counts['confirm']} skipped.", "success")
    return redirect(url_for(".imports_page", kind=upload.kind))


@bp.route("/imports/requests", methods=["POST"])
def request_uploads():
    ids = [int(v) for v in request.form.getlist("credential") if v.isdigit()]
    if not ids:
        flash("Choose the imported credentials to ask about.", "error")
        return redirect(url_for(".imports_page", kind="credentials"))
    made = imports.request_uploads(ids, actor=current_user)
    flash(f"{made} upload request{'s' if made != 1 else ''} queued for sending "
          f"({len(ids) - made} already asked, or without an email).", "success")
    return redirect(url_for(".imports_page", kind="credentials"))
