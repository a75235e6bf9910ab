"""Apply HRIS and staffing records: the one place people, projects and
assignments from other systems are written (the API and the imports call it).

Each ``plan_*`` function reads the database and says, per record, what would
happen (create / update / unchanged / error with the reasons) without writing
anything; each ``apply_*`` function plans again and carries the plan out in
the caller's session, auditing every change (``settle`` commits it, or rolls
it back for a dry run or a refused all-or-nothing batch). Applying the same records twice
changes nothing the second time and records no audit events.

Records are plain dicts. A key that is absent leaves the field as it is; a key
present with ``None`` clears it (where the field may be empty).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import aliased

from portal.database import note_bulk_write
from portal.extensions import db
from portal.models import (
    Assignment,
    AuditEvent,
    CredentialType,
    Department,
    JobRole,
    Person,
    Project,
    Requirement,
    today,
    utcnow,
)
from portal.services import audit, audit_chain

CHUNK = 900  # ids per IN (...) list: under every engine's parameter limit
PERSON_TEXT_LIMITS = {"employee_id": 64, "first_name": 120, "last_name": 120, "email": 254, "location": 120}
PERSON_FIELDS = ("employee_id", "first_name", "last_name", "email", "job_role", "department",
                 "manager", "location", "active", "hired_on", "left_on")
PROJECT_FIELDS = ("code", "name", "client", "starts_on", "ends_on", "active")
PROJECT_TEXT_LIMITS = {"code": 64, "name": 200, "client": 200}
ASSIGNMENT_FIELDS = ("project", "employee_id", "starts_on", "ends_on", "role_on_project")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Outcome:
    """What happens to one record: create, update, unchanged or error."""

    index: int                      # position in the input (0-based)
    key: str                        # employee id, project code, ...
    action: str = "unchanged"
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (before, after)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    match: dict[str, Any] | None = None   # a close name match proposed for a human to accept

    def fail(self, message: str) -> None:
        self.errors.append(message)
        self.action = "error"

    def settle(self, current: dict[str, Any] | None, wanted: dict[str, Any]) -> None:
        """create (no current record), update (with the changed fields) or unchanged."""
        if current is None:
            self.action = "create"
            self.changes = {k: (None, v) for k, v in wanted.items() if v is not None}
        else:
            self.changes = {k: (current[k], wanted[k]) for k in wanted if current[k] != wanted[k]}
            self.action = "update" if self.changes else "unchanged"

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "key": self.key, "action": self.action,
            "changes": {k: {"before": audit.jsonable(b), "after": audit.jsonable(a)}
                        for k, (b, a) in self.changes.items()},
            "errors": list(self.errors), "warnings": list(self.warnings),
        }


@dataclass
class SyncResult:
    outcomes: list[Outcome]

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("create", "update", "unchanged", "error")}

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == "error"]


def settle(result: SyncResult, dry_run: bool = False, all_or_nothing: bool = False) -> bool:
    """End the transaction an ``apply_*`` call wrote in, for a caller that
    applies one batch (the API; an import applies several kinds, then commits
    them together): commit the valid records, or roll everything back for a
    dry run or, ``all_or_nothing``, when any record was refused. Whether it
    was committed."""
    if dry_run or (all_or_nothing and result.errors):
        db.session.rollback()
        return False
    db.session.commit()
    return True


def chunks(values: Sequence, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _clean_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _fetch_by(model, column, keys: Iterable[Any]) -> dict[Any, Any]:
    keys = list(dict.fromkeys(k for k in keys if k is not None))
    found = {}
    for chunk in chunks(keys):
        for row in db.session.scalars(select(model).where(column.in_(chunk))):
            found[getattr(row, column.key)] = row
    return found


def role_code_for(name: str) -> str:
    """A job role code made from its name when the HRIS sends only the name."""
    return re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")[:64] or "ROLE"


class _Catalogue:
    """Departments and job roles by name/code, creating the new ones once."""

    def __init__(self):
        self.departments = {d.name.casefold(): d for d in db.session.scalars(select(Department))}
        roles = list(db.session.scalars(select(JobRole)))
        self.roles_by_code = {r.code.casefold(): r for r in roles}
        self.roles_by_name = {r.name.casefold(): r for r in roles}
        self.new: list[Any] = []

    def department_name(self, name: str | None) -> str | None:
        if name is None:
            return None
        existing = self.departments.get(name.casefold())
        return existing.name if existing else name

    def role_code(self, code: str | None, name: str | None) -> str | None:
        if code:
            existing = self.roles_by_code.get(code.casefold())
            return existing.code if existing else code
        if name:
            existing = self.roles_by_name.get(name.casefold())
            return existing.code if existing else role_code_for(name)
        return None

    def department(self, name: str | None, actor) -> Department | None:
        if name is None:
            return None
        dept = self.departments.get(name.casefold())
        if dept is None:
            dept = Department(name=name)
            db.session.add(dept)
            db.session.flush()
            audit.record("department.created", dept, after={"name": name}, actor=actor)
            self.departments[name.casefold()] = dept
        return dept

    def role(self, code: str | None, name: str | None, actor) -> JobRole | None:
        code = self.role_code(code, name)
        if code is None:
            return None
        role = self.roles_by_code.get(code.casefold())
        if role is None:
            role = JobRole(code=code, name=name or code)
            db.session.add(role)
            db.session.flush()
            audit.record("job_role.created", role, after={"code": code, "name": role.name}, actor=actor)
            self.roles_by_code[code.casefold()] = role
            self.roles_by_name.setdefault(role.name.casefold(), role)
        return role


# --- people -----------------------------------------------------------------

def _current_people(employee_ids: Iterable[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    """employee id -> (person id, snapshot) for those who exist, read as plain
    columns (no ORM objects: 10,000 of them cost seconds)."""
    manager = aliased(Person)
    found = {}
    eids = list(dict.fromkeys(e for e in employee_ids if e))
    for chunk in chunks(eids):
        for row in db.session.execute(
            select(Person.id, Person.employee_id, Person.first_name, Person.last_name, Person.email,
                   JobRole.code, Department.name, manager.employee_id, Person.location, Person.active,
                   Person.hired_on, Person.left_on)
            .outerjoin(JobRole, JobRole.id == Person.job_role_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .outerjoin(manager, manager.id == Person.manager_id)
            .where(Person.employee_id.in_(chunk))
        ):
            found[row[1]] = (row[0], dict(zip(PERSON_FIELDS, row[1:])))
    return found


@dataclass
class _PeoplePlan:
    outcomes: list[Outcome]
    targets: dict[int, dict[str, Any]]        # outcome index -> wanted snapshot
    ids: dict[str, int]                       # employee id -> person id, for everyone known
    catalogue: _Catalogue
    raw: list[dict[str, Any]]


def _normalise_person(raw: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in ("first_name", "last_name", "email", "location", "department",
                 "job_role", "job_role_name", "manager_employee_id"):
        if name in raw:
            record[name] = _clean_text(raw[name])
    for name, limit in PERSON_TEXT_LIMITS.items():
        value = record.get(name) if name != "employee_id" else None
        if value is not None and len(value) > limit:
            outcome.fail(f"{name.replace('_', ' ')} is longer than {limit} characters")
    if record.get("email") is not None:
        record["email"] = record["email"].lower()
        if not EMAIL_RE.match(record["email"]):
            outcome.fail(f"email {record['email']!r} is not an email address")
    for name in ("hired_on", "left_on"):
        if name in raw:
            value = raw[name]
            if value is not None and not isinstance(value, date):
                outcome.fail(f"{name.replace('_', ' ')} is not a date")
            else:
                record[name] = value
    if "active" in raw:
        if not isinstance(raw["active"], bool):
            outcome.fail("active must be true or false")
        else:
            record["active"] = raw["active"]
    for name in ("first_name", "last_name"):
        if name in record and record[name] is None:
            outcome.fail(f"{name.replace('_', ' ')} cannot be empty")
    return record


def plan_people(records: Sequence[dict[str, Any]], on: date | None = None) -> _PeoplePlan:
    """Say what upserting ``records`` (keyed by ``employee_id``) would do."""
    on = on or today()
    catalogue = _Catalogue()
    outcomes: list[Outcome] = []
    normalised: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for index, raw in enumerate(records):
        employee_id = _clean_text(raw.get("employee_id"))
        outcome = Outcome(index, employee_id or "")
        outcomes.append(outcome)
        if employee_id is None:
            outcome.fail("employee id is missing")
        elif len(employee_id) > PERSON_TEXT_LIMITS["employee_id"]:
            outcome.fail("employee id is longer than 64 characters")
        elif employee_id.casefold() in first_row:
            outcome.fail(f"employee id {employee_id} appears more than once (first at record {first_row[employee_id.casefold()] + 1})")
        else:
            first_row[employee_id.casefold()] = index
        normalised.append(_normalise_person(raw, outcome))

    existing = _current_people(o.key for o in outcomes if o.key)
    # The whole manager graph as (id, employee id, manager id): small even for
    # a large workforce, and it lets cycles through people outside the payload
    # be seen.
    graph = db.session.execute(select(Person.id, Person.employee_id, Person.manager_id)).all()
    id_to_eid = {pid: eid for pid, eid, _ in graph}
    eid_to_id = {eid: pid for pid, eid, _ in graph}
    manager_of = {eid: id_to_eid.get(mid) for _, eid, mid in graph}
    emails_taken = {
        email: eid for email, eid in db.session.execute(
            select(func.lower(Person.email), Person.employee_id).where(Person.email.is_not(None))
        )
    }

    targets: dict[int, dict[str, Any]] = {}
    payload_eids = {o.key for o in outcomes if o.ok}
    # The email each record asks for, by employee id (to see an address move).
    emails_asked = {o.key: r["email"] for o, r in zip(outcomes, normalised) if o.ok and "email" in r}
    email_rows: dict[str, int] = {}
    for outcome, record in zip(outcomes, normalised):
        if not outcome.ok:
            continue
        person = existing.get(outcome.key)
        current = person[1] if person else None
        wanted = dict(current) if current else {
            "employee_id": outcome.key, "first_name": None, "last_name": None, "email": None,
            "job_role": None, "department": None, "manager": None, "location": None,
            "active": True, "hired_on": None, "left_on": None,
        }
        for name in ("first_name", "last_name", "email", "location", "hired_on"):
            if name in record:
                wanted[name] = record[name]
        if "department" in record:
            wanted["department"] = catalogue.department_name(record["department"])
        if "job_role" in record or "job_role_name" in record:
            wanted["job_role"] = catalogue.role_code(record.get("job_role"), record.get("job_role_name"))
        if "manager_employee_id" in record:
            wanted["manager"] = record["manager_employee_id"]
        if "active" in record:
            wanted["active"] = record["active"]
        if "left_on" in record:
            wanted["left_on"] = record["left_on"]
        if wanted["active"] is False and wanted["left_on"] is None:
            wanted["left_on"] = on  # a leaver without a date left today
        if wanted["active"] is True and "left_on" not in record and current and current["active"] is False:
            wanted["left_on"] = None  # rehired
        if person is None:
            for name in ("first_name", "last_name"):
                if not wanted[name]:
                    outcome.fail(f"{name.replace('_', ' ')} is required for a new person")
        manager = wanted["manager"]
        if manager is not None:
            if manager.casefold() == outcome.key.casefold():
                outcome.fail("a person cannot be their own manager")
            elif manager not in eid_to_id and manager not in payload_eids:
                outcome.fail(f"manager {manager} is not a known employee id")
        email = wanted["email"]
        if email is not None:
            owner = emails_taken.get(email)
            released = owner in emails_asked and emails_asked[owner] != email
            if owner is not None and owner != outcome.key and not released:
                outcome.fail(f"email {email} already belongs to employee {owner}")
            elif email in email_rows:
                outcome.fail(f"email {email} appears more than once (first at record {email_rows[email] + 1})")
            else:
                email_rows[email] = outcome.index
        if not outcome.ok:
            continue
        targets[outcome.index] = wanted
        outcome.settle(current, wanted)

    _refuse_manager_cycles(outcomes, targets, manager_of)
    return _PeoplePlan(outcomes, targets, eid_to_id, catalogue, list(records))


def _refuse_manager_cycles(outcomes: list[Outcome], targets: dict[int, dict], manager_of: dict[str, str | None]) -> None:
    graph = dict(manager_of)
    for wanted in targets.values():
        graph[wanted["employee_id"]] = wanted["manager"]
    entries = _cycle_entries(graph, [outcomes[i].key for i in targets])
    for index in list(targets):
        entry = entries.get(outcomes[index].key)
        if entry is not None:
            outcomes[index].fail(f"manager links form a cycle through {entry}")
    _drop_failed(outcomes, targets, set(manager_of))


def _cycle_entries(graph: dict[str, str | None], starts: Iterable[str]) -> dict[str, str | None]:
    """For each person, the first person seen twice when walking up their
    managers (None when the walk reaches the top). Each link is walked once,
    so a deep hierarchy costs no more than a flat one."""
    entry: dict[str, str | None] = {}
    for start in starts:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node = start
        while node is not None and node not in entry and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = graph.get(node)
        if node is None:
            found = None
        elif node in entry:
            found = entry[node]
        else:  # a new cycle, entered at ``node``: its members each meet themselves first
            cycle_from = on_path[node]
            for member in path[cycle_from:]:
                entry[member] = member
            path = path[:cycle_from]
            found = node
        for member in path:
            entry[member] = found
    return entry


def _drop_failed(outcomes: list[Outcome], targets: dict[int, dict], known: set[str]) -> None:
    """Remove failed records; a new person whose manager's record failed fails too."""
    changed = True
    while changed:
        changed = False
        for index in [i for i in targets if not outcomes[i].ok]:
            targets.pop(index)
        planned = {w["employee_id"] for w in targets.values()}
        for index, wanted in list(targets.items()):
            manager = wanted["manager"]
            if manager and manager not in known and manager not in planned:
                outcomes[index].fail(f"manager {manager} cannot be created (their record has errors)")
                changed = True


