"""Roster and exclusion files: a board's result file (Nursys e-Notify style) and
the monthly OIG LEIE exclusion list.

Each file is stored first and kept with its ``VerificationImport`` row as
evidence. Rows are matched to people and credentials; a check is recorded per
matched credential, and alerts go out only for changes (a new discipline, a
status change, a new match on the exclusion list), never for a row that says
what the last file said. Near misses on the exclusion list are listed on the
import for a person to look at, not flagged.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import IO, Any

from flask import current_app
from rapidfuzz import fuzz
from sqlalchemy import func, select

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


def import_file(stream: IO[bytes], filename: str | None, kind: str, actor: User | None = None,
                source: str | None = None) -> Result:
    """Store, read and apply one roster or exclusion file; Invalid (field "file"/"kind") when it cannot be."""
    from portal.services import documents

    if kind not in COLUMNS:
        raise Invalid("Choose what the file is: a roster or an exclusion list.", field="kind")
    name = documents.safe_name(filename)
    if not name.lower().endswith(spreadsheets.EXTENSIONS):
        raise Invalid("Upload a CSV or an Excel workbook (.xlsx).", field="file")
    try:
        stored = documents.store(stream)
    except documents.UploadRefused as refused:
        raise Invalid(refused.message, field="file") from refused
    headers, rows, numbers = _read(stored.path, name)
    columns = map_columns(kind, headers)
    record = VerificationImport(kind=kind, source=(source or (ROSTER_SOURCE if kind == "roster"
                                                                else EXCLUSION_SOURCE))[:200],
                                original_name=name, sha256=stored.sha256, rows=len(rows),
                                imported_by_id=actor.id if actor else None, imported_at=utcnow())
    db.session.add(record)
    db.session.flush()
    values = [{field: row[i] if i < len(row) else None for field, i in columns.items()} for row in rows]
    apply = _apply_roster if kind == "roster" else _apply_exclusions
    near = apply(record, values, numbers, actor)
    record.errors = near[:500]
    audit.record("verification.imported", record, actor=actor,
                 after={"kind": kind, "file": name, "sha256": stored.sha256, "rows": record.rows,
                        "matched": record.matched, "alerts": record.alerts})
    db.session.commit()
    return Result(record, near)


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


def _apply_roster(record: VerificationImport, rows: list[dict], numbers: list[int], actor) -> list[dict]:
    from portal.services import verification
    from portal.services.verification import notices

    wanted = {_number(r.get("license_number")) for r in rows if r.get("license_number")}
    by_number: dict[str, list[Credential]] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        normalised = func.upper(func.replace(func.replace(Credential.license_number, "-", ""), " ", ""))
        for credential in db.session.scalars(select(Credential).where(
                Credential.state == "active", normalised.in_(chunk))):
            by_number.setdefault(_number(credential.license_number), []).append(credential)
    previous = _last_roster_fingerprints([c.id for found in by_number.values() for c in found], record.id)
    policies: dict[int, VerificationPolicy | None] = {}
    unmatched = []
    for row, number in zip(rows, numbers):
        credentials = by_number.get(_number(row.get("license_number")), [])
        if not credentials:
            unmatched.append({"row": number, "message": f"No current credential has number "
                                                       f"{row.get('license_number')}."})
            continue
        for credential in credentials:
            check = _roster_check(row, record.source, credential, number)
            row_verification = verification.record(credential, check, actor=actor, import_id=record.id)
            type_id = credential.credential_type_id
            if type_id not in policies:
                policies[type_id] = verification.policy_for(type_id)
            before, after = verification.set_standing(credential, row_verification, policies[type_id])
            record.matched += 1
            last = previous.get(credential.id)
            changed = last is not None and last != _fingerprint(check.evidence)
            if before != after:
                record.alerts += 1
            elif changed:  # same outcome, but the board says something new (a discipline, a new status)
                notices.verification_changed(credential, row_verification, before)
                record.alerts += 1
    return unmatched


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


def _apply_exclusions(record: VerificationImport, rows: list[dict], numbers: list[int], actor) -> list[dict]:
    from rapidfuzz import process

    from portal.services import verification
    from portal.services.verification import notices

    people = _people_index()
    open_matches = {(m.person_id, m.fingerprint) for m in db.session.scalars(
        select(ExclusionMatch).where(ExclusionMatch.cleared_at.is_(None)))}
    near_misses = []
    for row, number in zip(rows, numbers):
        if str(row.get("reinstated_on") or "").strip("0 "):
            continue  # reinstated: no longer excluded
        listed = name_key(f"{row.get('first_name') or ''} {row.get('last_name') or ''}")
        if not listed:
            continue
        npi = _number(row.get("npi"))
        by_npi = people.npis.get(npi, set()) if npi and npi.strip("0") else set()
        candidates = process.extract(listed, people.candidates(listed), scorer=fuzz.token_sort_ratio, limit=3,
                                     score_cutoff=NEAR_MISS_SCORE)
        hits = {pid: 100.0 for pid in by_npi}
        for _, score, pid in candidates:
            if score >= MATCH_SCORE:
                hits.setdefault(pid, score)
            elif pid not in hits:
                near_misses.append({"row": number, "message": f"{listed.title()} is close to a person "
                                    f"here ({round(score)}%): check by hand.", "person_id": pid,
                                    "score": round(score)})
        if not hits:
            continue
        evidence_row = {k: str(v) for k, v in row.items() if v not in (None, "")}
        fingerprint = hashlib.sha256(json.dumps(evidence_row, sort_keys=True).encode()).hexdigest()
        for pid, score in hits.items():
            record.matched += 1
            if (pid, fingerprint) in open_matches:
                continue  # the same listing as last month: no new alert
            open_matches.add((pid, fingerprint))
            db.session.add(ExclusionMatch(person_id=pid, import_id=record.id, score=float(score),
                                          row=evidence_row, fingerprint=fingerprint))
            record.alerts += 1
            check = Check("exclusion", record.source, "failed",
                          f"{listed.title()} is on the {record.source} (row {number}, "
                          f"{'NPI' if score == 100.0 and pid in by_npi else f'name {round(score)}%'} match).",
                          {"row": number, "score": round(score), "listing": evidence_row})
            for credential in db.session.scalars(select(Credential).where(
                    Credential.person_id == pid, Credential.state == "active")):
                flagged = verification.record(credential, check, actor=actor, import_id=record.id)
                before, after = verification.set_standing(credential, flagged)
                if before == after:  # already failed for another reason: this is still news
                    notices.verification_changed(credential, flagged, before)
    return near_misses


def open_exclusions(person_id: int) -> list[ExclusionMatch]:
    return list(db.session.scalars(select(ExclusionMatch).where(
        ExclusionMatch.person_id == person_id, ExclusionMatch.cleared_at.is_(None))))
