"""Legacy credential records from a spreadsheet, beside ``people_sync``.

Each row names a person (employee id, email, then name: an exact name, or a
close one proposed for a human to accept) and a credential type (code, name
or alias). A row creates an imported, unverified record, updates an earlier
imported one, or leaves a record confirmed from a document alone. The
review's checks (``checks.import_warnings``) become the row's warnings.
Writes are bulk statements, audited row by row.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Protocol, Sequence

from rapidfuzz import fuzz, process
from sqlalchemy import insert, select

from portal.database import note_bulk_write, unindexed
from portal.extensions import db
from portal.models import Credential, CredentialType, Person, utcnow
from portal.services import checks, people_sync
from portal.services.people_sync import Outcome
from portal.services.spreadsheets import name_key

FUZZY_ACCEPT = 90     # a name match this close is proposed for a human to accept
FUZZY_FLOOR = 75      # below this, no proposal
CREDENTIAL_FIELDS = ("license_number", "issued_on", "expires_on", "notes")
ACTIVE_COLUMNS = ("id", "person_id", "credential_type_id", "verified", *CREDENTIAL_FIELDS)


class SheetRow(Protocol):
    number: int                 # the spreadsheet's row number
    record: dict[str, Any]
    errors: list[str]           # found while reading the cells
    warnings: list[str]


def given_key(record: dict[str, Any]) -> str:
    """How a row names its person before it is matched."""
    return record.get("employee_id") or record.get("email") or record.get("full_name") or ""


class PersonFinder:
    """Find the person a credential row belongs to: employee id, email, then name."""

    def __init__(self):
        rows = db.session.execute(select(Person.id, Person.employee_id, Person.email,
                                         Person.first_name, Person.last_name)).all()
        self.by_eid = {eid.casefold(): pid for pid, eid, *_ in rows}
        self.by_email = {email.lower(): pid for pid, _, email, *_ in rows if email}
        self.names = {pid: f"{first} {last}" for pid, _, _, first, last in rows}
        self.eids = {pid: eid for pid, eid, *_ in rows}
        self.name_keys = {pid: name_key(n) for pid, n in self.names.items()}
        self.exact_names: dict[str, list[int]] = defaultdict(list)
        for pid, key in self.name_keys.items():
            self.exact_names[key].append(pid)

    def find(self, record: dict[str, Any]) -> tuple[int | None, str | None, dict | None]:
        """(person id, error, fuzzy proposal)."""
        eid, email = record.get("employee_id"), (record.get("email") or "").lower() or None
        if eid:
            pid = self.by_eid.get(eid.casefold())
            if pid is None:
                return None, f"no person with employee id {eid}", None
            return pid, None, None
        if email:
            pid = self.by_email.get(email)
            if pid is not None:
                return pid, None, None
        name = record.get("full_name") or " ".join(
            p for p in (record.get("first_name"), record.get("last_name")) if p)
        if not name:
            return None, "no employee id, known email or name to find the person", None
        key = name_key(name)
        exact = self.exact_names.get(key, [])
        if len(exact) == 1:
            return exact[0], None, None
        if len(exact) > 1:
            return None, f"{len(exact)} people are called {name}; add their employee id", None
        best = process.extract(key, self.name_keys, scorer=fuzz.token_sort_ratio, limit=2,
                               score_cutoff=FUZZY_FLOOR)
        if not best:
            return None, f"nobody called {name!r}" + (f" or with email {email}" if email else ""), None
        _, score, pid = best[0]
        if len(best) > 1 and best[1][1] == score:
            return None, f"{name!r} matches several people equally; add their employee id", None
        return None, None, {"person_id": pid, "name": self.names[pid], "employee_id": self.eids[pid],
                            "score": round(score), "given": name}


class TypeFinder:
    """Find a credential type by code, name or alias, or a close name."""

    def __init__(self):
        types = list(db.session.scalars(select(CredentialType)))
        self.by_key: dict[str, CredentialType] = {}
        for t in types:
            for key in (t.code, t.name, *(t.aliases or [])):
                self.by_key.setdefault(name_key(str(key)), t)

    def find(self, text: str | None) -> tuple[CredentialType | None, str | None]:
        if not text:
            return None, "the credential is missing"
        found = self.by_key.get(name_key(text))
        if found:
            return found, None
        best = process.extractOne(name_key(text), list(self.by_key), scorer=fuzz.token_set_ratio, score_cutoff=92)
        if best:
            return self.by_key[best[0]], None
        return None, f"unknown credential {text!r} (add it to the taxonomy, or use its code)"


def plan_credentials(rows: Sequence[SheetRow], accepted: set[int], actor=None,
                     write: bool = False) -> list[Outcome]:
    """One outcome per row (rows whose cells had errors only gain more): create
    (imported, unverified), update an earlier unverified record, leave a
    verified one alone, or "confirm" a close name match that is not in
    ``accepted`` (row numbers). With ``write``, the creates and updates are made."""
    people, types = PersonFinder(), TypeFinder()
    outcomes = [Outcome(i, given_key(row.record), action="error") for i, row in enumerate(rows)]
    wanted: list[tuple[Outcome, SheetRow, int, CredentialType]] = []
    for outcome, row in zip(outcomes, rows):
        ctype, type_error = types.find(row.record.get("credential_type"))
        pid, person_error, proposal = people.find(row.record)
        outcome.errors += [e for e in (type_error, person_error) if e]
        if proposal is not None:
            outcome.match = proposal
            if row.number in accepted:
                pid = proposal["person_id"]
            else:
                outcome.action = "confirm"
                continue
        if row.errors or outcome.errors:
            continue
        outcome.key = people.eids[pid]
        wanted.append((outcome, row, pid, ctype))
    _settle(wanted, actor, write)
    return outcomes


def _settle(wanted: list[tuple[Outcome, SheetRow, int, CredentialType]], actor, write: bool) -> None:
    existing = _active_credentials(sorted({pid for _, _, pid, _ in wanted}))
    seen: dict[tuple[int, int], int] = {}
    to_create: list[dict[str, Any]] = []
    to_update: list[dict[str, Any]] = []
    written: set[int] = set()  # people whose credentials this apply writes
    events: list[tuple] = []
    for outcome, row, pid, ctype in wanted:
        key = (pid, ctype.id)
        if key in seen:
            outcome.errors.append(f"same person and credential as row {seen[key]}")
            continue
        seen[key] = row.number
        values = {name: row.record.get(name) for name in CREDENTIAL_FIELDS}
        if values["expires_on"] and values["issued_on"] and values["expires_on"] < values["issued_on"]:
            outcome.errors.append("expires before it was issued")
            continue
        if values["license_number"] and len(values["license_number"]) > 120:
            outcome.errors.append("license number is longer than 120 characters")
            continue
        current = existing.get(key)
        outcome.warnings += checks.import_warnings(values, ctype, current)  # the review's checks, as warnings
        if current is not None and current["verified"]:
            outcome.action = "unchanged"
            outcome.warnings.append(
                "a record confirmed from a document already exists; the spreadsheet does not override it")
            continue
        outcome.settle(current, values)
        if not write or outcome.action == "unchanged":
            continue
        written.add(pid)
        if current is None:
            to_create.append({"person_id": pid, "credential_type_id": ctype.id, "source": "import",
                              "verified": False, "state": "active", "expiry_predicted": False,
                              "version": 1, **values})
        else:
            to_update.append({"id": current["id"], **{k: a for k, (_, a) in outcome.changes.items()}})
            events.append(("credential.updated", "Credential", current["id"],
                           {k: b for k, (b, _) in outcome.changes.items()},
                           {k: a for k, (_, a) in outcome.changes.items()}))
    if to_update:
        _update_credentials(to_update, events, actor)
    if to_create:
        _insert_credentials(to_create, actor)
    if written:
        # Bulk statements bypass the compliance snapshot's session hook.
        from portal.services.compliance_snapshot import refresh_people

        refresh_people(sorted(written))


def _active_credentials(person_ids: list[int]) -> dict[tuple[int, int], dict[str, Any]]:
    """(person id, type id) -> the active record's fields, as plain columns."""
    found: dict[tuple[int, int], dict[str, Any]] = {}
    columns = [getattr(Credential, name) for name in ACTIVE_COLUMNS]
    for chunk in people_sync.chunks(person_ids):
        # ``unindexed`` state: given "state = 'active'" and a long IN list,
        # SQLite walks the (state, expires_on) index through every active
        # record in the registry, once per chunk.
        for row in db.session.execute(select(*columns).where(Credential.person_id.in_(chunk),
                                                             unindexed(Credential.state) == "active")
                                      .order_by(Credential.id.desc())):
            found[(row[1], row[2])] = dict(zip(ACTIVE_COLUMNS, row))  # the oldest wins
    return found