def apply_people(records: Sequence[dict[str, Any]], actor, on: date | None = None) -> SyncResult:
    """Upsert ``records``: create and update people, then link managers.

    Runs in the caller's session and does not commit. Records with errors are
    skipped (their outcome says why); everything else is written and audited,
    one event per created or changed person.

    The writes are bulk statements (an HRIS file of 10,000 people through the
    ORM's unit of work takes tens of seconds): so they also refresh the
    compliance snapshot of the people written themselves, and expire any of
    them the session holds.
    """
    plan = plan_people(records, on)
    catalogue = plan.catalogue
    # New departments and job roles first (each one is flushed to get its id
    # for the audit event).
    for index, wanted in plan.targets.items():
        changes = plan.outcomes[index].changes
        if "department" in changes:
            catalogue.department(wanted["department"], actor)
        if "job_role" in changes:
            catalogue.role(wanted["job_role"], _clean_text(plan.raw[index].get("job_role_name")), actor)
    db.session.flush()
    ids = plan.ids
    creates = [(i, w) for i, w in plan.targets.items() if plan.outcomes[i].action == "create"]
    updates = [(i, w) for i, w in plan.targets.items() if plan.outcomes[i].action == "update"]

    # Pass 1: everything but the manager link. An email may move between two
    # people in one payload: release the old addresses first so the unique
    # constraint never sees two owners.
    moving = [{"id": ids[plan.outcomes[i].key], "email": None} for i, _ in updates
              if plan.outcomes[i].changes.get("email", (None,))[0] is not None]
    bulk_update(Person, moving)
    bulk_update(Person, [_person_columns(plan.outcomes[i].changes, catalogue, id=ids[plan.outcomes[i].key])
                          for i, _ in updates])
    if creates:
        now = utcnow()
        db.session.execute(insert(Person), [
            {**_person_columns({k: (None, v) for k, v in w.items() if k != "employee_id"}, catalogue),
             "employee_id": w["employee_id"], "created_at": now, "updated_at": now}
            for _, w in creates])
        note_bulk_write(Person.__tablename__, len(creates))
        for eid, (pid, _) in _current_people(w["employee_id"] for _, w in creates).items():
            ids[eid] = pid

    # Pass 2: manager links, now that every person in the payload exists.
    bulk_update(Person, [{"id": ids[plan.outcomes[i].key], "manager_id": ids[w["manager"]] if w["manager"] else None}
                          for i, w in plan.targets.items() if "manager" in plan.outcomes[i].changes])

    events = []
    for index, wanted in plan.targets.items():
        outcome = plan.outcomes[index]
        if outcome.action == "create":
            events.append(("person.created", "Person", ids[outcome.key], None, wanted))
        elif outcome.action == "update":
            before = {k: b for k, (b, _) in outcome.changes.items()}
            after = {k: a for k, (_, a) in outcome.changes.items()}
            action = "person.deactivated" if after.get("active") is False else "person.updated"
            events.append((action, "Person", ids[outcome.key], before, after))
    record_many(events, actor)

    for index, _ in updates:
        held = db.session.identity_map.get(db.session.identity_key(Person, ids[plan.outcomes[index].key]))
        if held is not None:
            db.session.expire(held)
    # What the compliance engine reads of a person: being active, and the
    # role; the department decides which roll-up tally they count in.
    evaluate = [ids[plan.outcomes[i].key] for i, _ in creates] + [
        ids[plan.outcomes[i].key] for i, _ in updates
        if {"active", "job_role", "department"} & plan.outcomes[i].changes.keys()]
    if evaluate:
        from portal.services.compliance_snapshot import refresh_people

        refresh_people(evaluate)
    return SyncResult(plan.outcomes)


