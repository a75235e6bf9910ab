"""The team page: whose team, the matrix of people x required credentials,
and the headline numbers.

Everything is read in a fixed number of queries whatever the team size: the
scope is one subquery of person ids (a recursive CTE for a reporting line)
and the states come from the stored compliance snapshot
(``portal.services.compliance_snapshot``), filtered, sorted and paged in SQL.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

from flask import abort
from sqlalchemy import case, exists, func, literal, Select, select, true, union
from sqlalchemy.orm import aliased

from portal.database import settled_ids
from portal.extensions import db
from portal.routing import db_id
from portal.models import CredentialType, Department, Person, PersonCompliance, RequirementSnapshot, User, today
from portal.policies.access import sees_everyone
from portal.policies.compliance import SEVERITY, RequirementState, Status, Summary
from portal.policies.rollup import state_bit
from portal.policies.verification import STATUSES as VERIFICATION_STATUSES
from portal.services import compliance_rollup
from portal.services.compliance_snapshot import (
    severity_expression,
    state_counts,
    status_expression,
    valid_expression,
)
from portal.services.scoping import can_see_person, reporting_line_ids
from portal.services.verification import status_clause
from portal.services.word_search import each_word_in

PAGE_SIZE = 50
SORTS = {
    "name": "Name",
    "worst": "Most urgent first",
    "days": "Fewest days left",
    "department": "Department",
}
STATUS_LABELS = {
    "compliant": "Compliant", "expiring": "Expiring", "in_grace": "In grace", "expired": "Expired",
    "missing": "Missing", "pending_review": "Waiting for review",
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
    problem: str | None = None  # why a typed manager's name chose nobody (shown by the field)

    @property
    def picked_manager_label(self) -> str:
        """The chosen manager as the search box names them ("" for none)."""
        if self.root is None or not self.chosen_manager:
            return ""
        return manager_label(self.root.first_name, self.root.last_name, self.root.employee_id)

    @property
    def whole_org(self) -> bool:
        return self.root is None and self.department is None

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
    if root is not None:
        ids = settled_ids(ids)

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
    """The scope of a page's query arguments: ``manager`` (an id, from links
    and the select) or ``manager_name`` (the search box of a large
    organisation); a name that picks nobody leaves the default scope and says why."""
    manager_id = args.get("manager", type=db_id)
    typed = (args.get("manager_name") or "").strip()
    problem = None
    if manager_id is None and typed:
        manager = manager_named(user, typed)
        if manager is None:
            problem = (f"No manager matches “{typed[:80]}” among the teams you can see. "
                       "Pick a name from the suggestions.")
        else:
            manager_id = manager.id
    scope = resolve_scope(
        user,
        manager_id=manager_id,
        department_id=args.get("department", type=db_id),
        direct=args.get("direct") in ("1", "on", "true"),
    )
    return replace(scope, problem=problem) if problem else scope


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


@dataclass(frozen=True)
class MatrixFilter:
    state: str | None = None
    type_id: int | None = None
    sort: str = "name"
    page: int = 1
    verification: str | None = None  # a standing (portal.policies.verification.STATUSES) of the held credential

    @classmethod
    def from_args(cls, args) -> "MatrixFilter":
        state = args.get("state") or None
        if state not in STATUS_LABELS:
            state = None
        sort = args.get("sort") or "name"
        if sort not in SORTS:
            sort = "name"
        verification = args.get("verification") or None
        if verification not in VERIFICATION_STATUSES:
            verification = None
        return cls(state=state, type_id=args.get("type", type=db_id), sort=sort,
                   page=max(1, args.get("page", 1, type=int) or 1), verification=verification)


@dataclass
class Matrix:
    scope: TeamScope
    on: date
    filter: MatrixFilter
    columns: list[Column]
    all_columns: list[Column]
    rows: list[Row]  # this page (every matching row when not paged)
    matching: int  # rows matching the filter, all pages
    page: int
    pages: int
    headline: Headline

    def held_credential_ids(self) -> list[int]:
        """The credentials this page's cells hold (for reading their verification standings at once)."""
        return [s.credential_id for row in self.rows for s in row.cells.values() if s.credential_id is not None]


# --------------------------------------------------------------------------- reading the snapshot
#
# The team page reads the stored snapshot (one row per person and required
# type, kept current at every commit): the state on any day is a date
# comparison in SQL, so filters, sorting, paging and the headline are a few
# indexed queries whatever the team's size, and only the page's rows are
# turned into Python objects.

RS = RequirementSnapshot
STATUS_BY_VALUE = {str(status): status for status in Status}  # a dict lookup; Status(value) is slow in bulk


