"""Admin setup: requirements by role and project, projects and assignments,
reminder and escalation policies, the credential taxonomy, and the policy
set as YAML. ``admin.setup`` (/admin) is the administrator's landing page."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.errors import Invalid
from portal.models import Assignment, CredentialType, Issuer, Project, ReminderPolicy, Requirement, today
from portal.models.taxonomy import CATEGORIES, RENEWAL_MECHANISMS
from portal.navigation import nav_item
from portal.policies.policy_set import escalation_text
from portal.rendering import render
from portal.routing import db_id
from portal.security import role_required
from portal.services import policy_set as policy_set_service
from portal.services import recommendations, review
from portal.services import setup as setup_service
from portal.services import choices, setup_lists
from portal.services.scoping import get_row_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")
SETUP_ROLES = ("admin", "compliance")
nav_item("Setup", "admin.setup", SETUP_ROLES, order=80)
MAX_POLICY_FILE = 512 * 1024

# Other areas' admin pages, shown on the overview to the roles they are for.
OTHER_SECTIONS = (
    ("account.users", "Users", "Logins, roles and set-password links.", ("admin",)),
    ("integrations.tokens", "API tokens", "Tokens for HRIS, staffing and contract systems to use the JSON API.",
     ("admin",)),
    ("integrations.webhooks_page", "Webhooks", "Tell other systems when credentials change.", ("admin",)),
    ("integrations.imports_page", "Imports", "Bring people, assignments and credentials in from spreadsheets.",
     ("admin",)),
    ("outbox.index", "Outbox", "Reminder and escalation emails, sent and waiting.", ("admin",)),
    ("audit.log", "Audit log", "Who changed what, and when.", ("admin", "compliance")),
    ("verification.admin_page", "Verification", "Signed PDFs, badges, rosters and exclusion lists: how credentials "
     "are checked at their source.", ("admin", "compliance")),
)


def _new_or_get(model, key: str):
    """None for "new", the row for an id, 404 otherwise."""
    if key == "new":
        return None
    if not key.isdigit():
        abort(404)
    return get_row_or_404(model, int(key))


def _form_values(row, fields) -> dict:
    """A row's fields as form values (None shown as empty)."""
    return {f: "" if getattr(row, f) is None else getattr(row, f) for f in fields}


def _done(message: str, endpoint: str, **values):
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


# --------------------------------------------------------------------------- overview


@bp.get("")
@role_required(*SETUP_ROLES)
def setup():
    others = [(endpoint, label, text) for endpoint, label, text, roles in OTHER_SECTIONS
              if current_user.has_role(*roles)]
    return render("setup/overview.html", counts=setup_lists.overview_counts(), others=others)


# --------------------------------------------------------------------------- requirements


def _requirements_page(values=None, errors=None, status=200):
    by_role, by_project = setup_lists.requirements_by_owner()
    return render("setup/requirements.html", by_role=by_role, by_project=by_project,
                  values=values or {}, errors=errors or {}, status=status, **setup_lists.requirement_choices())


@bp.get("/requirements")
@role_required(*SETUP_ROLES)
def requirements():
    return _requirements_page(values=request.args)


@bp.post("/requirements")
@role_required(*SETUP_ROLES)
def add_requirement():
    try:
        req = setup_service.add_requirement(request.form)
    except Invalid as exc:
        return _requirements_page(values=request.form, errors=exc.errors, status=422)
    return _done(f"{req.credential_type.name} is now required.", "admin.requirements")


@bp.post("/requirements/<int:requirement_id>")
@role_required(*SETUP_ROLES)
def update_requirement(requirement_id: int):
    req = get_row_or_404(Requirement, requirement_id)
    try:
        setup_service.update_requirement(req, request.form)
    except Invalid as exc:
        flash(f"{req.credential_type.name}: {exc.errors.get('lead_days', 'could not be saved')}", "error")
        return redirect(url_for("admin.requirements"))
    return _done(f"Lead time of {req.credential_type.name} saved.", "admin.requirements")


@bp.post("/requirements/<int:requirement_id>/delete")
@role_required(*SETUP_ROLES)
def delete_requirement(requirement_id: int):
    req = get_row_or_404(Requirement, requirement_id)
    name = req.credential_type.name
    setup_service.delete_requirement(req)
    return _done(f"{name} is no longer required there.", "admin.requirements")


# --------------------------------------------------------------------------- projects and assignments


@bp.get("/projects")
@role_required(*SETUP_ROLES)
def projects():
    return _projects_page()


def _projects_page(values=None, errors=None, status=200):
    return render("setup/projects.html", rows=setup_lists.projects_with_assignment_counts(), values=values or {}, errors=errors or {}, status=status)


@bp.post("/projects")
@role_required(*SETUP_ROLES)
def create_project():
    try:
        project = setup_service.save_project(None, request.form)
    except Invalid as exc:
        return _projects_page(values=request.form, errors=exc.errors, status=422)
    return _done(f"Project {project.name} created.", "admin.project", project_id=project.id)


