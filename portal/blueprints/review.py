"""The HR reviewer's queue and review page."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user

from portal.errors import Invalid
from portal.routing import db_id, parse_id
from portal.navigation import nav_item
from portal.policies import date_reading
from portal.policies.access import REVIEW_ROLES
from portal.rendering import render
from portal.security import role_required
from portal.services import checks, choices, learning, taxonomy
from portal.services import documents as document_service
from portal.services import review
from portal.services.scoping import get_document_or_404

bp = Blueprint("review", __name__, url_prefix="/review")
nav_item("Review queue", "review.queue", REVIEW_ROLES, order=20)


def _choices():
    return choices.departments(), choices.credential_types(active_only=True)


@bp.get("")
@role_required(*REVIEW_ROLES)
def queue():
    filters = review.QueueFilters.from_args(request.args)
    page = review.queue(filters, page_size=current_app.config["PAGE_SIZE"])
    departments, types = _choices()
    return render("review/queue.html", block="queue_results", filters=filters, result=page,
                  states=review.QUEUE_STATES, departments=departments, types=types,
                  low_confidence=review.is_low_confidence, min_confidence=review.min_confidence,
                  read_error=review.read_error_sentence, decidable=review.DECIDABLE)


@bp.post("/<int:document_id>/claim")
@role_required(*REVIEW_ROLES)
def claim(document_id: int):
    document = get_document_or_404(document_id, current_user)
    try:
        review.claim(document, current_user)
    except review.ReviewConflict as conflict:
        flash(str(conflict), "warning")
        return redirect(url_for("review.queue"))
    return redirect(url_for("review.document", document_id=document.id))


@bp.post("/<int:document_id>/release")
@role_required(*REVIEW_ROLES)
def release(document_id: int):
    document = get_document_or_404(document_id, current_user)
    review.release(document, current_user)
    flash("Released: another reviewer can take this document.", "info")
    return redirect(url_for("review.queue"))


def _page(document, values=None, errors=None, status=200, reject_errors=None, reason="", outcome=None,
          type_errors=None):
    departments, types = _choices()
    values = values or review.proposed_values(document)
    decidable = document.state in review.DECIDABLE
    if outcome is None and decidable:
        outcome = checks.evaluate(values, document)
    person = review.person_by_id(values.get("person_id"))
    return render(
        "review/document.html", status=status, document=document, extraction=document.latest_extraction,
        values=values, errors=errors or {}, reject_errors=reject_errors or {}, reason=reason, types=types,
        decidable=decidable,
        outcome=outcome, overridden=set(request.form.getlist("override")), type_errors=type_errors or {},
        taught=learning.taught_type(document) if decidable else None, read_type_id=review.read_type_id(document),
        read_error=review.read_error_sentence(document),
        issuers=choices.issuers() if decidable else [],
        date_reading=date_reading.reading(document.latest_extraction.fields if document.latest_extraction else None),
        override_reason=request.form.get("override_reason", ""),
        person=person, suggested=review.suggested_person(document) if decidable else None,
        warnings=review.warnings(document, values.get("license_number")),
        holder=review.claim_holder(document), labels=review.FIELD_LABELS, low=review.LOW_CONFIDENCE,
        can_preview=document_service.preview_path(document, 1).exists() or document_service.can_preview(document),
        credential_type=taxonomy.credential_type(values.get("credential_type_id")),
    )


@bp.get("/<int:document_id>")
@role_required(*REVIEW_ROLES)
def document(document_id: int):
    document = get_document_or_404(document_id, current_user)
    values = review.proposed_values(document)
    chosen = request.args.get("person", type=db_id)
    if chosen and review.person_by_id(chosen) is not None:
        values["person_id"] = chosen  # picked on the no-JS people search page
    return _page(document, values=values)


def _expected_version():
    return parse_id(request.form.get("version"))


def _form_values(document):
    values = dict(request.form.items())
    for name in ("person_id", "credential_type_id"):
        values[name] = parse_id(values.get(name))
    return values


def _after_decision(document):
    following = review.next_in_queue(document)
    if request.form.get("then") == "next" and following is not None:
        return redirect(url_for("review.document", document_id=following.id))
    return redirect(url_for("review.queue"))


@bp.post("/<int:document_id>/confirm")
@role_required(*REVIEW_ROLES)
def confirm(document_id: int):
    document = get_document_or_404(document_id, current_user)
    try:
        credential = review.confirm(document, current_user, request.form, _expected_version())
    except Invalid as invalid:
        return _page(document, values=_form_values(document), errors=invalid.errors, status=422,
                     outcome=invalid.detail)
    except review.ReviewConflict as conflict:
        review.reread(document)
        flash(str(conflict), "danger")
        return _page(document, status=409)
    flash(f"Confirmed: {credential.credential_type.name} for {credential.person.full_name}"
          + (" (added to history: a later record stays current)." if credential.state == "superseded" else "."),
          "success")
    return _after_decision(document)


@bp.post("/<int:document_id>/reject")
@role_required(*REVIEW_ROLES)
def reject(document_id: int):
    document = get_document_or_404(document_id, current_user)
    reason = request.form.get("reason") or ""
    try:
        review.reject(document, current_user, reason, _expected_version())
    except Invalid as invalid:
        return _page(document, reject_errors=invalid.errors, reason=reason, status=422)
    except review.ReviewConflict as conflict:
        review.reread(document)
        flash(str(conflict), "danger")
        return _page(document, status=409)
    flash(f"Rejected. {document.person.full_name} has been told why.", "success")
    return _after_decision(document)


@bp.get("/<int:document_id>/people")
@role_required(*REVIEW_ROLES)
def people(document_id: int):
    """Search for the person a document belongs to (HTMX: the results block)."""
    document = get_document_or_404(document_id, current_user)
    matches = review.people_matching(request.args.get("q", ""))
    return render("review/people.html", block="people_results", document=document, matches=matches,
                  q=request.args.get("q", ""))


@bp.get("/<int:document_id>/warnings")
@role_required(*REVIEW_ROLES)
def warnings(document_id: int):
    """Registry clashes for the license number as typed (HTMX: the warnings block)."""
    document = get_document_or_404(document_id, current_user)
    if not request.headers.get("HX-Request"):
        return redirect(url_for("review.document", document_id=document.id))
    return render("review/document.html", block="review_warnings", document=document,
                  warnings=review.warnings(document, request.args.get("license_number")))


@bp.post("/<int:document_id>/type-request")
@role_required(*REVIEW_ROLES)
def request_type(document_id: int):
    """Park the document until an administrator adds the type it needs."""
    document = get_document_or_404(document_id, current_user)
    try:
        review.request_type(document, current_user, request.form, _expected_version())
    except Invalid as invalid:
        return _page(document, type_errors=invalid.errors, status=422)
    except review.ReviewConflict as conflict:
        review.reread(document)
        flash(str(conflict), "danger")
        return _page(document, status=409)
    flash(f"{document.display_name} waits for “{document.type_request}”: administrators see the request "
          "on the taxonomy page.", "success")
    return _after_decision(document)


@bp.post("/<int:document_id>/types")
@role_required(*REVIEW_ROLES)
def create_type(document_id: int):
    """A reviewer adds the credential type the catalogue lacks, for this document."""
    document = get_document_or_404(document_id, current_user)
    if document.state not in review.DECIDABLE:
        return redirect(url_for("review.document", document_id=document.id))
    try:
        ctype = taxonomy.create_type_for_review(document, current_user, request.form)
    except Invalid as invalid:
        return _page(document, type_errors=invalid.errors, status=422)
    flash(f"Added {ctype.name} ({ctype.issuer.name}) to the catalogue; an administrator can complete it.",
          "success")
    return redirect(url_for("review.document", document_id=document.id))