def in_scope(scope: TeamScope):
    # Snapshot rows exist only for active people, so the whole organisation
    # needs no person filter (and skips a 20,000-id IN list per query).
    if scope.whole_org:
        return true()
    return RS.person_id.in_(scope.person_ids)


def snapshot_states(where, on: date) -> dict[int, list[RequirementState]]:
    """Engine states per person, read from the snapshot rows matching ``where``."""
    out: dict[int, list[RequirementState]] = {}
    for row in db.session.execute(
        select(RS.person_id, RS.credential_type_id, status_expression(on).label("status"), RS.credential_id,
               RS.expires_on, RS.expiry_predicted, RS.sources, RS.lead_days, RS.warn_days, RS.grace_days,
               RS.pending)
        .where(*where)
    ):
        days_left = None if row.expires_on is None else (row.expires_on - on).days
        out.setdefault(row.person_id, []).append(RequirementState(
            credential_type_id=row.credential_type_id,
            status=STATUS_BY_VALUE[row.status],
            credential_id=row.credential_id,
            expires_on=row.expires_on,
            expiry_predicted=bool(row.expiry_predicted),
            days_left=days_left,
            valid_today=row.credential_id is not None and (days_left is None or days_left >= 0),
            sources=tuple(tuple(src) for src in row.sources or ()),
            lead_days=row.lead_days,
            warn_days=row.warn_days,
            grace_days=row.grace_days,
            pending=bool(row.pending),
        ))
    return out


def scope_tally(scope: TeamScope, on: date) -> dict | None:
    """The stored roll-up for a scope that is the organisation or a whole
    department, when it is current for ``on`` (else None: read the rows)."""
    if scope.root is not None:
        return None
    return compliance_rollup.tally_for(scope.department.id if scope.department else None, on, scope.whole_org)


def team_headline(scope: TeamScope, on: date, tally: dict | None = None) -> Headline:
    """The headline numbers: the scope's roll-up when there is one, else
    two aggregate queries over its snapshot rows."""
    if tally is not None:
        return _headline(Summary(counts={k: v for k, v in tally["states"].items() if v}, people=tally["people"],
                                 people_compliant=tally["people"] - tally["people_short"], valid=tally["valid"]),
                         {int(days): n for days, n in tally["expiring_within"].items()})
    counts = state_counts([in_scope(scope)], on, windows=(30, 60, 90))
    people, not_compliant = db.session.execute(
        select(
            select(func.count()).select_from(scope.person_ids.subquery()).scalar_subquery(),
            select(func.count(func.distinct(RS.person_id)))
            .where(in_scope(scope), ~valid_expression(on)).scalar_subquery(),
        )
    ).one()
    summary = Summary(counts=counts.by_status, people=people, people_compliant=people - not_compliant,
                      valid=counts.valid)
    return _headline(summary, counts.expiring_within)


def _headline(summary: Summary, expiring_within: dict[int, int]) -> Headline:
    return Headline(
        people=summary.people,
        requirements=summary.total,
        percent_compliant=summary.percent_compliant,
        percent_people_compliant=summary.percent_people_compliant,
        expiring_30=expiring_within[30],
        expiring_60=expiring_within[60],
        expiring_90=expiring_within[90],
        expired=summary.count(Status.EXPIRED) + summary.count(Status.IN_GRACE),
        in_grace=summary.count(Status.IN_GRACE),
        missing=summary.count(Status.MISSING),
        pending=summary.count(Status.PENDING_REVIEW),
    )


def build_matrix(scope: TeamScope, flt: MatrixFilter, on: date | None = None,
                 page_size: int | None = PAGE_SIZE) -> Matrix:
    """The matrix for ``scope`` filtered, sorted and paged as ``flt`` asks."""
    on = on or today()
    row_filter = [in_scope(scope)]
    if flt.type_id is not None:
        row_filter.append(RS.credential_type_id == flt.type_id)
    if flt.verification is not None:  # rows whose held credential has that standing
        row_filter.append(status_clause(flt.verification, on, credential_id=RS.credential_id))
        row_filter.append(RS.credential_id.is_not(None))
    tally = scope_tally(scope, on)
    # The roll-up knows how many people have a row (in each state), and each
    # person's worst state, first expiry and states; by type it does not.
    known = None
    if tally is not None and flt.type_id is None and flt.verification is None:
        known = tally["people_in_state"][flt.state] if flt.state else tally["people_with_requirements"]
    rolled_up = [PersonCompliance.worst_rank.is_not(None)]
    if scope.department is not None:
        rolled_up.append(PersonCompliance.department_key == compliance_rollup.department_key(scope.department.id))
    if flt.state is not None:
        rolled_up.append(PersonCompliance.states.op("&")(state_bit(flt.state)) != 0)
    listed, matching, page, pages = _list_people(row_filter, flt, on, page_size, matching=known, rolled_up=rolled_up)

    ids = [row.id for row in listed]
    states = snapshot_states([RS.person_id.in_(ids)], on) if ids else {}
    rows = [
        Row(person_id=r.id, name=f"{r.first_name} {r.last_name}", employee_id=r.employee_id,
            department=r.department, manager_id=r.manager_id,
            cells={s.credential_type_id: s for s in states.get(r.id, ())})
        for r in listed
    ]
    if scope.whole_org:
        # One index probe per type rather than every row of the organisation.
        required = exists().where(RS.credential_type_id == CredentialType.id)
    else:
        required = CredentialType.id.in_(select(RS.credential_type_id).where(in_scope(scope)).distinct())
    columns = [Column(*c) for c in db.session.execute(
        select(CredentialType.id, CredentialType.code, CredentialType.name).where(required)
        .order_by(CredentialType.name)
    )]
    shown = [c for c in columns if flt.type_id is None or c.id == flt.type_id]
    return Matrix(scope=scope, on=on, filter=flt, columns=shown, all_columns=columns, rows=rows,
                  matching=matching, page=page, pages=pages, headline=team_headline(scope, on, tally))