def _project_page(project, values=None, errors=None, assignment_values=None, assignment_errors=None,
                  status=200):
    return render("setup/project.html", project=project, assignments=setup_lists.project_assignments(project),
                  people=setup_lists.assignable_people(),
                  values=values or _project_values(project), errors=errors or {},
                  assignment_values=assignment_values or {"starts_on": today().isoformat()},
                  assignment_errors=assignment_errors or {}, status=status, today=today())


def _project_values(project):
    return {
        "code": project.code, "name": project.name, "client": project.client or "",
        "starts_on": project.starts_on.isoformat() if project.starts_on else "",
        "ends_on": project.ends_on.isoformat() if project.ends_on else "",
        "active": project.active,
    }


@bp.get("/projects/<int:project_id>")
@role_required(*SETUP_ROLES)
def project(project_id: int):
    return _project_page(get_row_or_404(Project, project_id))


@bp.post("/projects/<int:project_id>")
@role_required(*SETUP_ROLES)
def update_project(project_id: int):
    project = get_row_or_404(Project, project_id)
    try:
        setup_service.save_project(project, request.form)
    except Invalid as exc:
        return _project_page(project, values=request.form, errors=exc.errors, status=422)
    return _done("Project saved.", "admin.project", project_id=project.id)


@bp.post("/projects/<int:project_id>/assignments")
@role_required(*SETUP_ROLES)
def add_assignment(project_id: int):
    project = get_row_or_404(Project, project_id)
    try:
        assignment = setup_service.add_assignment(project, request.form)
    except Invalid as exc:
        return _project_page(project, assignment_values=request.form, assignment_errors=exc.errors, status=422)
    return _done(f"{assignment.person.full_name} assigned to {project.name}.", "admin.project",
                 project_id=project.id)


@bp.post("/assignments/<int:assignment_id>")
@role_required(*SETUP_ROLES)
def update_assignment(assignment_id: int):
    assignment = get_row_or_404(Assignment, assignment_id)
    try:
        setup_service.update_assignment(assignment, request.form)
    except Invalid as exc:
        flash("; ".join(exc.errors.values()), "error")
        return redirect(url_for("admin.project", project_id=assignment.project_id))
    return _done("Assignment saved.", "admin.project", project_id=assignment.project_id)


@bp.post("/assignments/<int:assignment_id>/delete")
@role_required(*SETUP_ROLES)
def delete_assignment(assignment_id: int):
    assignment = get_row_or_404(Assignment, assignment_id)
    project_id = assignment.project_id
    setup_service.delete_assignment(assignment)
    return _done("Assignment removed.", "admin.project", project_id=project_id)


# --------------------------------------------------------------------------- reminder policies


def _policy_values(policy: ReminderPolicy | None) -> dict:
    if policy is None:
        return {"offsets": "90, 60, 30, 14, 7, 0", "grace_days": "30",
                "escalation": "30 manager, 7 hr, 0 compliance", "renewal_lead_days": "", "allow_digest": False}
    return {
        "offsets": ", ".join(str(o) for o in policy.offsets or []),
        "grace_days": str(policy.grace_days),
        "escalation": escalation_text(policy.escalation),
        "renewal_lead_days": "" if policy.renewal_lead_days is None else str(policy.renewal_lead_days),
        "allow_digest": policy.allow_digest,
    }


@bp.get("/policies")
@role_required(*SETUP_ROLES)
def policies():
    default, overrides, types = setup_lists.policies_overview()
    return render("setup/policies.html", default=default, overrides=overrides, types=types,
                  escalation_text=escalation_text)


@bp.route("/policies/<key>", methods=["GET", "POST"])
@role_required(*SETUP_ROLES)
def policy(key: str):
    """Edit the default policy (key "default") or a type's (key: type id);
    for a type without one, the form creates it."""
    if key == "new":
        type_id = request.args.get("type", type=db_id)
        if type_id is None:
            return redirect(url_for("admin.policies"))
        return redirect(url_for("admin.policy", key=type_id))
    if key == "default":
        ctype = None
    else:
        if not key.isdigit():
            abort(404)
        ctype = get_row_or_404(CredentialType, int(key))
    row = setup_lists.policy_for(ctype.id if ctype else None)
    values, errors, status = _policy_values(row), {}, 200
    if request.method == "POST":
        try:
            setup_service.save_policy(row, ctype.id if ctype else None, request.form)
        except Invalid as exc:
                values, errors, status = request.form, exc.errors, 422
        else:
            return _done("Policy saved; the people it covers were re-evaluated.", "admin.policies")
    return render("setup/policy.html", ctype=ctype, row=row, values=values, errors=errors, status=status)


@bp.post("/policies/<int:type_id>/delete")
@role_required(*SETUP_ROLES)
def delete_policy(type_id: int):
    row = setup_lists.policy_for(type_id)
    if row is None:
        abort(404)
    setup_service.delete_policy(row)
    return _done("The type now follows the organisation default.", "admin.policies")


