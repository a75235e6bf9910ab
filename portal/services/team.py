"""The team page: whose team, the matrix of people x required credentials,
and the headline numbers.

Everything is read in a fixed number of queries whatever the team size: the
scope is one subquery of person ids (a recursive CTE for a reporting line),
the engine's facts come from ``compliance.load_facts`` and names from one
query each for people and credential types.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from flask import abort
from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import CredentialType, Department, Person, User, today
from portal.policies.access import sees_everyone
from portal.policies.compliance import (
    SEVERITY,
    RequirementState,
    Status,
    Summary,
    expiring_within,
    summarise,
)
from portal.services import compliance
from portal.services.scoping import can_see_person, reporting_line_ids

PAGE_SIZE = 50
SORTS = {
    "name": "Name",
    "worst": "Most urgent first",
    "days": "Fewest days left",
    "department": "Department",
}
STATUS_LABELS = {
    "compliant": "Compliant", "expiring": "Expiring", "in_grace": "In grace", "expired": "Expired",
    "missing": "Missing", "pending_review": "Pending review",
}


# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class TeamScope:
    """Whose people a page is about: a reporting line, a department, or all."""

    label: str
    person_ids: Select  # active people in scope
    root: Person | None = None  # the manager whose line it is
    department: Department | None = None
    direct_only: bool = False
    org_wide: bool = False  # the user may choose any team, department or the whole org
    chosen_manager: bool = False  # the root was picked, not the user's own line by default

    def args(self) -> dict[str, str]:
        """Query arguments that select this scope again (for export and forecast links)."""
        out = {}
        if self.root is not None and self.chosen_manager:
            out["manager"] = str(self.root.id)
        if self.department is not None:
            out["department"] = str(self.department.id)
        if self.direct_only:
            out["direct"] = "1"
        return out


def resolve_scope(user: User, manager_id: int | None = None, department_id: int | None = None,
                  direct: bool = False) -> TeamScope:
    """The scope a user asked for, within what they may see (404 otherwise).

    Managers start from their own reporting line and may narrow it to a
    manager below them, to direct reports, or to a department. HR, compliance
    and admins start from the whole organisation and may pick any manager's
    team or any department.
    """
    everyone = sees_everyone(user.roles)
    root = None
    if manager_id is not None:
        if not can_see_person(user, manager_id):
            abort(404)
        root = db.session.get(Person, manager_id)
        if root is None:
            abort(404)
    elif not everyone:
        if user.person_id is None:
            abort(404)
        root = db.session.get(Person, user.person_id)
    department = None
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            abort(404)

    ids = select(Person.id).where(Person.active)
    if root is not None:
        if direct:
            ids = ids.where(Person.manager_id == root.id)
        else:
            ids = ids.where(Person.id.in_(reporting_line_ids(root.id)))
    if department is not None:
        ids = ids.where(Person.department_id == department.id)

    parts = []
    if root is not None:
        parts.append(("Direct reports of " if direct else "Team of ") + root.full_name)
    if department is not None:
        parts.append(department.name)
    label = " · ".join(parts) or "Whole organisation"
    return TeamScope(label=label, person_ids=ids, root=root, department=department,
                     direct_only=direct and root is not None, org_wide=everyone,
                     chosen_manager=manager_id is not None)


def scope_from_args(user: User, args) -> TeamScope:
    return resolve_scope(
        user,
        manager_id=args.get("manager", type=int),
        department_id=args.get("department", type=int),
        direct=args.get("direct") in ("1", "on", "true"),
    )


# --------------------------------------------------------------------------- matrix


@dataclass(frozen=True)
class Column:
    id: int
    code: str
    name: str


@dataclass
class Row:
    person_id: int
    name: str
    employee_id: str
    department: str | None
    manager_id: int | None
    cells: dict[int, RequirementState]

    @property
    def worst(self) -> Status | None:
        if not self.cells:
            return None
        return min((c.status for c in self.cells.values()), key=SEVERITY.index)

    @property
    def least_days(self) -> int:
        days = [c.days_left for c in self.cells.values() if c.days_left is not None]
        return min(days) if days else 10**6

    @property
    def compliant(self) -> bool:
        return all(c.valid_today for c in self.cells.values())


@dataclass(frozen=True)
class Headline:
    people: int
    requirements: int
    percent_compliant: float
    percent_people_compliant: float
    expiring_30: int
    expiring_60: int
    expiring_90: int
    expired: int
    in_grace: int
    missing: int
    pending: int


def headline(summary: Summary, states: dict[int, list[RequirementState]]) -> Headline:
    everything = [s for person_states in states.values() for s in person_states]
    return Headline(
        people=summary.people,
        requirements=summary.total,
        percent_compliant=summary.percent_compliant,
        percent_people_compliant=summary.percent_people_compliant,
        expiring_30=expiring_within(everything, 30),
        expiring_60=expiring_within(everything, 60),
        expiring_90=expiring_within(everything, 90),
        expired=summary.count(Status.EXPIRED) + summary.count(Status.IN_GRACE),
        in_grace=summary.count(Status.IN_GRACE),
        missing=summary.count(Status.MISSING),
        pending=summary.count(Status.PENDING_REVIEW),
    )


@dataclass(frozen=True)
class MatrixFilter:
    state: str | None = None
    type_id: int | None = None
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "MatrixFilter":
        state = args.get("state") or None
        if state not in STATUS_LABELS:
            state = None
        sort = args.get("sort") or "name"
        if sort not in SORTS:
            sort = "name"
        return cls(state=state, type_id=args.get("type", type=int), sort=sort,
                   page=max(1, args.get("page", 1, type=int) or 1))


@dataclass
class Matrix:
    scope: TeamScope
    on: date
    filter: MatrixFilter
    columns: list[Column]
    all_columns: list[Column]
    rows: list[Row]  # this page
    matching: int  # rows matching the filter, all pages
    page: int
    pages: int
    headline: Headline
    all_rows: list[Row] = field(default_factory=list, repr=False)  # every matching row (exports)
    states: dict[int, list[RequirementState]] = field(default_factory=dict, repr=False)


def build_matrix(scope: TeamScope, flt: MatrixFilter, on: date | None = None,
                 page_size: int | None = PAGE_SIZE, facts: compliance.Facts | None = None) -> Matrix:
    """The matrix for ``scope`` filtered, sorted and paged as ``flt`` asks
    (pass ``facts`` already loaded for the scope to share them with other parts of a page)."""
    on = on or today()
    facts = facts or compliance.load_facts(scope.person_ids, on)
    states = facts.states_on(on)
    summary = summarise(states)

    people = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name, Person.employee_id, Department.name,
               Person.manager_id)
        .outerjoin(Department, Department.id == Person.department_id)
        .where(Person.id.in_(scope.person_ids))
    ).all()
    type_ids = {s.credential_type_id for person_states in states.values() for s in person_states}
    columns = [Column(t.id, t.code, t.name) for t in db.session.execute(
        select(CredentialType.id, CredentialType.code, CredentialType.name)
        .where(CredentialType.id.in_(type_ids) if type_ids else CredentialType.id.is_(None))
        .order_by(CredentialType.name)
    )]

    rows = [
        Row(person_id=pid, name=f"{first} {last}", employee_id=emp, department=dept, manager_id=mgr,
            cells={s.credential_type_id: s for s in states.get(pid, ())})
        for pid, first, last, emp, dept, mgr in people
        if pid in states
    ]
    shown_columns = [c for c in columns if flt.type_id is None or c.id == flt.type_id]
    if flt.type_id is not None:
        rows = [r for r in rows if flt.type_id in r.cells]
    if flt.state is not None:
        rows = [r for r in rows if any(
            str(c.status) == flt.state for t, c in r.cells.items() if flt.type_id is None or t == flt.type_id
        )]
    rows.sort(key=lambda r: (r.name.split()[-1].lower(), r.name.lower(), r.person_id))
    if flt.sort == "worst":
        rows.sort(key=lambda r: (SEVERITY.index(r.worst) if r.worst else len(SEVERITY), r.least_days))
    elif flt.sort == "days":
        rows.sort(key=lambda r: r.least_days)
    elif flt.sort == "department":
        rows.sort(key=lambda r: (r.department or "~"))

    matching = len(rows)
    if page_size:
        pages = max(1, math.ceil(matching / page_size))
        page = min(flt.page, pages)
        page_rows = rows[(page - 1) * page_size: page * page_size]
    else:
        pages, page, page_rows = 1, 1, rows
    return Matrix(scope=scope, on=on, filter=flt, columns=shown_columns, all_columns=columns,
                  rows=page_rows, matching=matching, page=page, pages=pages,
                  headline=headline(summary, states), all_rows=rows, states=states)


def scope_choices(user: User) -> dict[str, list]:
    """Managers and departments the user may pick from (for the filter form)."""
    managers_q = (
        select(Person.id, Person.first_name, Person.last_name)
        .where(Person.active, Person.id.in_(select(Person.manager_id).where(Person.manager_id.is_not(None))))
        .order_by(Person.last_name, Person.first_name)
    )
    if not sees_everyone(user.roles):
        if user.person_id is None:
            return {"managers": [], "departments": []}
        line = reporting_line_ids(user.person_id)
        managers_q = managers_q.where(Person.id.in_(line) | (Person.id == user.person_id))
    managers = [(pid, f"{first} {last}") for pid, first, last in db.session.execute(managers_q)]
    departments = list(db.session.execute(select(Department.id, Department.name).order_by(Department.name)))
    return {"managers": managers, "departments": departments}


# --------------------------------------------------------------------------- export

EXPORT_HEADER = ("Employee ID", "Name", "Department")


def export_rows(matrix: Matrix) -> tuple[list[str], list[list]]:
    """Header and rows for CSV/XLSX: one column per credential type holding
    the state, then days left and expiry (predicted ones marked)."""
    header = list(EXPORT_HEADER)
    for column in matrix.columns:
        header += [f"{column.name} — state", f"{column.name} — expires", f"{column.name} — days left"]
    out = []
    for row in matrix.all_rows:
        line: list = [row.employee_id, row.name, row.department or ""]
        for column in matrix.columns:
            cell = row.cells.get(column.id)
            if cell is None:
                line += ["not required", "", ""]
                continue
            expires = cell.expires_on.isoformat() if cell.expires_on else ""
            if expires and cell.expiry_predicted:
                expires += " (predicted)"
            if cell.credential_id is not None and cell.expires_on is None:
                expires = "never"
            line += [STATUS_LABELS[str(cell.status)], expires, "" if cell.days_left is None else cell.days_left]
        out.append(line)
    return header, out
