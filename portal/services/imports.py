"""Spreadsheet imports: people (HRIS export), assignments, legacy credentials.

upload -> map columns -> preview (every row's outcome, nothing written) ->
apply (one transaction; rows with errors are skipped and listed). The file is
read by ``spreadsheets``; people and assignments are planned and written by
``people_sync``, credentials by ``credentials_sync``.

The uploaded file waits in ``<instance>/imports/<id>`` between steps, next to
a small JSON file naming its owner; the id is random and only its owner (the
same user, with the id in their session) may use it. Dates in text use intake's
rules (``intake.dates``): one day/month order per column, decided by the
values themselves, and a column whose order nothing settles is flagged.
"""
from __future__ import annotations

import gc
import json
import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intake.dates import decide_order, find_dates
from portal.errors import Invalid
from portal.extensions import db
from portal.models import Credential, ImportMapping, Notification, Person, utcnow
from portal.policies import notification_keys
from portal.services import audit, credentials_sync, exports, mailer, people_sync, spreadsheets
from portal.services.people_sync import Outcome, SyncResult
from portal.services.spreadsheets import Table, name_key


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = False
    kind: str = "text"  # text | date | bool
    synonyms: tuple[str, ...] = ()


KINDS: dict[str, dict[str, Any]] = {
    "people": {
        "label": "People (HRIS export)",
        "fields": (
            Field("employee_id", "Employee id", True, synonyms=("employee id", "emp id", "employee number", "staff id", "id", "emp no", "personnel number")),
            Field("first_name", "First name", synonyms=("first name", "given name", "forename", "firstname")),
            Field("last_name", "Last name", synonyms=("last name", "surname", "family name", "lastname")),
            Field("email", "Email", synonyms=("email", "email address", "work email", "e-mail")),
            Field("job_role", "Job role code", synonyms=("job code", "role code", "job role code", "position code")),
            Field("job_role_name", "Job role name", synonyms=("job title", "title", "job role", "role", "position")),
            Field("department", "Department", synonyms=("department", "dept", "team", "cost centre", "cost center")),
            Field("manager_employee_id", "Manager's employee id", synonyms=("manager id", "manager employee id", "supervisor id", "reports to")),
            Field("location", "Location", synonyms=("location", "site", "office")),
            Field("active", "Active", kind="bool", synonyms=("active", "status", "employment status")),
            Field("hired_on", "Hired on", kind="date", synonyms=("hire date", "hired on", "start date", "date hired")),
            Field("left_on", "Left on", kind="date", synonyms=("termination date", "left on", "leaving date", "end date")),
        ),
    },
    "assignments": {
        "label": "Assignments (staffing)",
        "fields": (
            Field("project", "Project code", True, synonyms=("project", "project code", "project id", "job number")),
            Field("employee_id", "Employee id", True, synonyms=("employee id", "emp id", "staff id", "employee number")),
            Field("starts_on", "Starts on", True, kind="date", synonyms=("start", "start date", "starts on", "from")),
            Field("ends_on", "Ends on", kind="date", synonyms=("end", "end date", "ends on", "to", "until")),
            Field("role_on_project", "Role on project", synonyms=("role", "role on project", "position")),
        ),
    },
    "credentials": {
        "label": "Credentials (legacy spreadsheet)",
        "fields": (
            Field("employee_id", "Employee id", synonyms=("employee id", "emp id", "staff id", "employee number")),
            Field("email", "Email", synonyms=("email", "email address", "e-mail")),
            Field("full_name", "Full name", synonyms=("name", "full name", "employee", "employee name", "staff name", "holder")),
            Field("first_name", "First name", synonyms=("first name", "forename", "given name")),
            Field("last_name", "Last name", synonyms=("last name", "surname", "family name")),
            Field("credential_type", "Credential (type code or name)", True, synonyms=("credential", "certification", "certificate", "license", "licence", "course", "type", "training")),
            Field("license_number", "License number", synonyms=("license number", "licence number", "license no", "cert number", "certificate number", "number")),
            Field("issued_on", "Issued on", kind="date", synonyms=("issued", "issue date", "issued on", "date issued", "completed", "completion date")),
            Field("expires_on", "Expires on", kind="date", synonyms=("expires", "expiry", "expiry date", "expiration", "expiration date", "expires on", "valid until")),
            Field("notes", "Notes", synonyms=("notes", "comment", "comments", "remarks")),
        ),
    },
}


# --- storage ----------------------------------------------------------------

def _folder() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _valid_id(import_id: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9_-]{20,64}", import_id or ""))


@dataclass
class Upload:
    id: str
    kind: str
    filename: str
    user_id: int
    path: Path
    created_at: str

    def table(self) -> Table:
        return spreadsheets.read_table(self.path, self.filename)


