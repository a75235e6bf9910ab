"""Marshmallow schemas: what the API accepts and returns (and documents)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from portal.models.credentials import RECORD_STATES, SOURCES

DISPLAY_STATES = ("valid", "expiring", "in_grace", "expired", "superseded", "revoked")
COMPLIANCE_STATUSES = ("compliant", "expiring", "in_grace", "expired", "missing", "pending_review")
Str = ma.fields.String


# PostgreSQL cannot store NUL characters; saying so in the schema keeps
# clients (and schemathesis) from sending them.
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="Must not contain NUL characters.")


def text(max_length: int, min_length: int | None = None, **kw):
    return Str(validate=[validate.Length(min=min_length, max=max_length), NO_NUL], **kw)


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class PageArgs(StrictSchema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class PageSchema(ma.Schema):
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


# --- people -----------------------------------------------------------------

class PersonIn(StrictSchema):
    employee_id = text(64, 1, required=True)
    first_name = text(120, 1)
    last_name = text(120, 1)
    email = ma.fields.Email(allow_none=True, validate=[validate.Length(max=254), NO_NUL])
    job_role = text(64, allow_none=True, metadata={"description": "Job role code; created when new"})
    job_role_name = text(120, allow_none=True, metadata={"description": "Job role name (used to create it)"})
    department = text(120, allow_none=True, metadata={"description": "Department name; created when new"})
    manager_employee_id = text(64, allow_none=True, metadata={
        "description": "The manager's employee id (may appear later in the same payload)"})
    location = text(120, allow_none=True)
    active = ma.fields.Boolean(metadata={"description": "false deactivates (a leaver)"})
    hired_on = ma.fields.Date(allow_none=True)
    left_on = ma.fields.Date(allow_none=True)


class PeopleUpsertIn(StrictSchema):
    people = ma.fields.List(ma.fields.Nested(PersonIn), required=True,
                            validate=validate.Length(min=1, max=5000))
    dry_run = ma.fields.Boolean(load_default=False, metadata={
        "description": "Answer with the outcomes without writing anything"})


class ChangeSchema(ma.Schema):
    before = ma.fields.Raw(allow_none=True)
    after = ma.fields.Raw(allow_none=True)


class OutcomeSchema(ma.Schema):
    index = ma.fields.Integer(required=True)
    key = Str(required=True)
    action = Str(required=True, validate=validate.OneOf(("create", "update", "unchanged", "error", "delete")))
    changes = ma.fields.Dict(keys=Str(), values=ma.fields.Nested(ChangeSchema))
    errors = ma.fields.List(Str())
    warnings = ma.fields.List(Str())


class SyncResultSchema(ma.Schema):
    applied = ma.fields.Boolean(required=True)
    counts = ma.fields.Dict(keys=Str(), values=ma.fields.Integer())
    results = ma.fields.List(ma.fields.Nested(OutcomeSchema))


class PersonOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    employee_id = Str(required=True)
    first_name = Str(required=True)
    last_name = Str(required=True)
    email = Str(allow_none=True)
    job_role = Str(allow_none=True, attribute="job_role.code")
    job_role_name = Str(allow_none=True, attribute="job_role.name")
    department = Str(allow_none=True, attribute="department.name")
    manager_employee_id = Str(allow_none=True, attribute="manager.employee_id")
    location = Str(allow_none=True)
    active = ma.fields.Boolean(required=True)
    hired_on = ma.fields.Date(allow_none=True)
    left_on = ma.fields.Date(allow_none=True)
    updated_at = ma.fields.DateTime(allow_none=True)


class PeopleArgs(PageArgs):
    active = ma.fields.Boolean()
    department = text(120)
    job_role = text(64)
    manager_employee_id = text(64)


class PeoplePage(PageSchema):
    items = ma.fields.List(ma.fields.Nested(PersonOut), required=True)


class DeactivateIn(StrictSchema):
    left_on = ma.fields.Date(allow_none=True, metadata={"description": "Defaults to today"})


# --- projects ---------------------------------------------------------------

class ProjectIn(StrictSchema):
    code = text(64, 1, required=True)
    name = text(200, 1)
    client = text(200, allow_none=True)
    starts_on = ma.fields.Date(allow_none=True)
    ends_on = ma.fields.Date(allow_none=True)
    active = ma.fields.Boolean()


class ProjectsUpsertIn(StrictSchema):
    projects = ma.fields.List(ma.fields.Nested(ProjectIn), required=True,
                              validate=validate.Length(min=1, max=5000))
    dry_run = ma.fields.Boolean(load_default=False)


class RequirementOut(ma.Schema):
    credential_type = Str(required=True, attribute="credential_type.code")
    credential_type_name = Str(attribute="credential_type.name")
    lead_days = ma.fields.Integer(allow_none=True)


class ProjectOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = Str(required=True)
    name = Str(required=True)
    client = Str(allow_none=True)
    starts_on = ma.fields.Date(allow_none=True)
    ends_on = ma.fields.Date(allow_none=True)
    active = ma.fields.Boolean(required=True)
    requirements = ma.fields.List(ma.fields.Nested(RequirementOut))


class ProjectsPage(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ProjectOut), required=True)


class RequirementIn(StrictSchema):
    credential_type = text(64, required=True, metadata={"description": "Credential type code"})
    lead_days = ma.fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0, max=3650))


class RequirementsIn(StrictSchema):
    requirements = ma.fields.List(ma.fields.Nested(RequirementIn), required=True,
                                  validate=validate.Length(max=500))


class AssignmentIn(StrictSchema):
    project = text(64, required=True, metadata={"description": "Project code"})
    employee_id = text(64, required=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(allow_none=True)
    role_on_project = text(120, allow_none=True)


class ProjectAssignmentIn(StrictSchema):
    employee_id = text(64, required=True)
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(allow_none=True)
    role_on_project = text(120, allow_none=True)


class AssignmentsUpsertIn(StrictSchema):
    assignments = ma.fields.List(ma.fields.Nested(AssignmentIn), required=True,
                                 validate=validate.Length(min=1, max=5000))
    dry_run = ma.fields.Boolean(load_default=False)


class ProjectAssignmentsIn(StrictSchema):
    assignments = ma.fields.List(ma.fields.Nested(ProjectAssignmentIn), required=True,
                                 validate=validate.Length(max=5000))


class AssignmentOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    project = Str(required=True, attribute="project.code")
    employee_id = Str(required=True, attribute="person.employee_id")
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(allow_none=True)
    role_on_project = Str(allow_none=True)


class AssignmentsOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AssignmentOut), required=True)


# --- credentials ------------------------------------------------------------

class CredentialArgs(PageArgs):
    employee_id = text(64)
    credential_type = text(64, metadata={"description": "Credential type code"})
    state = Str(validate=validate.OneOf(DISPLAY_STATES), metadata={
        "description": "How the record reads today"})
    record_state = Str(validate=validate.OneOf(RECORD_STATES), load_default="active")
    expires_after = ma.fields.Date(metadata={"description": "Expiry on or after this date"})
    expires_before = ma.fields.Date(metadata={"description": "Expiry on or before this date"})
    source = Str(validate=validate.OneOf(SOURCES))


class CredentialOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    employee_id = Str(required=True, attribute="person.employee_id")
    credential_type = Str(required=True, attribute="credential_type.code")
    credential_type_name = Str(attribute="credential_type.name")
    issuer = Str(attribute="credential_type.issuer.name")
    license_number = Str(allow_none=True)
    issued_on = ma.fields.Date(allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)
    expiry_predicted = ma.fields.Boolean()
    record_state = Str(attribute="state")
    state = Str(required=True, attribute="state_today", metadata={
        "description": "How the record reads today: valid, expiring, in_grace, expired, superseded, revoked"})
    source = Str()
    verified = ma.fields.Boolean()
    verified_at = ma.fields.DateTime(allow_none=True)
    updated_at = ma.fields.DateTime(allow_none=True)


class CredentialsPage(PageSchema):
    items = ma.fields.List(ma.fields.Nested(CredentialOut), required=True)


# --- documents --------------------------------------------------------------

class DocumentUploadIn(StrictSchema):
    """One multipart body: the form fields and the file together."""

    employee_id = text(64, 1, required=True)
    credential_type = text(64, allow_none=True, metadata={"description": "Credential type code, if known"})
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DocumentOut(ma.Schema):
    id = ma.fields.Integer(required=True)
    employee_id = Str(required=True, attribute="person.employee_id")
    original_name = Str()
    media_type = Str(allow_none=True)
    size_bytes = ma.fields.Integer()
    sha256 = Str()
    state = Str(required=True)
    source = Str()
    created_at = ma.fields.DateTime()


# --- compliance -------------------------------------------------------------

class RequirementStateOut(ma.Schema):
    credential_type = Str(required=True)
    credential_type_name = Str()
    status = Str(required=True, validate=validate.OneOf(COMPLIANCE_STATUSES))
    credential_id = ma.fields.Integer(allow_none=True)
    expires_on = ma.fields.Date(allow_none=True)
    expiry_predicted = ma.fields.Boolean()
    days_left = ma.fields.Integer(allow_none=True)
    valid_today = ma.fields.Boolean()
    required_by = ma.fields.List(Str(), metadata={"description": "role:<code> or project:<code>"})


class SummaryOut(ma.Schema):
    counts = ma.fields.Dict(keys=Str(), values=ma.fields.Integer())
    total = ma.fields.Integer()
    people = ma.fields.Integer()
    people_compliant = ma.fields.Integer()
    percent_compliant = ma.fields.Float()
    percent_people_compliant = ma.fields.Float()


class PersonComplianceOut(ma.Schema):
    employee_id = Str(required=True)
    name = Str()
    active = ma.fields.Boolean()
    status = Str(required=True, metadata={"description": "The worst requirement status, or compliant"})
    requirements = ma.fields.List(ma.fields.Nested(RequirementStateOut))


class GroupComplianceOut(ma.Schema):
    on = ma.fields.Date(required=True)
    summary = ma.fields.Nested(SummaryOut, required=True)
    people = ma.fields.List(ma.fields.Nested(PersonComplianceOut), required=True)


class ComplianceArgs(StrictSchema):
    on = ma.fields.Date(metadata={"description": "Evaluate on this date (default today)"})