def _list_people(row_filter: list, flt: MatrixFilter, on: date, page_size: int | None,
                 matching: int | None = None, rolled_up: list | None = None):
    """The people on the asked page, with how many match in all and the page count.

    ``matching``, when the caller knows it (from a roll-up), spares the
    window count, which has to find every matching person; ``rolled_up``
    then says, on the roll-up rows, who is in scope with a requirement (in
    the state asked for), and each person's roll-up answers for their rows.

    A person is in the matrix when one of their snapshot rows passes the
    filters. Sorting by urgency needs each person's worst state and first
    expiry, one aggregate over their rows (or their roll-up, in index
    order); sorting by name or department only needs to know that a
    matching row exists, which is much cheaper over an organisation. Either
    way one query returns the page and, as a window count, the number of
    people matching.
    """
    name_order = (Person.last_name, Person.first_name, Person.id)
    columns = (Person.id, Person.first_name, Person.last_name, Person.employee_id,
               Department.name.label("department"), Person.manager_id)
    by_urgency = flt.sort in ("worst", "days")
    by_name = name_order if flt.sort == "name" else (Department.name.is_(None), Department.name, *name_order)
    if matching is not None:
        # Walk an index of the roll-ups (urgency) or of names and stop at the
        # page; expiry_unknown sorts people without an expiry last, as
        # "first_expiry IS NULL" does below.
        rolled = PersonCompliance
        if by_urgency:
            urgency = (rolled.expiry_unknown, rolled.first_expiry)
            order = (rolled.worst_rank, *urgency, *name_order) if flt.sort == "worst" else (*urgency, *name_order)
            listing = select(*columns).join(rolled, rolled.person_id == Person.id).where(*rolled_up)
        else:
            order = by_name
            listing = select(*columns).where(exists().where(rolled.person_id == Person.id, *rolled_up))
    elif by_urgency:
        per_person = (
            select(RS.person_id.label("person_id"), func.min(severity_expression(on)).label("worst"),
                   func.min(RS.expires_on).label("first_expiry"))
            .where(*row_filter)
            .group_by(RS.person_id)
        )
        if flt.state is not None:
            per_person = per_person.having(func.max(case((status_expression(on) == flt.state, 1), else_=0)) == 1)
        people = per_person.subquery()
        urgency = (people.c.first_expiry.is_(None), people.c.first_expiry)
        order = (people.c.worst, *urgency, *name_order) if flt.sort == "worst" else (*urgency, *name_order)
        listing = select(*columns).join(people, people.c.person_id == Person.id)
    else:
        matching_rows = row_filter + ([status_expression(on) == flt.state] if flt.state is not None else [])
        order = by_name
        listing = select(*columns).where(Person.id.in_(select(RS.person_id).where(*matching_rows)))
    listing = listing.outerjoin(Department, Department.id == Person.department_id).order_by(*order)
    if not page_size:
        listed = db.session.execute(listing).all()
        return listed, len(listed), 1, 1

    if matching is not None:
        pages = max(1, math.ceil(matching / page_size))
        page = min(flt.page, pages)
        listed = db.session.execute(listing.limit(page_size).offset((page - 1) * page_size)).all()
        return listed, matching, page, pages

    def page_of(page: int):
        return db.session.execute(
            listing.add_columns(func.count().over().label("matching"))
            .limit(page_size).offset((page - 1) * page_size)
        ).all()

    listed = page_of(flt.page)
    if not listed and flt.page > 1:
        # Past the last page (the filter left fewer people): show the last one.
        matching = db.session.scalar(select(func.count()).select_from(listing.subquery())) or 0
        listed = page_of(max(1, math.ceil(matching / page_size)))
    matching = listed[0].matching if listed else 0
    pages = max(1, math.ceil(matching / page_size))
    return listed, matching, min(flt.page, pages), pages


