"""Export and import the whole policy set as YAML.

Import checks the complete file first (every problem, with its line) and
then replaces policies and requirements in one transaction: a bad file
changes nothing, a good one is applied whole, each change audited, and the
people it affects re-evaluated.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from portal.extensions import db
from portal.models import CredentialType, JobRole, Project, ReminderPolicy, Requirement
from portal.policies.policy_set import (
    PolicySet,
    PolicySpec,
    RequirementSpec,
    dump,
    make_policy,
    parse,
)
from portal.services import audit
from portal.services.setup import (
    POLICY_FIELDS,
    REQUIREMENT_FIELDS,
    affected_by_requirement,
    people_needing_type,
    reevaluate,
    upsert,
)


def _spec(row: ReminderPolicy) -> PolicySpec:
    return make_policy({
        "offsets": list(row.offsets or []),
        "grace_days": row.grace_days or 0,
        "escalation": list(row.escalation or []),
        "renewal_lead_days": row.renewal_lead_days,
        "allow_digest": bool(row.allow_digest),
    })


def current() -> PolicySet:
    """The policy set as the database holds it."""
    codes = dict(db.session.execute(select(CredentialType.id, CredentialType.code)).all())
    default = PolicySpec(offsets=(90, 60, 30, 14, 7, 0), grace_days=30,
                         escalation=((30, "manager"), (7, "hr"), (0, "compliance")))
    policies = {}
    for row in db.session.scalars(select(ReminderPolicy)):
        if row.credential_type_id is None:
            default = _spec(row)
        else:
            policies[codes[row.credential_type_id]] = _spec(row)
    roles = dict(db.session.execute(select(JobRole.id, JobRole.code)).all())
    projects = dict(db.session.execute(select(Project.id, Project.code)).all())
    by_role: dict[str, list[RequirementSpec]] = {}
    by_project: dict[str, list[RequirementSpec]] = {}
    for req in db.session.scalars(select(Requirement)):
        spec = RequirementSpec(codes[req.credential_type_id], req.lead_days)
        if req.job_role_id is not None:
            by_role.setdefault(roles[req.job_role_id], []).append(spec)
        else:
            by_project.setdefault(projects[req.project_id], []).append(spec)
    return PolicySet(default, policies, by_role, by_project)


def export_yaml() -> str:
    return dump(current())


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    people: int = 0
    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def parse_text(text: str) -> PolicySet:
    """Check ``text`` against the codes in the database (Invalid if bad)."""
    return parse(
        text,
        type_codes=db.session.scalars(select(CredentialType.code)),
        role_codes=db.session.scalars(select(JobRole.code)),
        project_codes=db.session.scalars(select(Project.code)),
    )


def import_yaml(text: str, actor=None, dry_run: bool = False) -> ImportResult:
    """Replace the policy set with the one in ``text``.

    Raises ``Invalid`` (nothing changed) when the file is bad. With
    ``dry_run`` the changes are worked out and rolled back.
    """
    wanted = parse_text(text)
    result = ImportResult()
    affected_people: set[int] = set()
    everyone = False
    try:
        type_ids = dict(db.session.execute(select(CredentialType.code, CredentialType.id)).all())
        everyone = _apply_policies(wanted, type_ids, result, affected_people, actor)
        role_ids = dict(db.session.execute(select(JobRole.code, JobRole.id)).all())
        project_ids = dict(db.session.execute(select(Project.code, Project.id)).all())
        _apply_requirements(wanted, type_ids, role_ids, project_ids, result, affected_people, actor)
        db.session.flush()
        if dry_run:
            db.session.rollback()
            return result
        if result.changed:
            result.people = reevaluate(None if everyone else affected_people)
            audit.record("policy_set.imported", None, after={
                "created": result.created, "updated": result.updated, "deleted": result.deleted,
            }, actor=actor, entity_type="PolicySet")
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _apply_policies(wanted: PolicySet, type_ids, result, affected_people, actor) -> bool:
    rows = {row.credential_type_id: row for row in db.session.scalars(select(ReminderPolicy))}
    targets: dict[int | None, PolicySpec] = {None: wanted.default_policy}
    targets.update({type_ids[code]: spec for code, spec in wanted.policies.items()})
    everyone = False
    for type_id, spec in targets.items():
        values = spec.as_dict()
        values["escalation"] = [dict(s) for s in values["escalation"]]
        row = rows.get(type_id)
        if row is not None and _spec(row) == spec:
            result.unchanged += 1
            continue
        label = "default policy" if type_id is None else f"policy for {_code(type_ids, type_id)}"

        def assign(policy: ReminderPolicy, values=values) -> None:
            for name, value in values.items():
                setattr(policy, name, value)

        _, created = upsert(row, lambda type_id=type_id: ReminderPolicy(credential_type_id=type_id), assign,
                            POLICY_FIELDS, "policy", actor=actor, entity_type="ReminderPolicy")
        if created:
            result.created += 1
            result.changes.append(f"Added the {label}")
        else:
            result.updated += 1
            result.changes.append(f"Changed the {label}")
        if type_id is None:
            everyone = True
        else:
            affected_people.update(db.session.scalars(people_needing_type(type_id)))
    for type_id, row in rows.items():
        if type_id not in targets:
            audit.record("policy.deleted", row, before=audit.snapshot(row, POLICY_FIELDS), actor=actor,
                         entity_type="ReminderPolicy")
            db.session.delete(row)
            result.deleted += 1
            result.changes.append(f"Removed the policy for {_code(type_ids, type_id)}")
            affected_people.update(db.session.scalars(people_needing_type(type_id)))
    return everyone


def _code(type_ids: dict[str, int], type_id: int) -> str:
    return next((code for code, tid in type_ids.items() if tid == type_id), str(type_id))


def _apply_requirements(wanted: PolicySet, type_ids, role_ids, project_ids, result, affected_people,
                        actor) -> None:
    want: dict[tuple[int, str, int], int | None] = {}
    for code, specs in wanted.role_requirements.items():
        for spec in specs:
            want[(type_ids[spec.credential_type], "role", role_ids[code])] = spec.lead_days
    for code, specs in wanted.project_requirements.items():
        for spec in specs:
            want[(type_ids[spec.credential_type], "project", project_ids[code])] = spec.lead_days
    existing = {}
    for req in db.session.scalars(select(Requirement)):
        key = (req.credential_type_id, "role", req.job_role_id) if req.job_role_id is not None else (
            req.credential_type_id, "project", req.project_id)
        existing[key] = req
    for key, req in existing.items():
        if key not in want:
            affected_people.update(db.session.scalars(affected_by_requirement(req)))
            audit.record("requirement.deleted", req, before=audit.snapshot(req, REQUIREMENT_FIELDS),
                         actor=actor)
            db.session.delete(req)
            result.deleted += 1
            result.changes.append(f"Removed {_code(type_ids, key[0])} from {key[1]} "
                                  f"{_owner(key, role_ids, project_ids)}")
    db.session.flush()
    for key, lead in want.items():
        req = existing.get(key)
        where = f"{key[1]} {_owner(key, role_ids, project_ids)}"
        if req is None:
            req = Requirement(credential_type_id=key[0], lead_days=lead,
                              job_role_id=key[2] if key[1] == "role" else None,
                              project_id=key[2] if key[1] == "project" else None)
            db.session.add(req)
            db.session.flush()
            audit.record("requirement.created", req, after=audit.snapshot(req, REQUIREMENT_FIELDS),
                         actor=actor)
            result.created += 1
            result.changes.append(f"Required {_code(type_ids, key[0])} for {where}")
            affected_people.update(db.session.scalars(affected_by_requirement(req)))
        elif req.lead_days != lead:
            before = audit.snapshot(req, REQUIREMENT_FIELDS)
            req.lead_days = lead
            audit.record("requirement.updated", req,
                         *audit.changed(before, audit.snapshot(req, REQUIREMENT_FIELDS)), actor=actor)
            result.updated += 1
            result.changes.append(f"Changed the lead time of {_code(type_ids, key[0])} for {where}")
            affected_people.update(db.session.scalars(affected_by_requirement(req)))
        else:
            result.unchanged += 1


def _owner(key, role_ids, project_ids) -> str:
    table = role_ids if key[1] == "role" else project_ids
    return next((code for code, oid in table.items() if oid == key[2]), str(key[2]))
