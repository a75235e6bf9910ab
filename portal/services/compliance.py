"""Compliance facts from the database, evaluated by ``portal.policies.compliance``.

``load_facts`` reads everything the engine needs for a set of people in a
fixed number of queries (people, requirements, assignments, credentials,
pending documents, policies), whatever the size of the set; the facts can
then be evaluated on any number of dates without going back to the database
(the forecast evaluates twelve months from one load).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from sqlalchemy import Select, or_, select

from portal.database import unindexed
from portal.extensions import db
from portal.models import (
    Assignment,
    Credential,
    CredentialType,
    Document,
    Person,
    Project,
    ReminderPolicy,
    Requirement,
    today,
)
from portal.services import open_documents
from portal.services.verification.requirements import not_meeting
from portal.policies.compliance import (
    Held,
    Need,
    Policy,
    RequirementState,
    Stint,
    Summary,
    evaluate,
    needs_on,
    record_status,
    summarise,
)
from portal.policies.dates import predicted_expiry
from portal.policies.forecast import StaffedStint


@dataclass
class PolicyBook:
    """Reminder policies: the organisation default plus per-type overrides."""

    default: Policy
    by_type: dict[int, Policy] = field(default_factory=dict)
    rows: dict[int | None, ReminderPolicy] = field(default_factory=dict)

    def __call__(self, credential_type_id: int) -> Policy:
        return self.by_type.get(credential_type_id, self.default)


def _as_policy(row: ReminderPolicy) -> Policy:
    return Policy(
        offsets=tuple(sorted((int(o) for o in row.offsets or ()), reverse=True)),
        grace_days=int(row.grace_days or 0),
        renewal_lead_days=row.renewal_lead_days,
    )


def load_policies() -> PolicyBook:
    rows = {row.credential_type_id: row for row in db.session.scalars(select(ReminderPolicy))}
    default = _as_policy(rows[None]) if None in rows else Policy()
    by_type = {type_id: _as_policy(row) for type_id, row in rows.items() if type_id is not None}
    return PolicyBook(default=default, by_type=by_type, rows=rows)


def policy_for(credential_type_id: int) -> Policy:
    return load_policies()(credential_type_id)


PersonIds = Select | Iterable[int]


def _ids_clause(column, person_ids: PersonIds):
    if isinstance(person_ids, Select):
        return column.in_(person_ids)
    return column.in_(list(person_ids))


@dataclass
class Facts:
    """What the engine needs about a set of people, loaded once."""

    job_roles: dict[int, int | None]  # active person id -> job role id
    role_needs: dict[int, list[Need]]
    project_needs: dict[int, list[Need]]
    stints: dict[int, list[Stint]]
    held: dict[int, list[Held]]
    pending: dict[int, set[int]]
    policies: PolicyBook
    staffed: dict[int, list[StaffedStint]] = field(default_factory=dict)  # ``stints`` with assignment ids

    def needs(self, person_id: int, on: date) -> list[Need]:
        role = self.job_roles.get(person_id)
        return needs_on(self.role_needs.get(role, ()), self.stints.get(person_id, ()), self.project_needs, on)

    def person_states(self, person_id: int, on: date) -> list[RequirementState]:
        return evaluate(
            self.needs(person_id, on),
            self.held.get(person_id, ()),
            self.pending.get(person_id, ()),
            self.policies,
            on,
        )

    def states_on(self, on: date) -> dict[int, list[RequirementState]]:
        return {person_id: self.person_states(person_id, on) for person_id in self.job_roles}

    def summary_on(self, on: date) -> Summary:
        return summarise(self.states_on(on))


def load_facts(person_ids: PersonIds, on: date | None = None, until: date | None = None) -> Facts:
    """Facts for the active people among ``person_ids``, valid for dates
    from ``on`` to ``until`` (assignments outside that window are skipped)."""
    on = on or today()
    until = until or on

    people = db.session.execute(
        select(Person.id, Person.job_role_id).where(_ids_clause(Person.id, person_ids), Person.active)
    ).all()
    job_roles = {pid: role for pid, role in people}

    role_needs: dict[int, list[Need]] = {}
    project_needs: dict[int, list[Need]] = {}
    for type_id, role_id, project_id, lead in db.session.execute(
        select(Requirement.credential_type_id, Requirement.job_role_id, Requirement.project_id,
               Requirement.lead_days)
        .outerjoin(Project, Project.id == Requirement.project_id)
        .where(or_(Requirement.project_id.is_(None), Project.active))
    ):
        if role_id is not None:
            role_needs.setdefault(role_id, []).append(Need(type_id, ("role", role_id), lead))
        else:
            project_needs.setdefault(project_id, []).append(Need(type_id, ("project", project_id), lead))

    stints: dict[int, list[Stint]] = {}
    staffed: dict[int, list[StaffedStint]] = {}
    for assignment_id, person_id, project_id, starts, ends in db.session.execute(
        select(Assignment.id, Assignment.person_id, Assignment.project_id, Assignment.starts_on,
               Assignment.ends_on)
        .join(Project, Project.id == Assignment.project_id)
        .where(
            _ids_clause(Assignment.person_id, person_ids),
            Project.active,
            Assignment.overlapping(on, until),
        )
    ):
        stint = Stint(project_id, starts, ends)
        stints.setdefault(person_id, []).append(stint)
        staffed.setdefault(person_id, []).append(StaffedStint(assignment_id, person_id, stint))

    held: dict[int, list[Held]] = {}
    # ``unindexed`` state: next to a long IN list, the planner would walk the
    # (state, expires_on) index through every active record in the registry.
    for cred_id, person_id, type_id, issued, expires, predicted, validity in db.session.execute(
        select(Credential.id, Credential.person_id, Credential.credential_type_id,
               Credential.issued_on, Credential.expires_on, Credential.expiry_predicted,
               CredentialType.validity_months)
        .join(CredentialType, CredentialType.id == Credential.credential_type_id)
        .where(_ids_clause(Credential.person_id, person_ids), unindexed(Credential.state) == "active")
    ):
        if expires is None and validity is not None:
            expires, predicted = predicted_expiry(issued, validity), True
        held.setdefault(person_id, []).append(Held(cred_id, type_id, expires, bool(predicted)))
    unverified = not_meeting((h.credential_id, h.credential_type_id) for hs in held.values() for h in hs)
    if unverified:  # a type whose verification policy is "required": unverified is as good as not held
        held = {pid: [h for h in hs if h.credential_id not in unverified] for pid, hs in held.items()}

    pending = open_documents.pending_types(_ids_clause(Document.person_id, person_ids))
    return Facts(job_roles, role_needs, project_needs, stints, held, pending, load_policies(), staffed)


def person_states(person_id: int, on: date | None = None) -> list[RequirementState]:
    on = on or today()
    return load_facts([person_id], on).person_states(person_id, on)


def people_states(person_ids: PersonIds, on: date | None = None) -> dict[int, list[RequirementState]]:
    on = on or today()
    return load_facts(person_ids, on).states_on(on)


def summary(person_ids: PersonIds, on: date | None = None) -> Summary:
    on = on or today()
    return load_facts(person_ids, on).summary_on(on)


def credential_display_state(credential: Credential, on: date | None = None,
                             policies: PolicyBook | None = None) -> str:
    """How one registry record reads today: valid, expiring, in_grace, expired,
    superseded or revoked (expiry predicted from the type when none is printed)."""
    on = on or today()
    policies = policies or load_policies()
    expires = credential.expires_on
    if expires is None:
        expires = predicted_expiry(credential.issued_on, credential.credential_type.validity_months)
    return record_status(credential.state, expires, on, policies(credential.credential_type_id))


__all__ = [
    "Facts", "PolicyBook", "credential_display_state", "load_facts", "load_policies", "people_states",
    "person_states", "policy_for", "summary",
]
