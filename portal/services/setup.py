"""Admin use cases: requirements, projects and assignments, reminder
policies, the credential taxonomy and CE activities.

Every change is audited (before/after) in the same transaction and the
people it affects are re-evaluated at once. Values arrive as form strings;
problems are raised as ``Invalid`` with a message per field, so a page can
put each next to its field.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping

from sqlalchemy import Select, func, or_, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import (
    Assignment,
    CeActivity,
    Credential,
    CredentialType,
    Issuer,
    JobRole,
    Person,
    Project,
    ReminderPolicy,
    Requirement,
)
from portal.models.taxonomy import CATEGORIES, RENEWAL_MECHANISMS
from portal.policies.policy_set import parse_escalation_text, parse_int_list, policy_errors
from portal.services import audit, setup_lists


# --------------------------------------------------------------------------- re-evaluation


def people_needing_type(type_id: int) -> Select:
    """Active people whose role or a project they are on requires ``type_id``."""
    by_role = select(Person.id).join(Requirement, Requirement.job_role_id == Person.job_role_id).where(
        Requirement.credential_type_id == type_id)
    by_project = select(Assignment.person_id).join(
        Requirement, Requirement.project_id == Assignment.project_id
    ).where(Requirement.credential_type_id == type_id)
    return select(Person.id).where(Person.active, or_(Person.id.in_(by_role), Person.id.in_(by_project)))


def people_with_role(role_id: int) -> Select:
    return select(Person.id).where(Person.active, Person.job_role_id == role_id)


def people_on_project(project_id: int) -> Select:
    return select(Assignment.person_id).where(Assignment.project_id == project_id)


def reevaluate(person_ids: Select | Iterable[int] | None) -> int:
    """How many people a change touches (None: everyone).

    The stored compliance snapshot re-evaluates them itself in the same
    transaction: ``portal.services.compliance_snapshot`` notes what a flush
    changed (requirements, policies, types, assignments, credentials) and
    refreshes those people just before the commit. Pages that compute states
    live (``compliance.load_facts``) see the change at once anyway.
    """
    if person_ids is None:
        return db.session.scalar(select(func.count(Person.id)).where(Person.active)) or 0
    if isinstance(person_ids, Select):
        return db.session.scalar(select(func.count()).select_from(person_ids.distinct().subquery())) or 0
    return len(set(person_ids))


def _commit_and_reevaluate(person_ids) -> None:
    db.session.flush()
    reevaluate(person_ids)
    db.session.commit()


# --------------------------------------------------------------------------- parsing helpers


def _raw(values: Mapping[str, Any], name: str, errors: dict, required: bool) -> str | None:
    """The trimmed form value, or None when empty (noting "Required." if it must be there)."""
    raw = str(values.get(name) or "").strip()
    if not raw and required:
        errors[name] = "Required."
    return raw or None


def _converted(values, name, errors, required, convert, message):
    raw = _raw(values, name, errors, required)
    if raw is None:
        return None
    try:
        return convert(raw)
    except ValueError:
        errors[name] = message
        return None


def _in_range(number, name, errors, minimum, maximum):
    if number is not None and not minimum <= number <= maximum:
        errors[name] = f"Enter a number from {minimum:g} to {maximum:g}."
        return None
    return number


def _int(values: Mapping[str, Any], name: str, errors: dict, required=False, minimum=0,
         maximum=3650) -> int | None:
    number = _converted(values, name, errors, required, int, "Enter a whole number.")
    return _in_range(number, name, errors, minimum, maximum)


def _float(values, name, errors, required=False) -> float | None:
    number = _converted(values, name, errors, required, float, "Enter a number.")
    return _in_range(number, name, errors, 0, 10000)


def _date(values, name, errors, required=False) -> date | None:
    return _converted(values, name, errors, required, date.fromisoformat, "Enter a date as YYYY-MM-DD.")


def _text(values, name, errors, required=False, max_len=200) -> str | None:
    raw = _raw(values, name, errors, required)
    if raw and len(raw) > max_len:
        errors[name] = f"At most {max_len} characters."
    return raw


def _get(model, object_id, errors, name, message) -> Any:
    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None and name not in errors:
        errors[name] = message
    return obj


def _code_taken(model, code: str | None, obj, errors: dict, message: str) -> None:
    """Note in ``errors`` when another row of ``model`` already uses ``code``."""
    if code and "code" not in errors:
        clash = db.session.scalar(select(model.id).where(model.code == code))
        if clash and (obj is None or clash != obj.id):
            errors["code"] = message


def upsert(obj, make, assign, fields, action: str, actor=None, entity_type: str | None = None):
    """Create (``make()``) or update ``obj``, apply ``assign(obj)`` and audit
    the change as ``<action>.created`` / ``<action>.updated`` with before/after.
    Returns ``(obj, created)``."""
    before = audit.snapshot(obj, fields) if obj is not None else None
    if obj is None:
        obj = make()
        db.session.add(obj)
    assign(obj)
    db.session.flush()
    after = audit.snapshot(obj, fields)
    if before is None:
        audit.record(f"{action}.created", obj, after=after, actor=actor, entity_type=entity_type)
    else:
        audit.record(f"{action}.updated", obj, *audit.changed(before, after), actor=actor, entity_type=entity_type)
    return obj, before is None


def _active(values, existing) -> bool:
    """The "active" checkbox; new rows start active."""
    return values.get("active") in ("1", "on", "true", True) if existing is not None else True


# --------------------------------------------------------------------------- requirements

REQUIREMENT_FIELDS = ("credential_type_id", "job_role_id", "project_id", "lead_days")


def affected_by_requirement(req: Requirement) -> Select:
    return people_with_role(req.job_role_id) if req.job_role_id else people_on_project(req.project_id)


def add_requirement(values: Mapping[str, Any]) -> Requirement:
    errors: dict[str, str] = {}
    type_id = _int(values, "credential_type_id", errors, required=True, maximum=10**9)
    role_id = _int(values, "job_role_id", errors, maximum=10**9)
    project_id = _int(values, "project_id", errors, maximum=10**9)
    lead = _int(values, "lead_days", errors)
    ctype = _get(CredentialType, type_id, errors, "credential_type_id", "Choose a credential type.")
    if (role_id is None) == (project_id is None) and "job_role_id" not in errors:
        errors["job_role_id" if role_id is None else "project_id"] = "Choose a job role or a project (one of them)."
    if role_id is not None:
        _get(JobRole, role_id, errors, "job_role_id", "Choose a job role.")
    if project_id is not None:
        _get(Project, project_id, errors, "project_id", "Choose a project.")
    if not errors:
        duplicate = db.session.scalar(select(Requirement.id).where(
            Requirement.credential_type_id == type_id,
            Requirement.job_role_id.is_(None) if role_id is None else Requirement.job_role_id == role_id,
            Requirement.project_id.is_(None) if project_id is None else Requirement.project_id == project_id,
        ))
        if duplicate:
            errors["credential_type_id"] = f"{ctype.name} is already required there."
    if errors:
        raise Invalid.each(errors)
    req = Requirement(credential_type_id=type_id, job_role_id=role_id, project_id=project_id, lead_days=lead)
    db.session.add(req)
    db.session.flush()
    audit.record("requirement.created", req, after=audit.snapshot(req, REQUIREMENT_FIELDS))
    _commit_and_reevaluate(affected_by_requirement(req))
    return req


def update_requirement(req: Requirement, values: Mapping[str, Any]) -> Requirement:
    errors: dict[str, str] = {}
    lead = _int(values, "lead_days", errors)
    if errors:
        raise Invalid.each(errors)
    before = audit.snapshot(req, REQUIREMENT_FIELDS)
    req.lead_days = lead
    audit.record("requirement.updated", req, *audit.changed(before, audit.snapshot(req, REQUIREMENT_FIELDS)))
    _commit_and_reevaluate(affected_by_requirement(req))
    return req


def delete_requirement(req: Requirement) -> None:
    affected = list(db.session.scalars(affected_by_requirement(req)))
    audit.record("requirement.deleted", req, before=audit.snapshot(req, REQUIREMENT_FIELDS))
    db.session.delete(req)
    _commit_and_reevaluate(affected)


# --------------------------------------------------------------------------- projects and assignments

PROJECT_FIELDS = ("code", "name", "client", "starts_on", "ends_on", "active")
ASSIGNMENT_FIELDS = ("project_id", "person_id", "starts_on", "ends_on", "role_on_project")


def save_project(project: Project | None, values: Mapping[str, Any]) -> Project:
    errors: dict[str, str] = {}
    code = _text(values, "code", errors, required=True, max_len=64)
    name = _text(values, "name", errors, required=True)
    client = _text(values, "client", errors)
    starts = _date(values, "starts_on", errors)
    ends = _date(values, "ends_on", errors)
    if starts and ends and ends < starts:
        errors["ends_on"] = "The end must be on or after the start."
    _code_taken(Project, code, project, errors, "Another project already has this code.")
    if errors:
        raise Invalid.each(errors)

    def assign(row: Project) -> None:
        row.code, row.name, row.client = code, name, client
        row.starts_on, row.ends_on = starts, ends
        row.active = _active(values, project)

    project, _ = upsert(project, lambda: Project(code=code, name=name), assign, PROJECT_FIELDS, "project")
    _commit_and_reevaluate(people_on_project(project.id))
    return project


def add_assignment(project: Project, values: Mapping[str, Any]) -> Assignment:
    errors: dict[str, str] = {}
    person_id = _int(values, "person_id", errors, required=True, maximum=10**9)
    person = _get(Person, person_id, errors, "person_id", "Choose a person.")
    starts = _date(values, "starts_on", errors, required=True)
    ends = _date(values, "ends_on", errors)
    role = _text(values, "role_on_project", errors, max_len=120)
    if starts and ends and ends < starts:
        errors["ends_on"] = "The end must be on or after the start."
    if person is not None and not person.active:
        errors["person_id"] = "That person has left."
    if errors:
        raise Invalid.each(errors)
    assignment = Assignment(project=project, person_id=person_id, starts_on=starts, ends_on=ends,
                            role_on_project=role)
    db.session.add(assignment)
    db.session.flush()
    audit.record("assignment.created", assignment, after=audit.snapshot(assignment, ASSIGNMENT_FIELDS))
    _commit_and_reevaluate([person_id])
    return assignment


def update_assignment(assignment: Assignment, values: Mapping[str, Any]) -> Assignment:
    errors: dict[str, str] = {}
    starts = _date(values, "starts_on", errors, required=True)
    ends = _date(values, "ends_on", errors)
    role = _text(values, "role_on_project", errors, max_len=120)
    if starts and ends and ends < starts:
        errors["ends_on"] = "The end must be on or after the start."
    if errors:
        raise Invalid.each(errors)
    before = audit.snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.starts_on, assignment.ends_on, assignment.role_on_project = starts, ends, role
    audit.record("assignment.updated", assignment,
                 *audit.changed(before, audit.snapshot(assignment, ASSIGNMENT_FIELDS)))
    _commit_and_reevaluate([assignment.person_id])
    return assignment


def delete_assignment(assignment: Assignment) -> None:
    person_id = assignment.person_id
    audit.record("assignment.deleted", assignment, before=audit.snapshot(assignment, ASSIGNMENT_FIELDS))
    db.session.delete(assignment)
    _commit_and_reevaluate([person_id])


# --------------------------------------------------------------------------- reminder policies

POLICY_FIELDS = ("credential_type_id", "offsets", "grace_days", "escalation", "renewal_lead_days",
                 "allow_digest")


def policy_values_from_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """Form strings -> policy values, raising Invalid with per-field messages."""
    errors: dict[str, str] = {}
    offsets = parse_int_list(str(values.get("offsets") or ""))
    if isinstance(offsets, str):
        errors["offsets"], offsets = offsets, []
    escalation = parse_escalation_text(str(values.get("escalation") or ""))
    if isinstance(escalation, str):
        errors["escalation"], escalation = escalation, []
    grace = _int(values, "grace_days", errors, required=True)
    lead = _int(values, "renewal_lead_days", errors)
    parsed = {
        "offsets": offsets,
        "grace_days": grace,
        "escalation": escalation,
        "renewal_lead_days": lead,
        "allow_digest": values.get("allow_digest") in ("1", "on", "true", True),
    }
    if not errors:
        errors = policy_errors(**parsed)
    if errors:
        raise Invalid.each(errors)
    parsed["escalation"] = sorted(escalation, key=lambda s: -s["days_before"])
    return parsed


def save_policy(policy: ReminderPolicy | None, credential_type_id: int | None,
                values: Mapping[str, Any]) -> ReminderPolicy:
    """Create or update the default policy (type None) or a type's policy."""
    parsed = policy_values_from_form(values)
    if policy is None:
        if credential_type_id is not None and db.session.get(CredentialType, credential_type_id) is None:
            raise Invalid.each({"credential_type_id": "Choose a credential type."})
        if setup_lists.policy_for(credential_type_id) is not None:
            raise Invalid.each({"credential_type_id": "That credential type already has its own policy."})
    return _write_policy(policy, credential_type_id, parsed)


