"""Roster and exclusion files: a board's result file (Nursys e-Notify style) and
the monthly OIG LEIE exclusion list.

Each file is stored first and kept with its ``VerificationImport`` row as
evidence. Rows are matched to people and credentials; a check is recorded per
matched credential, and alerts go out only for changes (a new discipline, a
status change, a new match on the exclusion list), never for a row that says
what the last file said. Near misses on the exclusion list are listed on the
import for a person to look at, not flagged.

An import is a job (the monthly LEIE alone has ~80,000 rows). The upload
stores the file, checks it names the columns needed (a refusal is shown next
to the file field, and nothing is kept) and leaves a ``queued`` row; the task
carries its id. ``run`` applies the rows in batches, each committed with its
checks, alerts and counts only while its attempt still owns the row, so a
worker killed mid-file loses nothing and the run taken up again (by ``sweep``,
as for documents) starts after the last batch. A file that cannot be read to
the end is ``failed`` with its reason on the import row; the file stays.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from flask import current_app
from rapidfuzz import fuzz
from sqlalchemy import func, or_, select, update

from portal.errors import Invalid
from portal.extensions import db
from portal.models import (
    Credential,
    ExclusionMatch,
    Person,
    User,
    Verification,
    VerificationImport,
    VerificationPolicy,
    utcnow,
)
from portal.services import audit, spreadsheets
from portal.services.spreadsheets import name_key
from portal.services.verification.base import Check

ROSTER_SOURCE = "Board roster (e-Notify)"
EXCLUSION_SOURCE = "OIG LEIE exclusion list"
# A name this close (token sort ratio) is the same person; between the floors, a near miss to review.
MATCH_SCORE, NEAR_MISS_SCORE = 92, 80
# The monthly OIG LEIE list alone has about 80,000 rows; a row limit sized for
# people imports (IMPORT_MAX_ROWS) would refuse it.
MAX_ROWS_DEFAULT = 250_000
# Rows applied and committed together: the unit of progress, and of work redone after a crash.
BATCH_ROWS = 2_000
# A running import that committed no batch for this long lost its worker (a batch takes seconds).
STUCK_AFTER = timedelta(minutes=10)
# A queued import no worker took up for this long lost its task (Huey never re-delivers one).
LOST_IN_QUEUE_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 3
# An interrupted import waits this long on the schedule: the next consumer takes it, not the one stopping.
REQUEUE_INTERRUPTED_DELAY = 10
KEPT_ROW_NOTES = 500  # rows to look at kept on the import (unmatched numbers, near misses)
log = logging.getLogger(__name__)
# Roster statuses that mean the licence is in good standing.
GOOD_STANDING = ("active", "clear", "current", "unencumbered", "valid")

COLUMNS = {
    "roster": {
        "license_number": ("license number", "licence number", "license", "license no", "license_number"),
        "first_name": ("first name", "firstname", "first_name", "given name"),
        "last_name": ("last name", "lastname", "last_name", "surname", "family name"),
        "full_name": ("name", "full name", "nurse name"),
        "status": ("license status", "status", "licence status"),
        "expires_on": ("expiration date", "expires", "expiry", "expiration", "license expiration date"),
        "discipline": ("discipline", "disciplinary action", "discipline flag", "board action", "public discipline"),
        "jurisdiction": ("state", "jurisdiction", "license state", "board"),
    },
    "exclusion": {
        "last_name": ("lastname", "last name"),
        "first_name": ("firstname", "first name"),
        "middle_name": ("midname", "middle name"),
        "business": ("busname",),
        "npi": ("npi",),
        "dob": ("dob",),
        "state": ("state",),
        "exclusion_type": ("excltype",),
        "excluded_on": ("excldate",),
        "reinstated_on": ("reindate",),
    },
}
REQUIRED = {"roster": ("license_number", "status"), "exclusion": ("last_name", "first_name")}


@dataclass
class Result:
    record: VerificationImport
    near_misses: list[dict]


@dataclass
class Tally:
    """What an import has found so far (its counts are written with each batch)."""

    matched: int = 0
    alerts: int = 0
    notes: list[dict] = field(default_factory=list)  # rows to look at


def _number(text: Any) -> str:
    return re.sub(r"[\s.-]", "", str(text or "")).upper()


def map_columns(kind: str, headers: list[str]) -> dict[str, int]:
    """Column index per field; Invalid naming what is missing (and what was found)."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = name_key(header)
        for name, synonyms in COLUMNS[kind].items():
            if name not in found and key in {name_key(s) for s in synonyms}:
                found[name] = index
    missing = [n for n in REQUIRED[kind] if n not in found]
    if kind == "roster" and "full_name" not in found and "last_name" not in found:
        missing.append("last_name or name")
    if missing:
        raise Invalid(f"The file has no column for {', '.join(m.replace('_', ' ') for m in missing)}. "
                      f"Its columns: {', '.join(h for h in headers if h)[:300]}.", field="file")
    return found