def _person_columns(changes: dict[str, tuple[Any, Any]], catalogue: _Catalogue, **extra) -> dict[str, Any]:
    """Person table columns for the changed fields (manager links come later)."""
    columns = dict(extra)
    for name, (_, value) in changes.items():
        if name == "department":
            columns["department_id"] = catalogue.department(value, None).id if value else None
        elif name == "job_role":
            columns["job_role_id"] = catalogue.role(value, None, None).id if value else None
        elif name != "manager":
            columns[name] = value
    return columns


def bulk_update(model, rows: list[dict[str, Any]]) -> None:
    """UPDATE by primary key, one executemany per set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if len(row) > 1:
            groups[tuple(sorted(row))].append(row)
    for group in groups.values():
        db.session.execute(update(model), group)
    note_bulk_write(model.__tablename__, len(rows))


_PLAIN = (str, int, float, bool, type(None))


def _jsonable_fields(values: dict | None) -> dict | None:
    """``audit.jsonable`` for a flat dict of fields, quicker on the common
    values (text, numbers, dates) when there are tens of thousands."""
    if values is None:
        return None
    return {k: v if isinstance(v, _PLAIN) else v.isoformat() if isinstance(v, date) else audit.jsonable(v)
            for k, v in values.items()}


def record_many(events: Sequence[tuple[str, str, Any, dict | None, dict | None]], actor) -> None:
    """Audit events (action, entity type, entity id, before, after) in bulk.

    The same rows ``audit.record`` writes: the first is written by it, the
    rest copy its actor fields and go in with one INSERT.
    """
    if not events:
        return
    action, entity_type, entity_id, before, after = events[0]
    first = audit.record(action, None, entity_type=entity_type, entity_id=entity_id, before=before, after=after,
                         actor=actor)
    db.session.flush()
    now = first.occurred_at
    rows = [{"occurred_at": now, "actor_user_id": first.actor_user_id, "actor_label": first.actor_label,
             "action": action, "entity_type": entity_type, "entity_id": str(entity_id),
             "before": _jsonable_fields(before), "after": _jsonable_fields(after), "ip_address": first.ip_address,
             "request_id": first.request_id}
            for action, entity_type, entity_id, before, after in events[1:]]
    if rows:
        audit_chain.link_rows(db.session, rows)
        db.session.execute(AuditEvent.__table__.insert(), rows)  # Core: no ORM bookkeeping per row


def deactivate_person(person: Person, left_on: date | None, actor) -> Outcome:
    """A leaver: inactive from ``left_on``; their credentials stay in the
    registry. Committed, unless the outcome is an error (nothing is changed)."""
    record: dict[str, Any] = {"employee_id": person.employee_id, "active": False}
    if left_on is not None:
        record["left_on"] = left_on  # otherwise today, or the date already recorded
    result = apply_people([record], actor)
    settle(result, all_or_nothing=True)
    return result.outcomes[0]


# --- projects and requirements ---------------------------------------------

def _project_snapshot(project: Project) -> dict[str, Any]:
    return {name: getattr(project, name) for name in PROJECT_FIELDS}


def plan_projects(records: Sequence[dict[str, Any]]) -> tuple[list[Outcome], dict[str, Project], dict[int, dict]]:
    outcomes, targets, seen = [], {}, {}
    existing = _fetch_by(Project, Project.code, [_clean_text(r.get("code")) for r in records])
    for index, raw in enumerate(records):
        code = _clean_text(raw.get("code"))
        outcome = Outcome(index, code or "")
        outcomes.append(outcome)
        if code is None:
            outcome.fail("project code is missing")
            continue
        if code in seen:
            outcome.fail(f"project code {code} appears more than once (first at record {seen[code] + 1})")
            continue
        seen[code] = index
        project = existing.get(code)
        current = _project_snapshot(project) if project else None
        wanted = dict(current) if current else {"code": code, "name": None, "client": None,
                                                "starts_on": None, "ends_on": None, "active": True}
        for name in ("name", "client"):
            if name in raw:
                wanted[name] = _clean_text(raw[name])
                limit = PROJECT_TEXT_LIMITS[name]
                if wanted[name] and len(wanted[name]) > limit:
                    outcome.fail(f"{name} is longer than {limit} characters")
        for name in ("starts_on", "ends_on"):
            if name in raw:
                if raw[name] is not None and not isinstance(raw[name], date):
                    outcome.fail(f"{name.replace('_', ' ')} is not a date")
                wanted[name] = raw[name]
        if "active" in raw:
            wanted["active"] = bool(raw["active"])
        if len(code) > PROJECT_TEXT_LIMITS["code"]:
            outcome.fail("project code is longer than 64 characters")
        if not wanted["name"]:
            outcome.fail("project name is required")
        if isinstance(wanted["starts_on"], date) and isinstance(wanted["ends_on"], date) \
                and wanted["ends_on"] < wanted["starts_on"]:
            outcome.fail("the project ends before it starts")
        if not outcome.ok:
            continue
        targets[index] = wanted
        outcome.settle(current, wanted)
    return outcomes, existing, targets


def apply_projects(records: Sequence[dict[str, Any]], actor) -> SyncResult:
    outcomes, existing, targets = plan_projects(records)
    for index, wanted in targets.items():
        outcome = outcomes[index]
        if outcome.action == "unchanged":
            continue
        project = existing.get(outcome.key)
        if project is None:
            project = Project(code=outcome.key, name=wanted["name"])
            db.session.add(project)
        for name in PROJECT_FIELDS:
            setattr(project, name, wanted[name])
        db.session.flush()
        before = {k: b for k, (b, _) in outcome.changes.items()} if outcome.action == "update" else None
        after = {k: a for k, (_, a) in outcome.changes.items()}
        audit.record(f"project.{'created' if before is None else 'updated'}", project,
                     before=before, after=after, actor=actor)
    return SyncResult(outcomes)


def set_project_requirements(project: Project, wanted: Sequence[dict[str, Any]], actor) -> SyncResult:
    """Make the project's requirements exactly ``wanted`` ({credential_type, lead_days})."""
    types = _fetch_by(CredentialType, CredentialType.code, [_clean_text(w.get("credential_type")) for w in wanted])
    current = {r.credential_type.code: r for r in project.requirements}
    outcomes, keep = [], set()
    for index, item in enumerate(wanted):
        code = _clean_text(item.get("credential_type"))
        outcome = Outcome(index, code or "")
        outcomes.append(outcome)
        if code is None or code not in types:
            outcome.fail(f"unknown credential type {code!r}")
            continue
        if code in keep:
            outcome.fail(f"credential type {code} appears more than once")
            continue
        keep.add(code)
        lead_days = item.get("lead_days")
        requirement = current.get(code)
        if requirement is None:
            requirement = Requirement(credential_type=types[code], project=project, lead_days=lead_days)
            db.session.add(requirement)
            db.session.flush()
            outcome.action, outcome.changes = "create", {"lead_days": (None, lead_days)}
            audit.record("requirement.created", requirement,
                         after={"project": project.code, "credential_type": code, "lead_days": lead_days},
                         actor=actor)
        elif requirement.lead_days != lead_days:
            outcome.action, outcome.changes = "update", {"lead_days": (requirement.lead_days, lead_days)}
            audit.record("requirement.updated", requirement, before={"lead_days": requirement.lead_days},
                         after={"lead_days": lead_days}, actor=actor)
            requirement.lead_days = lead_days
    if all(o.ok for o in outcomes):
        for code, requirement in current.items():
            if code not in keep:
                audit.record("requirement.deleted", requirement,
                             before={"project": project.code, "credential_type": code,
                                     "lead_days": requirement.lead_days}, actor=actor)
                outcomes.append(Outcome(len(outcomes), code, action="delete"))
                db.session.delete(requirement)
    db.session.flush()
    return SyncResult(outcomes)