def _update_credentials(rows: list[dict[str, Any]], events: list[tuple], actor) -> None:
    people_sync.bulk_update(Credential, rows)
    people_sync.record_many(events, actor)
    for row in rows:  # the session may hold these records: let it read them again
        held = db.session.identity_map.get(db.session.identity_key(Credential, row["id"]))
        if held is not None:
            db.session.expire(held)


def _insert_credentials(rows: list[dict[str, Any]], actor) -> None:
    """Insert imported credentials and their audit events in bulk.

    Tens of thousands of rows through the ORM unit of work take minutes, and
    INSERT ... RETURNING in parameter order falls back to one statement per
    row on SQLite: one executemany, then the new ids read back by (person,
    type) — each pair had no active record before, so the active one is new.
    """
    now = utcnow()
    for row in rows:
        row["created_at"] = row["updated_at"] = now
    db.session.execute(insert(Credential), rows)
    note_bulk_write(Credential.__tablename__, len(rows))
    new = {key: found["id"] for key, found in _active_credentials(sorted({row["person_id"] for row in rows})).items()}
    people_sync.record_many([
        ("credential.imported", "Credential", new[(row["person_id"], row["credential_type_id"])], None,
         {"person_id": row["person_id"], "credential_type_id": row["credential_type_id"],
          **{k: row[k] for k in CREDENTIAL_FIELDS}, "source": "import", "verified": False})
        for row in rows], actor)