def _write_policy(policy, credential_type_id, parsed) -> ReminderPolicy:
    def assign(row: ReminderPolicy) -> None:
        for name, value in parsed.items():
            setattr(row, name, value)

    policy, _ = upsert(policy, lambda: ReminderPolicy(credential_type_id=credential_type_id), assign,
                       POLICY_FIELDS, "policy", entity_type="ReminderPolicy")
    _commit_and_reevaluate(None if policy.credential_type_id is None
                           else people_needing_type(policy.credential_type_id))
    return policy


def delete_policy(policy: ReminderPolicy) -> None:
    if policy.credential_type_id is None:
        raise Invalid.each({"form": "The organisation default cannot be deleted; edit it instead."})
    affected = list(db.session.scalars(people_needing_type(policy.credential_type_id)))
    audit.record("policy.deleted", policy, before=audit.snapshot(policy, POLICY_FIELDS),
                 entity_type="ReminderPolicy")
    db.session.delete(policy)
    _commit_and_reevaluate(affected)


# --------------------------------------------------------------------------- taxonomy

ISSUER_FIELDS = ("code", "name", "country", "renewal_url", "verification_url")
TYPE_FIELDS = ("code", "name", "issuer_id", "category", "renewal_mechanism", "validity_months", "ce_hours",
               "jurisdiction", "renewal_lead_days", "active")