# --- assignments ------------------------------------------------------------

def _assignment_snapshot(a: Assignment) -> dict[str, Any]:
    return {"project": a.project.code, "employee_id": a.person.employee_id,
            "starts_on": a.starts_on, "ends_on": a.ends_on, "role_on_project": a.role_on_project}


def plan_assignments(records: Sequence[dict[str, Any]]):
    """Assignments keyed by (project code, employee id, start date)."""
    projects = _fetch_by(Project, Project.code, [_clean_text(r.get("project")) for r in records])
    people = _fetch_by(Person, Person.employee_id, [_clean_text(r.get("employee_id")) for r in records])
    existing: dict[tuple, Assignment] = {}
    project_ids = [p.id for p in projects.values()]
    for chunk in chunks(project_ids):
        for a in db.session.scalars(select(Assignment).where(Assignment.project_id.in_(chunk))):
            existing[(a.project_id, a.person_id, a.starts_on)] = a
    outcomes, targets, seen = [], {}, {}
    for index, raw in enumerate(records):
        code, eid = _clean_text(raw.get("project")), _clean_text(raw.get("employee_id"))
        starts_on, ends_on = raw.get("starts_on"), raw.get("ends_on")
        outcome = Outcome(index, f"{code or '?'}/{eid or '?'}")
        outcomes.append(outcome)
        project, person = projects.get(code), people.get(eid)
        if code is None:
            outcome.fail("project code is missing")
        elif project is None:
            outcome.fail(f"unknown project {code}")
        if eid is None:
            outcome.fail("employee id is missing")
        elif person is None:
            outcome.fail(f"unknown employee id {eid}")
        if not isinstance(starts_on, date):
            outcome.fail("start date is missing or not a date")
        if ends_on is not None and not isinstance(ends_on, date):
            outcome.fail("end date is not a date")
        elif isinstance(starts_on, date) and ends_on is not None and ends_on < starts_on:
            outcome.fail("the assignment ends before it starts")
        role = _clean_text(raw.get("role_on_project"))
        if role and len(role) > 120:
            outcome.fail("role on project is longer than 120 characters")
        if not outcome.ok:
            continue
        key = (project.id, person.id, starts_on)
        if key in seen:
            outcome.fail(f"the same assignment appears more than once (first at record {seen[key] + 1})")
            continue
        seen[key] = index
        wanted = {"project": project.code, "employee_id": person.employee_id,
                  "starts_on": starts_on, "ends_on": ends_on, "role_on_project": role}
        if "role_on_project" not in raw and key in existing:
            wanted["role_on_project"] = existing[key].role_on_project
        targets[index] = (key, project, person, wanted)
        current = _assignment_snapshot(existing[key]) if key in existing else None
        outcome.settle(current, wanted)
    return outcomes, existing, targets


