"""The registry: credentials list, person pages, credential pages, hand edits."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required

from portal.errors import Invalid
from portal.navigation import nav_item
from portal.policies.access import REVIEW_ROLES, sees_everyone
from portal.rendering import render
from portal.security import role_required
from portal.services import audit_log, choices, compliance, registry
from portal.routing import parse_id
from portal.services.review import ReviewConflict, reread
from portal.services.scoping import get_credential_or_404, get_person_or_404

bp = Blueprint("registry", __name__)
REGISTRY_ROLES = ("reviewer", "admin", "compliance", "manager")
EDIT_ROLES = REVIEW_ROLES
nav_item("Registry", "registry.credentials", ("reviewer", "admin", "compliance"), order=30)


@bp.get("/registry")
@role_required(*REGISTRY_ROLES)
def credentials():
    search = registry.CredentialSearch.from_args(request.args)
    result = registry.search(search, current_user, page_size=current_app.config["PAGE_SIZE"])
    policies = compliance.load_policies()
    states = {c.id: compliance.credential_display_state(c, policies=policies) for c in result.credentials}
    return render("registry/credentials.html", block="registry_results", search=search, result=result,
                  states=states, types=choices.credential_types(), departments=choices.departments(),
                  sorts=registry.SORTS,
                  records=registry.RECORD_FILTERS, can_edit=current_user.has_role(*EDIT_ROLES))


@bp.get("/people/<int:person_id>")
@login_required
def person(person_id: int):
    person = get_person_or_404(person_id, current_user)
    overview = registry.person_overview(person)
    return render("registry/person.html", person=person, overview=overview,
                  can_edit=current_user.has_role(*EDIT_ROLES), is_self=person.id == current_user.person_id)


@bp.get("/credentials/<int:credential_id>")
@login_required
def credential(credential_id: int):
    credential = get_credential_or_404(credential_id, current_user)
    show_audit = sees_everyone(current_user.roles)
    events = registry.audit_trail(credential) if show_audit else []
    return render(
        "registry/credential.html", credential=credential,
        state=compliance.credential_display_state(credential),
        versions=registry.versions(credential), documents=registry.documents_for(credential),
        events=events, names=audit_log.names_for(events), describe=audit_log.describe,
        show_audit=show_audit, can_edit=current_user.has_role(*EDIT_ROLES),
        can_verify=current_user.has_role(*EDIT_ROLES, "compliance"),
        is_self=credential.person_id == current_user.person_id,
    )


def _form_page(template, values, errors, status=200, outcome=None, **context):
    if outcome is not None:  # a check's message is shown by the check, beside its field, with its tick
        errors = {k: v for k, v in errors.items() if k not in {c.field for c in outcome.checks}}
    return render(template, values=values, errors=errors, types=choices.credential_types(), status=status,
                  outcome=outcome,
                  overridden=set(request.form.getlist("override")),
                  override_reason_text=request.form.get("override_reason", ""), **context)


@bp.route("/registry/new", methods=["GET", "POST"])
@role_required(*EDIT_ROLES)
def new():
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            credential = registry.add_manual(current_user, request.form,
                                             upload.stream if upload and upload.filename else None,
                                             upload.filename if upload else None)
        except Invalid as invalid:
            person = _chosen_person(request.form.get("person_id"))
            return _form_page("registry/edit.html", dict(request.form.items()), invalid.errors, status=422,
                              outcome=invalid.detail, credential=None, person=person)
        flash("Added by hand. The record is marked unverified until a document is reviewed.", "success")
        return redirect(url_for("registry.credential", credential_id=credential.id))
    person = _chosen_person(request.args.get("person"))
    return _form_page("registry/edit.html", {"person_id": person.id if person else ""}, {}, credential=None,
                      person=person, q=request.args.get("q", ""),
                      matches=registry_people(request.args.get("q", "")) if not person else [])


def registry_people(q: str):
    from portal.services.review import people_matching

    return people_matching(q, limit=15)


def _chosen_person(raw):
    try:
        return get_person_or_404(int(raw), current_user) if raw else None
    except ValueError:
        abort(404)


@bp.route("/credentials/<int:credential_id>/edit", methods=["GET", "POST"])
@role_required(*EDIT_ROLES)
def edit(credential_id: int):
    credential = get_credential_or_404(credential_id, current_user)
    if request.method == "POST":
        try:
            registry.edit(current_user, credential, request.form, parse_id(request.form.get("version")))
        except Invalid as invalid:
            return _form_page("registry/edit.html", dict(request.form.items()), invalid.errors, status=422,
                              outcome=invalid.detail, credential=credential, person=credential.person)
        except ReviewConflict as conflict:  # nothing was written (registry.edit rolled a collision back)
            reread(credential)
            flash(str(conflict), "danger")
            return _form_page("registry/edit.html", _values(credential), {}, status=409,
                              credential=credential, person=credential.person)
        flash("Saved.", "success")
        return redirect(url_for("registry.credential", credential_id=credential.id))
    return _form_page("registry/edit.html", _values(credential), {}, credential=credential,
                      person=credential.person)


def _values(credential):
    return {
        "person_id": credential.person_id, "credential_type_id": credential.credential_type_id,
        "license_number": credential.license_number or "",
        "issued_on": credential.issued_on.isoformat() if credential.issued_on else "",
        "expires_on": "" if credential.expiry_predicted or not credential.expires_on
        else credential.expires_on.isoformat(),
        "notes": credential.notes or "", "version": credential.version,
    }