# A team picker lists the managers in a select up to this many; beyond it
# (a large organisation has thousands) it becomes a search box whose
# suggestions come MANAGER_SUGGESTIONS at a time, so the page's cost does
# not grow with the number of managers.
MANAGER_LIST_MOST = 100
MANAGER_SUGGESTIONS = 20


def _managers_visible_to(user: User) -> Select | None:
    """Active people with reports whom ``user`` may pick as a team (None: nobody)."""
    reports = aliased(Person)
    managers = select(Person.id, Person.first_name, Person.last_name, Person.employee_id).where(
        Person.active, exists().where(reports.manager_id == Person.id))
    if sees_everyone(user.roles):
        return managers
    if user.person_id is None:
        return None
    # The line's people who have reports: one probe of the manager index
    # each, not every manager in the organisation gathered first.
    line = settled_ids(select(Person.id).where(Person.id.in_(reporting_line_ids(user.person_id))))
    return managers.where(Person.id.in_(union(line, select(literal(user.person_id)))))


def manager_label(first: str, last: str, employee_id: str) -> str:
    """How a manager is named in the search box: unique, because of the employee id."""
    return f"{first} {last} ({employee_id})"


def scope_choices(user: User) -> dict:
    """Managers and departments the user may pick from (for the filter form).

    ``managers`` lists (id, name) when there are at most MANAGER_LIST_MOST;
    with more, it is empty and ``manager_search`` is true: the form shows a
    search box (``manager_suggestions``)."""
    managers_q = _managers_visible_to(user)
    if managers_q is None:
        return {"managers": [], "manager_search": False, "departments": []}
    # Unordered with a limit: the engine stops at the first rows found
    # instead of sorting every manager in a large organisation.
    found = db.session.execute(managers_q.limit(MANAGER_LIST_MOST + 1)).all()
    search = len(found) > MANAGER_LIST_MOST
    managers = [] if search else [(pid, f"{first} {last}") for pid, first, last, _ in
                                  sorted(found, key=lambda row: (row.last_name, row.first_name, row.id))]
    departments = list(db.session.execute(select(Department.id, Department.name).order_by(Department.name)))
    return {"managers": managers, "manager_search": search, "departments": departments}


def manager_suggestions(user: User, text: str | None) -> list[str]:
    """Labels of the first MANAGER_SUGGESTIONS managers whose name or employee
    id contains every typed word, by name (nothing typed: nothing)."""
    managers_q = _managers_visible_to(user)
    words = _typed_words(text)
    if managers_q is None or not words:
        return []
    rows = db.session.execute(managers_q.where(*words).order_by(Person.last_name, Person.first_name, Person.id)
                              .limit(MANAGER_SUGGESTIONS))
    return [manager_label(first, last, employee_id) for _, first, last, employee_id in rows]


def _typed_words(text: str | None) -> list:
    """One clause per typed word, found in a manager's name or employee id (a
    picked label's brackets round the employee id are not part of a word)."""
    words = (text or "").replace("(", " ").replace(")", " ")
    return each_word_in(words, Person.first_name, Person.last_name, Person.employee_id)


def manager_named(user: User, text: str) -> Person | None:
    """The manager a search box names: by the employee id in a picked label,
    else the one manager whose name has every typed word (None: none or several)."""
    managers_q = _managers_visible_to(user)
    if managers_q is None:
        return None
    text = text.strip()
    if text.endswith(")") and "(" in text:
        employee_id = text[text.rindex("(") + 1:-1].strip()
        row = db.session.execute(managers_q.where(Person.employee_id == employee_id)).first()
        if row is not None:
            return db.session.get(Person, row.id)
    words = _typed_words(text)
    rows = db.session.execute(managers_q.where(*words).limit(2)).all() if words else []
    return db.session.get(Person, rows[0].id) if len(rows) == 1 else None


# --------------------------------------------------------------------------- export

EXPORT_HEADER = ("Employee ID", "Name", "Department")


def export_rows(matrix: Matrix) -> tuple[list[str], list[list]]:
    """Header and rows for CSV/XLSX: one column per credential type holding
    the state, then days left and expiry (predicted ones marked)."""
    header = list(EXPORT_HEADER)
    for column in matrix.columns:
        header += [f"{column.name} — state", f"{column.name} — expires", f"{column.name} — days left"]
    out = []
    for row in matrix.rows:
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