def save_upload(stream, filename: str, kind: str, user) -> Upload:
    if kind not in KINDS:
        raise Invalid("Choose what the file holds.", "kind")
    name = (filename or "").strip()
    if not name.lower().endswith(spreadsheets.EXTENSIONS):
        raise Invalid(f"Upload a CSV or an Excel workbook ({spreadsheets.WORKBOOK_NAMES}).", "file")
    import_id = secrets.token_urlsafe(24)
    path = _folder() / import_id
    size = 0
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    with open(path, "wb") as out:
        while chunk := stream.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise Invalid("The file is larger than the upload limit.", "file")
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise Invalid("The file is empty.", "file")
    meta = {"kind": kind, "filename": name[:200], "user_id": user.id, "created_at": utcnow().isoformat()}
    (_folder() / f"{import_id}.json").write_text(json.dumps(meta))
    upload = Upload(import_id, kind, meta["filename"], user.id, path, meta["created_at"])
    upload.table()  # refuse a broken or oversized file now, not at preview
    return upload


def load_upload(import_id: str, user) -> Upload | None:
    """The upload if it exists and belongs to ``user``; None otherwise."""
    if not _valid_id(import_id):
        return None
    meta_path = _folder() / f"{import_id}.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("user_id") != user.id:
        return None
    return Upload(import_id, meta["kind"], meta["filename"], meta["user_id"], _folder() / import_id, meta["created_at"])


def discard(upload: Upload) -> None:
    upload.path.unlink(missing_ok=True)
    (_folder() / f"{upload.id}.json").unlink(missing_ok=True)


# --- mapping ----------------------------------------------------------------

def fields_for(kind: str) -> tuple[Field, ...]:
    return KINDS[kind]["fields"]


def suggest_mapping(kind: str, headers: Sequence[str]) -> dict[str, str]:
    """field -> header: the remembered mapping where it fits, else by name."""
    remembered = db.session.scalar(select(ImportMapping).where(ImportMapping.kind == kind))
    mapping: dict[str, str] = {}
    present = set(headers)
    if remembered:
        for name, header in (remembered.mapping or {}).items():
            if header in present:
                mapping[name] = header
    taken = set(mapping.values())
    for f in fields_for(kind):
        if f.name in mapping:
            continue
        candidates = {name_key(f.name), name_key(f.label), *(name_key(s) for s in f.synonyms)}
        for header in headers:
            if header not in taken and name_key(header) in candidates:
                mapping[f.name] = header
                taken.add(header)
                break
    return mapping


def check_mapping(kind: str, headers: Sequence[str], mapping: dict[str, str]) -> dict[str, str]:
    """Errors per field (empty when the mapping can be used)."""
    errors = {}
    used: dict[str, str] = {}
    for f in fields_for(kind):
        header = mapping.get(f.name)
        if not header:
            if f.required:
                errors[f.name] = f"Choose the column that holds the {f.label.lower()}."
            continue
        if header not in headers:
            errors[f.name] = "That column is not in the file."
        elif header in used:
            errors[f.name] = f"The column is already used for {used[header]}."
        else:
            used[header] = f.label.lower()
    if kind == "credentials" and not any(mapping.get(k) for k in ("employee_id", "email", "full_name", "last_name")):
        errors["employee_id"] = "Map at least one way to find the person: employee id, email or name."
    if kind == "people" and not errors and not any(mapping.get(k) for k in ("first_name", "last_name")):
        pass  # updates of existing people need no names
    return errors


def remember_mapping(kind: str, mapping: dict[str, str], user) -> None:
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.kind == kind))
    clean = {k: v for k, v in mapping.items() if v}
    if row is None:
        db.session.add(ImportMapping(kind=kind, mapping=clean, updated_by_id=user.id))
    elif row.mapping != clean:
        row.mapping, row.updated_by_id = clean, user.id


# --- values -----------------------------------------------------------------

@dataclass
class DateColumn:
    order: str
    settled: bool
    ambiguous: bool


@lru_cache(maxsize=65536)
def _first_mention(text: str):
    """intake's reading of one cell (cached: a column repeats its dates a lot)."""
    found = find_dates(text)
    return found[0] if found else None


def _date_column(values: Iterable[Any]) -> DateColumn:
    """Decide one day/month order for a column, with intake's rules."""
    mentions = []
    for value in set(v for v in values if isinstance(v, str) and v):
        mention = _first_mention(value)
        if mention is not None:
            mentions.append(mention)
    order, settled = decide_order(mentions, None)
    ambiguous = not settled and any(
        m.kind == "numeric" and m.parts["a"] != m.parts["b"] and int(m.parts["a"]) <= 12 and int(m.parts["b"]) <= 12
        for m in mentions
    )
    return DateColumn(order, settled, ambiguous)