def _read(stored_path, filename: str) -> tuple[list[str], list[list[Any]], list[int]]:
    limit = int(current_app.config.get("VERIFICATION_IMPORT_MAX_ROWS", MAX_ROWS_DEFAULT))
    table = spreadsheets.read_table(stored_path, filename, limit)  # unreadable: Invalid(..., field="file")
    return table.headers, table.rows, table.row_numbers


def receive(stream: IO[bytes], filename: str | None, kind: str, actor: User | None = None,
            source: str | None = None) -> VerificationImport:
    """Store a roster or exclusion file and keep it as a queued import.

    Invalid (field "file"/"kind") before anything is recorded when the file
    is refused or names no column a kind needs; the rows are read by ``run``.
    """
    from portal.services import documents

    if kind not in COLUMNS:
        raise Invalid("Choose what the file is: a roster or an exclusion list.", field="kind")
    name = documents.safe_name(filename)
    if not name.lower().endswith(spreadsheets.EXTENSIONS):
        raise Invalid(f"Upload a CSV or an Excel workbook ({spreadsheets.WORKBOOK_NAMES}).", field="file")
    try:
        stored = documents.store(stream)
    except documents.UploadRefused as refused:
        raise Invalid(refused.message, field="file") from refused
    map_columns(kind, spreadsheets.read_headers(stored.path, name))
    now = utcnow()
    record = VerificationImport(kind=kind, source=(source or (ROSTER_SOURCE if kind == "roster"
                                                                else EXCLUSION_SOURCE))[:200],
                                original_name=name, sha256=stored.sha256, state="queued", queued_at=now,
                                imported_by_id=actor.id if actor else None, imported_at=now)
    db.session.add(record)
    db.session.flush()
    audit.record("verification.import_queued", record, actor=actor,
                 after={"kind": kind, "file": name, "sha256": stored.sha256, "size": stored.size})
    db.session.commit()
    return record


def submit(stream: IO[bytes], filename: str | None, kind: str, actor: User | None = None,
           source: str | None = None) -> VerificationImport:
    """Receive a file and hand its import to the job queue (the admin page's upload)."""
    record = receive(stream, filename, kind, actor, source)
    enqueue(record.id)
    return record


def import_file(stream: IO[bytes], filename: str | None, kind: str, actor: User | None = None,
                source: str | None = None) -> Result:
    """Receive a file and import it here and now (the demo seed; tests): ``run`` in this process."""
    record = receive(stream, filename, kind, actor, source)
    run(record.id)
    record = db.session.get(VerificationImport, record.id, populate_existing=True)
    return Result(record, list(record.errors))


def enqueue(import_id: int, delay: float | None = None) -> None:
    from jobs.verification import import_later, import_roster_file

    if delay:
        import_later(import_id, delay)
    else:
        import_roster_file(import_id)


# --- the job -----------------------------------------------------------------

def _change(import_id: int, conditions: tuple, **values) -> bool:
    """Change an import row only while ``conditions`` hold; the caller commits."""
    result = db.session.execute(update(VerificationImport).where(VerificationImport.id == import_id, *conditions)
                                .values(**values).execution_options(synchronize_session=False))
    db.session.expire_all()
    return result.rowcount == 1


def _owned(attempt: int) -> tuple:
    """While this attempt's run still owns the import (the sweeper has not handed it to another)."""
    return VerificationImport.state == "running", VerificationImport.attempts == attempt


def _importer(record: VerificationImport) -> User | None:
    return db.session.get(User, record.imported_by_id) if record.imported_by_id else None