def apply_assignments(records: Sequence[dict[str, Any]], actor, replace_for: Project | None = None) -> SyncResult:
    """Upsert assignments; with ``replace_for``, that project keeps only the
    assignments listed (the staffing system's full view of it)."""
    outcomes, existing, targets = plan_assignments(records)
    if replace_for is not None:
        for a in db.session.scalars(select(Assignment).where(Assignment.project_id == replace_for.id)):
            existing.setdefault((a.project_id, a.person_id, a.starts_on), a)
    if replace_for is not None and not all(o.ok for o in outcomes):
        return SyncResult(outcomes)  # never remove staff on the strength of a broken list
    for index, (key, project, person, wanted) in targets.items():
        outcome = outcomes[index]
        if outcome.action == "unchanged":
            continue
        assignment = existing.get(key)
        if assignment is None:
            assignment = Assignment(project=project, person=person, starts_on=wanted["starts_on"])
            db.session.add(assignment)
        assignment.ends_on, assignment.role_on_project = wanted["ends_on"], wanted["role_on_project"]
        db.session.flush()
        before = {k: b for k, (b, _) in outcome.changes.items()} if outcome.action == "update" else None
        audit.record(f"assignment.{'created' if before is None else 'updated'}", assignment,
                     before=before, after={k: a for k, (_, a) in outcome.changes.items()}, actor=actor)
    if replace_for is not None:
        listed = {t[0] for t in targets.values()}
        for key, assignment in existing.items():
            if key[0] == replace_for.id and key not in listed:
                audit.record("assignment.deleted", assignment, before=_assignment_snapshot(assignment), actor=actor)
                outcomes.append(Outcome(len(outcomes), f"{assignment.project.code}/{assignment.person.employee_id}",
                                        action="delete"))
                db.session.delete(assignment)
        db.session.flush()
    return SyncResult(outcomes)


def group_errors(outcomes: Iterable[Outcome]) -> dict[str, list[int]]:
    """Error messages with the records that have them (for summaries)."""
    grouped: dict[str, list[int]] = defaultdict(list)
    for o in outcomes:
        for e in o.errors:
            grouped[e].append(o.index)
    return dict(grouped)