def parse_date_cell(value: Any, column: DateColumn) -> tuple[date | None, str | None, str | None]:
    """(date, error, warning) for one cell."""
    if value in (None, ""):
        return None, None, None
    if isinstance(value, datetime):
        return value.date(), None, None
    if isinstance(value, date):
        return value, None, None
    if isinstance(value, (int, float)):
        return None, f"{value!r} is a number, not a date", None
    text = str(value)
    mention = _first_mention(text)
    if mention is None:
        return None, f"{text!r} is not a date", None
    parsed = mention.resolve(column.order)
    if parsed is None:
        return None, f"{text!r} is not a valid date", None
    warning = None
    if column.ambiguous and mention.kind == "numeric":
        a, b = int(mention.parts["a"]), int(mention.parts["b"])
        if a != b and a <= 12 and b <= 12:
            warning = (f"{text!r} read as {parsed:%d %b %Y} ({'month/day' if column.order == 'MDY' else 'day/month'}"
                       f" order); nothing in the column settles the order — check it")
    return parsed, None, warning


TRUE_WORDS = {"true", "yes", "y", "1", "active", "employed", "current"}
FALSE_WORDS = {"false", "no", "n", "0", "inactive", "terminated", "left", "leaver", "former"}


def parse_bool(value: Any) -> tuple[bool | None, str | None]:
    if value in (None, ""):
        return None, None
    if isinstance(value, bool):
        return value, None
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True, None
    if text in FALSE_WORDS:
        return False, None
    return None, f"{value!r} is not yes/no"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel numbers as ids: 1001.0 -> "1001"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    text = str(value).replace("\x00", "").strip()
    return text or None


@dataclass
class Row:
    number: int                         # spreadsheet row number
    record: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def records(kind: str, table: Table, mapping: dict[str, str]) -> list[Row]:
    index = {h: i for i, h in enumerate(table.headers)}
    columns = {f.name: (f, index[mapping[f.name]]) for f in fields_for(kind)
               if mapping.get(f.name) in index}
    date_columns = {name: _date_column(row[i] for row in table.rows)
                    for name, (f, i) in columns.items() if f.kind == "date"}
    result = []
    for number, values in zip(table.row_numbers, table.rows):
        row = Row(number, {})
        for name, (f, i) in columns.items():
            value = values[i] if i < len(values) else None
            if f.kind == "date":
                parsed, error, warning = parse_date_cell(value, date_columns[name])
                if error:
                    row.errors.append(f"{f.label}: {error}")
                if warning:
                    row.warnings.append(f"{f.label}: {warning}")
                if value not in (None, "") or kind != "people":
                    row.record[name] = parsed
            elif f.kind == "bool":
                parsed, error = parse_bool(value)
                if error:
                    row.errors.append(f"{f.label}: {error}")
                elif parsed is not None:
                    row.record[name] = parsed
            else:
                text = _text(value)
                if text is not None and text.startswith("="):
                    row.errors.append(f"{f.label}: {text[:40]!r} looks like a spreadsheet formula")
                    continue
                # An empty cell leaves the field as it is (HRIS exports often
                # leave out what they do not know).
                if text is not None or (kind != "people" and name not in row.record):
                    row.record[name] = text
        result.append(row)
    return result


# --- preview ----------------------------------------------------------------

@dataclass
class RowResult:
    number: int
    key: str
    action: str                     # create | update | unchanged | error | confirm
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    match: dict[str, Any] | None = None   # fuzzy person match for a human to accept

    @property
    def summary(self) -> str:
        if self.errors:
            return "; ".join(self.errors)
        if self.changes:
            return ", ".join(f"{k.replace('_', ' ')}: {audit.jsonable(b) or '—'} → {audit.jsonable(a) or '—'}"
                             for k, (b, a) in list(self.changes.items())[:6])
        return ""


@dataclass
class Preview:
    kind: str
    rows: list[RowResult]

    @property
    def counts(self) -> dict[str, int]:
        counts = {a: 0 for a in ("create", "update", "unchanged", "confirm", "error")}
        for row in self.rows:
            counts[row.action] = counts.get(row.action, 0) + 1
        return counts

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.rows if r.warnings)


def _merge(rows: list[Row], outcomes: list[Outcome]) -> list[RowResult]:
    merged = []
    for row, outcome in zip(rows, outcomes):
        errors = row.errors + outcome.errors
        merged.append(RowResult(row.number, outcome.key, "error" if errors else outcome.action,
                                outcome.changes if not errors else {}, errors, row.warnings + outcome.warnings,
                                outcome.match))
    return merged


def _usable(rows: list[Row]) -> list[Row]:
    return [r for r in rows if not r.errors]