# --------------------------------------------------------------------------- taxonomy


@bp.get("/taxonomy")
@role_required(*SETUP_ROLES)
def taxonomy():
    return render("setup/taxonomy.html", issuers=setup_lists.issuers_with_types(),
                  suggestions=recommendations.learned_validity(), waiting=review.waiting_for_types())


def _type_values(ctype: CredentialType | None) -> dict:
    if ctype is None:
        return {"category": "certification", "renewal_mechanism": "course", "active": True}
    return _form_values(ctype, setup_service.TYPE_FIELDS)


@bp.route("/taxonomy/types/<key>", methods=["GET", "POST"])
@role_required(*SETUP_ROLES)
def credential_type(key: str):
    ctype = _new_or_get(CredentialType, key)
    values, errors, status = _type_values(ctype), {}, 200
    if request.method == "GET" and ctype is None and request.args.get("issuer_id"):
        values["issuer_id"] = request.args.get("issuer_id", type=db_id)
    if request.method == "POST":
        try:
            saved = setup_service.save_credential_type(ctype, request.form)
        except Invalid as exc:
                values, errors, status = request.form, exc.errors, 422
        else:
            return _done(f"{saved.name} saved.", "admin.taxonomy", _anchor=f"type-{saved.id}")
    suggestion = recommendations.learned_validity([ctype.id]).get(ctype.id) if ctype else None
    return render("setup/credential_type.html", ctype=ctype, values=values, errors=errors, status=status,
                  issuers=choices.issuers(), categories=CATEGORIES, mechanisms=RENEWAL_MECHANISMS, suggestion=suggestion)


@bp.post("/taxonomy/types/<int:type_id>/learned-validity")
@role_required(*SETUP_ROLES)
def accept_learned_validity(type_id: int):
    ctype = get_row_or_404(CredentialType, type_id)
    suggestion = recommendations.learned_validity([ctype.id]).get(ctype.id)
    if suggestion is None:
        flash(f"There is no validity to suggest for {ctype.name} any more.", "error")
        return redirect(url_for("admin.taxonomy"))
    try:
        setup_service.apply_learned_validity(ctype, suggestion.months)
    except Invalid as exc:
        flash(exc.errors["form"], "error")
        return redirect(url_for("admin.taxonomy"))
    return _done(f"{ctype.name} now lasts {suggestion.months} months; expiries without a printed date "
                 "are predicted from it.", "admin.taxonomy", _anchor=f"type-{ctype.id}")


@bp.route("/taxonomy/issuers/<key>", methods=["GET", "POST"])
@role_required(*SETUP_ROLES)
def issuer(key: str):
    row = _new_or_get(Issuer, key)
    values = _form_values(row, setup_service.ISSUER_FIELDS) if row else {}
    errors, status = {}, 200
    if request.method == "POST":
        try:
            saved = setup_service.save_issuer(row, request.form)
        except Invalid as exc:
                values, errors, status = request.form, exc.errors, 422
        else:
            return _done(f"{saved.name} saved.", "admin.taxonomy", _anchor=f"issuer-{saved.id}")
    return render("setup/issuer.html", issuer=row, values=values, errors=errors, status=status)


# --------------------------------------------------------------------------- policy set (YAML)


@bp.get("/policy-set")
@role_required(*SETUP_ROLES)
def policy_set():
    return render("setup/policy_set.html", problems=[], result=None, dry_run=False)


@bp.get("/policy-set.yaml")
@role_required(*SETUP_ROLES)
def export_policy_set():
    response = Response(policy_set_service.export_yaml(), mimetype="application/yaml")
    response.headers["Content-Disposition"] = f'attachment; filename="policy-set-{today().isoformat()}.yaml"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/policy-set")
@role_required(*SETUP_ROLES)
def import_policy_set():
    upload = request.files.get("file")
    text = request.form.get("text") or ""
    if upload and upload.filename:
        raw = upload.read(MAX_POLICY_FILE + 1)
        if len(raw) > MAX_POLICY_FILE:
            return render("setup/policy_set.html", problems=["The file is larger than 512 KB."], result=None,
                          dry_run=False, status=422)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return render("setup/policy_set.html", problems=["The file is not UTF-8 text."], result=None,
                          dry_run=False, status=422)
    if not text.strip():
        return render("setup/policy_set.html", problems=["Choose a YAML file (or paste one) to import."],
                      result=None, dry_run=False, status=422)
    dry_run = request.form.get("dry_run") == "1"
    try:
        result = policy_set_service.import_yaml(text, actor=current_user, dry_run=dry_run)
    except Invalid as exc:
        return render("setup/policy_set.html", problems=[str(p) for p in exc.detail], result=None,
                      dry_run=dry_run, text=text, status=422)
    return render("setup/policy_set.html", problems=[], result=result, dry_run=dry_run,
                  text=text if dry_run else "")