def _begin(import_id: int) -> int | None:
    """queued -> running, once: the attempt's number, None when the row is not queued any more."""
    record = db.session.get(VerificationImport, import_id)
    if record is None or record.state != "queued":
        return None
    attempt, now = record.attempts + 1, utcnow()
    moved = _change(import_id, (VerificationImport.state == "queued", VerificationImport.attempts == record.attempts),
                    state="running", attempts=attempt, started_at=now, progress_at=now, error=None)
    db.session.commit()
    return attempt if moved else None


def run(import_id: int) -> VerificationImport | None:
    """The import task's body: read the stored file and apply its rows after the last committed batch.

    Running it again for a done, failed or running import changes nothing.
    """
    from portal.services.documents import stored_path

    attempt = _begin(import_id)
    if attempt is None:
        return None
    record = db.session.get(VerificationImport, import_id)
    try:
        headers, rows, numbers = _read(stored_path(record.sha256), record.original_name)
        columns = map_columns(record.kind, headers)
    except Invalid as refused:
        return _fail(import_id, attempt, refused.message)
    except OSError as error:
        return _fail(import_id, attempt, f"The stored file could not be read ({error.strerror or error}).")
    if not _change(import_id, _owned(attempt), rows=len(rows), progress_at=utcnow()):
        db.session.rollback()
        return None
    db.session.commit()  # the page shows "0 of 80,000 rows" while the first batch runs
    record = db.session.get(VerificationImport, import_id)
    actor = _importer(record)
    tally = Tally(record.matched, record.alerts, list(record.errors or []))
    apply = RosterRun(record, actor) if record.kind == "roster" else ExclusionRun(record, actor)
    done, size = record.processed, int(current_app.config.get("VERIFICATION_IMPORT_BATCH_ROWS", BATCH_ROWS))
    try:
        while done < len(rows):
            batch = slice(done, done + size)
            values = [{name: row[i] if i < len(row) else None for name, i in columns.items()} for row in rows[batch]]
            apply(values, numbers[batch], tally)
            done = min(done + size, len(rows))
            if not _commit_batch(import_id, attempt, len(rows), done, tally):
                return None  # the sweeper gave the import to another run: its work is what counts
    except Exception as error:  # a bug or a lost database must not leave the import "running"
        log.exception("roster import %s failed at row %s", import_id, done)
        db.session.rollback()
        return _fail(import_id, attempt, f"The import stopped after {done:,} of {len(rows):,} rows "
                                         f"({type(error).__name__}); those rows are applied and kept. "
                                         "Try again to finish it.")
    return _finish(import_id, attempt, tally)


def _commit_batch(import_id: int, attempt: int, rows: int, done: int, tally: Tally) -> bool:
    """Commit a batch's checks with the import's counts, or roll them back if this run lost the import."""
    if _change(import_id, _owned(attempt), rows=rows, processed=done, matched=tally.matched,
               alerts=tally.alerts, errors=tally.notes[:KEPT_ROW_NOTES], progress_at=utcnow()):
        db.session.commit()
        return True
    db.session.rollback()
    return False


def _finish(import_id: int, attempt: int, tally: Tally) -> VerificationImport | None:
    if not _change(import_id, _owned(attempt), state="done", finished_at=utcnow()):
        db.session.rollback()
        return None
    record = db.session.get(VerificationImport, import_id)
    audit.record("verification.imported", record, actor=_importer(record) or "system",
                 after={"kind": record.kind, "file": record.original_name, "sha256": record.sha256,
                        "rows": record.rows, "matched": record.matched, "alerts": record.alerts})
    db.session.commit()
    return record


def _fail(import_id: int, attempt: int, message: str) -> VerificationImport | None:
    """running -> failed with the reason on the row (the file and the rows applied so far stay)."""
    if not _change(import_id, _owned(attempt), state="failed", error=message[:2000],
                   finished_at=utcnow()):
        db.session.rollback()
        return None
    record = db.session.get(VerificationImport, import_id)
    audit.record("verification.import_failed", record, actor="system",
                 after={"file": record.original_name, "error": message, "processed": record.processed})
    db.session.commit()
    return record