def _run(kind: str, rows: list[Row], actor, accepted: set[int], write: bool) -> tuple[list[RowResult], Any]:
    """Plan (and with ``write`` apply) the rows; one code path for both."""
    if kind == "credentials":
        return _merge(rows, credentials_sync.plan_credentials(rows, accepted, actor=actor, write=write)), None
    usable = _usable(rows)
    outcomes_by_row: dict[int, Outcome] = {}
    if kind == "people":
        records_ = [r.record for r in usable]
        if write:
            result = people_sync.apply_people(records_, actor)
        else:
            result = SyncResult(people_sync.plan_people(records_).outcomes)
    else:
        records_ = [r.record for r in usable]
        if write:
            result = people_sync.apply_assignments(records_, actor)
        else:
            result = SyncResult(people_sync.plan_assignments(records_)[0])
    for row, outcome in zip(usable, result.outcomes):
        outcomes_by_row[row.number] = outcome
    outcomes = [outcomes_by_row.get(r.number) or Outcome(i, _row_key(kind, r), action="error")
                for i, r in enumerate(rows)]
    return _merge(rows, outcomes), result


def _row_key(kind: str, row: Row) -> str:
    rec = row.record
    if kind == "assignments":
        return f"{rec.get('project') or '?'}/{rec.get('employee_id') or '?'}"
    return credentials_sync.given_key(rec)


@contextmanager
def _collector_paused():
    """Hold the cyclic garbage collector while a file is planned or applied.

    A 50,000-row file keeps a few hundred thousand small objects alive
    (rows, outcomes, parameters); each collection the allocations trigger
    walks all of them again, which costs about a third of the time. The rows
    make no reference cycles worth collecting; reference counting still
    frees everything, and the collector resumes straight after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def preview(upload: Upload, mapping: dict[str, str], accepted: set[int] | None = None) -> Preview:
    """Every row's outcome. Reads only: nothing is added to the session."""
    with _collector_paused():
        rows = records(upload.kind, upload.table(), mapping)
        results, _ = _run(upload.kind, rows, None, accepted or set(), write=False)
    db.session.rollback()  # belt and braces: a preview leaves nothing behind
    return Preview(upload.kind, results)


@dataclass
class Applied:
    preview: Preview
    created: int
    updated: int


def apply(upload: Upload, mapping: dict[str, str], user, accepted: set[int] | None = None) -> Applied:
    """Apply every row without errors, in one transaction, and remember the mapping.

    Anything unexpected rolls the whole import back.
    """
    try:
        with _collector_paused():
            rows = records(upload.kind, upload.table(), mapping)
            results, _ = _run(upload.kind, rows, user, accepted or set(), write=True)
            remember_mapping(upload.kind, mapping, user)
            result = Preview(upload.kind, results)
            audit.record("import.applied", None, entity_type="Import", entity_id=upload.id, actor=user,
                         after={"kind": upload.kind, "filename": upload.filename, **result.counts})
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    counts = result.counts
    return Applied(result, counts["create"], counts["update"])


# --- "please upload your certificate" ----------------------------------------

def unverified_imported(limit: int | None = None) -> list[Credential]:
    query = (select(Credential).where(Credential.source == "import", Credential.verified.is_(False),
                                      Credential.state == "active")
             .order_by(Credential.created_at.desc()))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def request_uploads(credential_ids: Iterable[int], actor) -> int:
    """Queue a "please upload your certificate" Notification per imported,
    unverified credential (once each; delivery is the reminders' job)."""
    ids = list(credential_ids)
    if not ids:
        return 0
    credentials = db.session.scalars(
        select(Credential).options(selectinload(Credential.person), selectinload(Credential.credential_type))
        .where(Credential.id.in_(ids), Credential.source == "import", Credential.verified.is_(False))
    ).all()
    made = mailer.queue_many(
        Notification(
            unique_key=notification_keys.upload_request(credential.id), kind="request", step="upload",
            person_id=person.id, credential_id=credential.id, credential_type_id=credential.credential_type_id,
            recipient_person_id=person.id, recipient_email=person.email, due_on=credential.expires_on,
            subject=f"Please upload your {credential.credential_type.name} certificate",
            context={"reason": "imported", "credential_type": credential.credential_type.name},
        )
        for credential in credentials
        for person in (credential.person,) if person.email and person.active)
    for notification in made:
        audit.record("notification.requested", notification,
                     after={"credential_id": notification.credential_id, "person_id": notification.person_id,
                            "kind": "request"}, actor=actor)
    db.session.commit()
    return len(made)


# --- exports ----------------------------------------------------------------

def preview_csv(result: Preview) -> bytes:
    header = ["row", "key", "outcome", "details", "warnings", "proposed match", "score"]
    return exports.csv_bytes(header, ([
        row.number, row.key, row.action, row.summary, "; ".join(row.warnings),
        (row.match or {}).get("name"), (row.match or {}).get("score"),
    ] for row in result.rows))


def people_count() -> int:
    return db.session.scalar(select(func.count(Person.id)))