def _url(values, name, errors) -> str | None:
    raw = _text(values, name, errors, max_len=500)
    if raw and not raw.startswith(("https://", "http://")):
        errors[name] = "Enter a web address starting with https://"
    return raw


def save_issuer(issuer: Issuer | None, values: Mapping[str, Any]) -> Issuer:
    errors: dict[str, str] = {}
    code = _text(values, "code", errors, required=True, max_len=64)
    name = _text(values, "name", errors, required=True)
    country = _text(values, "country", errors, max_len=8)
    renewal_url = _url(values, "renewal_url", errors)
    verification_url = _url(values, "verification_url", errors)
    _code_taken(Issuer, code, issuer, errors, "Another issuer already has this code.")
    if errors:
        raise Invalid.each(errors)

    def assign(row: Issuer) -> None:
        row.code, row.name, row.country = code, name, country
        row.renewal_url, row.verification_url = renewal_url, verification_url

    issuer, _ = upsert(issuer, lambda: Issuer(code=code, name=name), assign, ISSUER_FIELDS, "issuer")
    db.session.commit()
    return issuer


def save_credential_type(ctype: CredentialType | None, values: Mapping[str, Any]) -> CredentialType:
    errors: dict[str, str] = {}
    code = _text(values, "code", errors, required=True, max_len=64)
    name = _text(values, "name", errors, required=True)
    issuer_id = _int(values, "issuer_id", errors, required=True, maximum=10**9)
    _get(Issuer, issuer_id, errors, "issuer_id", "Choose an issuer.")
    category = str(values.get("category") or "certification")
    if category not in CATEGORIES:
        errors["category"] = "Choose a category."
    mechanism = str(values.get("renewal_mechanism") or "course")
    if mechanism not in RENEWAL_MECHANISMS:
        errors["renewal_mechanism"] = "Choose how it is renewed."
    validity = _int(values, "validity_months", errors, minimum=1, maximum=600)
    ce_hours = _float(values, "ce_hours", errors)
    jurisdiction = _text(values, "jurisdiction", errors, max_len=32)
    lead = _int(values, "renewal_lead_days", errors)
    _code_taken(CredentialType, code, ctype, errors, "Another credential type already has this code.")
    if errors:
        raise Invalid.each(errors)

    def assign(row: CredentialType) -> None:
        row.code, row.name, row.issuer_id = code, name, issuer_id
        row.category, row.renewal_mechanism = category, mechanism
        row.validity_months, row.ce_hours, row.jurisdiction = validity, ce_hours, jurisdiction
        row.renewal_lead_days = lead
        row.active = _active(values, ctype)

    ctype, created = upsert(ctype, lambda: CredentialType(code=code, name=name, issuer_id=issuer_id), assign,
                            TYPE_FIELDS, "credential_type")
    # Validity drives predicted expiries: everyone needing the type is re-read.
    _commit_and_reevaluate([] if created else people_needing_type(ctype.id))
    return ctype