def retry(import_id: int, actor: User | None = None) -> VerificationImport:
    """failed -> queued, asked by an admin: the import starts again after its last committed batch
    (a file that could not be read is read again), with MAX_ATTEMPTS tries of its own.

    Invalid when the import is not failed (it finished, or another admin already retried it).
    """
    record = db.session.get(VerificationImport, import_id)
    if record is None or not _change(import_id, (VerificationImport.state == "failed",), state="queued",
                                     queued_at=utcnow(), retried_after=record.attempts, error=None,
                                     finished_at=None):
        db.session.rollback()
        raise Invalid("Only a failed import can be tried again; this one is not failed any more.")
    record = db.session.get(VerificationImport, import_id)
    audit.record("verification.import_retried", record, actor=actor, before={"state": "failed"},
                 after={"state": "queued", "processed": record.processed, "attempts": record.attempts})
    db.session.commit()
    enqueue(import_id)
    return record


def requeue_interrupted(import_id: int) -> bool:
    """running -> queued (and scheduled) for an import its consumer interrupted; the interrupted
    run commits nothing more (its attempt no longer owns the row)."""
    moved = _change(import_id, (VerificationImport.state == "running",), state="queued", queued_at=utcnow())
    if moved:
        audit.record("verification.import_recovered", db.session.get(VerificationImport, import_id), actor="system",
                     before={"state": "running"}, after={"state": "queued", "reason": "the consumer stopped"})
    db.session.commit()
    if moved:
        enqueue(import_id, delay=REQUEUE_INTERRUPTED_DELAY)
    return moved


def sweep(now: datetime | None = None) -> dict[str, list[int]]:
    """Take up imports a dead worker left running, or a lost task left queued.

    A run silent for STUCK_AFTER goes back to queued (failed after
    MAX_ATTEMPTS) and is enqueued again; it resumes after its last batch. Each
    move is a conditional UPDATE, so two sweepers take an import up once.
    """
    now = now or utcnow()
    silent = or_(VerificationImport.progress_at < now - STUCK_AFTER, VerificationImport.progress_at.is_(None))
    recovered, gave_up, requeued = [], [], []
    for record in db.session.scalars(select(VerificationImport).where(VerificationImport.state == "running",
                                                                      silent)).all():
        attempts, processed = record.attempts, record.processed
        owned = _owned(attempts)
        if attempts - record.retried_after >= MAX_ATTEMPTS:
            if _change(record.id, (*owned, silent), state="failed", finished_at=now,
                       error=f"The import stopped {attempts} times without finishing (its worker died), after "
                             f"{processed:,} rows; those are applied and kept. Try again to finish it."):
                gave_up.append(record.id)
        elif _change(record.id, (*owned, silent), state="queued", queued_at=now):
            recovered.append(record.id)
        else:
            continue
        audit.record("verification.import_recovered", record, actor="system", before={"state": "running"},
                     after={"state": "failed" if record.id in gave_up else "queued", "attempts": attempts,
                            "processed": processed})
    db.session.commit()
    for import_id in db.session.scalars(select(VerificationImport.id).where(
            VerificationImport.state == "queued", VerificationImport.queued_at < now - LOST_IN_QUEUE_AFTER)).all():
        if _change(import_id, (VerificationImport.state == "queued",
                               VerificationImport.queued_at < now - LOST_IN_QUEUE_AFTER), queued_at=now):
            requeued.append(import_id)
    db.session.commit()
    for import_id in recovered + requeued:
        enqueue(import_id)
    return {"recovered": recovered, "failed": gave_up, "requeued": requeued}


# --- rosters -----------------------------------------------------------------

def _roster_check(row: dict[str, Any], source: str, credential: Credential, number: int) -> Check:
    status = str(row.get("status") or "").strip()
    discipline = str(row.get("discipline") or "").strip()
    disciplined = discipline.lower() not in ("", "no", "n", "none", "false", "0")
    good = status.lower() in GOOD_STANDING and not disciplined
    name = row.get("full_name") or " ".join(str(row.get(k) or "") for k in ("first_name", "last_name")).strip()
    score = round(fuzz.token_sort_ratio(name_key(name), name_key(credential.person.full_name)))
    evidence = {"row": number, "status": status, "discipline": discipline or "none",
                "expires_on": str(row.get("expires_on") or ""), "name": name, "name_score": score,
                "jurisdiction": str(row.get("jurisdiction") or "")}
    if score < NEAR_MISS_SCORE:
        return Check("roster", source, "unverifiable",
                     f"The roster lists this number for {name}, not {credential.person.full_name}.", evidence)
    if good:
        return Check("roster", source, "verified", f"The board's roster lists the licence as {status}.", evidence)
    what = f"status {status}" + (f" with discipline ({discipline})" if disciplined else "")
    return Check("roster", source, "failed", f"The board's roster lists the licence with {what}.", evidence)