def apply_learned_validity(ctype: CredentialType, months: int) -> CredentialType:
    """Accept a learned validity suggestion for a type that has none."""
    if ctype.validity_months is not None:
        raise Invalid.each({"form": f"{ctype.name} already has a validity of {ctype.validity_months} months."})
    if not 1 <= months <= 600:
        raise Invalid.each({"form": "The suggested validity is out of range."})
    before = audit.snapshot(ctype, TYPE_FIELDS)
    ctype.validity_months = months
    audit.record("credential_type.validity_learned", ctype,
                 *audit.changed(before, audit.snapshot(ctype, TYPE_FIELDS)))
    _commit_and_reevaluate(people_needing_type(ctype.id))
    return ctype


# --------------------------------------------------------------------------- CE activities

CE_FIELDS = ("credential_id", "title", "provider", "hours", "completed_on")


def log_ce_activity(credential: Credential, values: Mapping[str, Any], actor=None,
                    on: date | None = None) -> CeActivity:
    errors: dict[str, str] = {}
    title = _text(values, "title", errors, required=True)
    provider = _text(values, "provider", errors)
    hours = _float(values, "hours", errors, required=True)
    if hours is not None and hours <= 0:
        errors["hours"] = "Enter the hours earned (more than 0)."
    completed = _date(values, "completed_on", errors, required=True)
    if completed and on and completed > on:
        errors["completed_on"] = "The activity cannot be completed in the future."
    if errors:
        raise Invalid.each(errors)
    activity = CeActivity(credential_id=credential.id, title=title, provider=provider, hours=hours,
                          completed_on=completed, logged_by_id=getattr(actor, "id", None))
    db.session.add(activity)
    db.session.flush()
    audit.record("ce_activity.created", activity, after=audit.snapshot(activity, CE_FIELDS), actor=actor)
    _commit_and_reevaluate([credential.person_id])
    return activity


def delete_ce_activity(activity: CeActivity, actor=None) -> None:
    person_id = activity.credential.person_id
    audit.record("ce_activity.deleted", activity, before=audit.snapshot(activity, CE_FIELDS), actor=actor)
    db.session.delete(activity)
    _commit_and_reevaluate([person_id])


__all__ = [
    "add_assignment", "add_requirement", "apply_learned_validity",
    "delete_assignment", "delete_ce_activity", "delete_policy", "delete_requirement", "log_ce_activity",
    "people_needing_type", "reevaluate", "save_credential_type", "save_issuer", "save_policy",
    "save_project", "update_assignment", "update_requirement",
]