def _fingerprint(evidence: dict) -> str:
    keys = ("status", "discipline", "expires_on")
    return hashlib.sha256(json.dumps([evidence.get(k) for k in keys]).encode()).hexdigest()


def _last_roster_fingerprints(credential_ids: list[int], import_id: int) -> dict[int, str]:
    """Per credential, the fingerprint of its last roster check before this import."""
    found = {}
    for start in range(0, len(credential_ids), 500):
        latest = (select(func.max(Verification.id)).where(
            Verification.credential_id.in_(credential_ids[start:start + 500]), Verification.method == "roster",
            Verification.import_id != import_id).group_by(Verification.credential_id))
        for last in db.session.scalars(select(Verification).where(Verification.id.in_(latest))):
            found[last.credential_id] = _fingerprint(last.evidence)
    return found


def _credentials_by_number(rows: list[dict]) -> dict[str, list[Credential]]:
    keys = list({_number(r.get("license_number")) for r in rows if r.get("license_number")})
    by_number: dict[str, list[Credential]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        normalised = func.upper(func.replace(func.replace(Credential.license_number, "-", ""), " ", ""))
        for credential in db.session.scalars(select(Credential).where(
                Credential.state == "active", normalised.in_(chunk))):
            by_number.setdefault(_number(credential.license_number), []).append(credential)
    return by_number


class RosterRun:
    """Applies a roster's rows, a batch at a time, for one run of an import."""

    def __init__(self, record: VerificationImport, actor: User | None):
        self.import_id, self.source, self.actor = record.id, record.source, actor
        self.policies: dict[int, VerificationPolicy | None] = {}

    def __call__(self, rows: list[dict], numbers: list[int], tally: Tally) -> None:
        from portal.services import verification
        from portal.services.verification import notices

        by_number = _credentials_by_number(rows)
        previous = _last_roster_fingerprints([c.id for found in by_number.values() for c in found], self.import_id)
        for row, number in zip(rows, numbers):
            credentials = by_number.get(_number(row.get("license_number")), [])
            if not credentials:
                tally.notes.append({"row": number, "message": f"No current credential has number "
                                                              f"{row.get('license_number')}."})
                continue
            for credential in credentials:
                check = _roster_check(row, self.source, credential, number)
                row_verification = verification.record(credential, check, actor=self.actor,
                                                       import_id=self.import_id)
                type_id = credential.credential_type_id
                if type_id not in self.policies:
                    self.policies[type_id] = verification.policy_for(type_id)
                before, after = verification.set_standing(credential, row_verification, self.policies[type_id])
                tally.matched += 1
                last = previous.get(credential.id)
                changed = last is not None and last != _fingerprint(check.evidence)
                if before != after:
                    tally.alerts += 1
                elif changed:  # same outcome, but the board says something new (a discipline, a new status)
                    notices.verification_changed(credential, row_verification, before)
                    tally.alerts += 1


# --- exclusions --------------------------------------------------------------

def name_blocks(name: str) -> set[str]:
    """The two-letter starts of a name's words: a listing is compared only with people sharing one.

    Comparing each of a list's ~80,000 rows with every person grows with the
    headcount (minutes for a few thousand people). Two names alike enough to
    score NEAR_MISS_SCORE by token sort ratio keep, in practice, the start of
    at least one word ("Jon Smyth" / "John Smith" share "jo" and "sm").
    """
    return {word[:2] for word in name.split()}


@dataclass
class PeopleIndex:
    names: dict[int, str]  # person id -> normalised "first last"
    blocks: dict[str, list[int]]  # name_blocks key -> person ids
    npis: dict[str, set[int]]  # a number held on an active credential -> person ids

    def candidates(self, listed: str) -> dict[int, str]:
        return {pid: self.names[pid] for key in name_blocks(listed) for pid in self.blocks.get(key, ())}


def _people_index() -> PeopleIndex:
    names = {pid: name_key(f"{first} {last}") for pid, first, last in db.session.execute(
        select(Person.id, Person.first_name, Person.last_name).where(Person.active))}
    blocks: dict[str, list[int]] = {}
    for pid, name in names.items():
        for key in name_blocks(name):
            blocks.setdefault(key, []).append(pid)
    npis: dict[str, set[int]] = {}
    for pid, number in db.session.execute(select(Credential.person_id, Credential.license_number).where(
            Credential.state == "active", Credential.license_number.is_not(None))):
        npis.setdefault(_number(number), set()).add(pid)
    return PeopleIndex(names, blocks, npis)


class ExclusionRun:
    """Applies an exclusion list's rows, a batch at a time, for one run of an import.

    The people index and the open matches are read once per run; matches an
    earlier batch committed are among them, so a run taken up again does not
    alert twice.
    """

    def __init__(self, record: VerificationImport, actor: User | None):
        self.import_id, self.source, self.actor = record.id, record.source, actor
        self.people = _people_index()
        self.open_matches = {(m.person_id, m.fingerprint) for m in db.session.scalars(
            select(ExclusionMatch).where(ExclusionMatch.cleared_at.is_(None)))}

    def __call__(self, rows: list[dict], numbers: list[int], tally: Tally) -> None:
        from rapidfuzz import process

        people = self.people
        for row, number in zip(rows, numbers):
            if str(row.get("reinstated_on") or "").strip("0 "):
                continue  # reinstated: no longer excluded
            listed = name_key(f"{row.get('first_name') or ''} {row.get('last_name') or ''}")
            if not listed:
                continue
            npi = _number(row.get("npi"))
            by_npi = people.npis.get(npi, set()) if npi and npi.strip("0") else set()
            candidates = process.extract(listed, people.candidates(listed), scorer=fuzz.token_sort_ratio,
                                         limit=3, score_cutoff=NEAR_MISS_SCORE)
            hits = {pid: 100.0 for pid in by_npi}
            for _, score, pid in candidates:
                if score >= MATCH_SCORE:
                    hits.setdefault(pid, score)
                elif pid not in hits:
                    tally.notes.append({"row": number, "message": f"{listed.title()} is close to a person "
                                        f"here ({round(score)}%): check by hand.", "person_id": pid,
                                        "score": round(score)})
            if hits:
                self._flag(row, number, listed, hits, by_npi, tally)

    def _flag(self, row: dict, number: int, listed: str, hits: dict[int, float], by_npi: set[int],
              tally: Tally) -> None:
        from portal.services import verification
        from portal.services.verification import notices

        evidence_row = {k: str(v) for k, v in row.items() if v not in (None, "")}
        fingerprint = hashlib.sha256(json.dumps(evidence_row, sort_keys=True).encode()).hexdigest()
        for pid, score in hits.items():
            tally.matched += 1
            if (pid, fingerprint) in self.open_matches:
                continue  # the same listing as last month: no new alert
            self.open_matches.add((pid, fingerprint))
            db.session.add(ExclusionMatch(person_id=pid, import_id=self.import_id, score=float(score),
                                          row=evidence_row, fingerprint=fingerprint))
            tally.alerts += 1
            check = Check("exclusion", self.source, "failed",
                          f"{listed.title()} is on the {self.source} (row {number}, "
                          f"{'NPI' if score == 100.0 and pid in by_npi else f'name {round(score)}%'} match).",
                          {"row": number, "score": round(score), "listing": evidence_row})
            for credential in db.session.scalars(select(Credential).where(
                    Credential.person_id == pid, Credential.state == "active")):
                flagged = verification.record(credential, check, actor=self.actor, import_id=self.import_id)
                before, after = verification.set_standing(credential, flagged)
                if before == after:  # already failed for another reason: this is still news
                    notices.verification_changed(credential, flagged, before)


def open_exclusions(person_id: int) -> list[ExclusionMatch]:
    return list(db.session.scalars(select(ExclusionMatch).where(
        ExclusionMatch.person_id == person_id, ExclusionMatch.cleared_at.is_(None))))
