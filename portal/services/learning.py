"""What reviewers teach the reading of documents, and what a reading proposes.

Two lessons are kept:

- **Hints** (``IssuerHint``): a field a reviewer corrected becomes a hint for
  the issuer's next documents (the label printed next to the value, where it
  stood, a day-first date order; see ``intake.hints``). Hints are kept per
  issuer key (``code:<issuer code>`` when the issuer is known, else
  ``name:<folded name>``).
- **Type names** (``LearnedTypeName``): the credential type a reviewer chose
  for a document, when it is not the one proposed for what was read, is
  proposed for the next document read alike.

A reading is handed every taught issuer's hints at once (``for_reading``):
the isolated reader applies those of the issuer it finds to the pages it
has read, so a document is read once whether its issuer was taught or not.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.directory import fold
from intake.hints import code_key, name_key
from portal.extensions import db
from portal.models import AuditEvent, CredentialType, Document, IssuerHint, Issuer, LearnedTypeName, User
from portal.services import audit

log = logging.getLogger(__name__)

# Fields a reviewer's correction can teach the pipeline (see intake.hints).
HINT_FIELDS = ("holder_name", "license_number", "issue_date", "expiry_date")
MAX_HINTS_PER_FIELD = 3
HINT_TIMEOUT = 60.0  # seconds to re-read a corrected document (in the isolated reader)


def fold_name(text: str) -> str:
    return fold(text)


def read_fields(document: Document) -> dict[str, Any]:
    """What the document's latest reading found ({} before a reading, or when it failed)."""
    extraction = document.latest_extraction
    return dict(extraction.fields or {}) if extraction and not extraction.error_code else {}


# --------------------------------------------------------------------------- what a reading proposes


def proposed_issuer(fields: dict[str, Any]) -> Issuer | None:
    import intake

    code = fields.get("issuer_code")
    if not code and fields.get("issuer"):
        found = intake.find_issuer(fields["issuer"])
        code = found[0].code if found else None
    return db.session.scalar(select(Issuer).where(Issuer.code == code)) if code else None


def proposed_type_id(fields: dict[str, Any]) -> int | None:
    """The portal's CredentialType for what the pipeline read, if it knows
    one: what reviewers confirmed for the same name before, else the type
    the pipeline's directory matched."""
    import intake

    learned = learned_type_id(fields)
    if learned is not None:
        return learned
    code = fields.get("credential_type_code")
    if not code and fields.get("credential_type"):
        found = intake.find_credential_type(fields["credential_type"], fields.get("issuer_code"))
        code = found[0].code if found else None
    if code:
        type_id = db.session.scalar(select(CredentialType.id).where(CredentialType.code == code))
        if type_id:
            return type_id
    return None


# --------------------------------------------------------------------------- issuer keys


def issuer_key_for_fields(fields: dict[str, Any] | None) -> str | None:
    """``code:<issuer code>`` when the directory knows the issuer, else its folded name.

    (The isolated reader finds the key of the issuer it read with
    ``intake.hints.taught_keys``, the same choice made without the database:
    a name the directory matches to an issuer the portal does not list is
    looked up under that issuer's code before its name.)"""
    fields = fields or {}
    if fields.get("issuer_code"):
        return code_key(fields["issuer_code"])
    if fields.get("issuer"):
        found = proposed_issuer(fields)
        return code_key(found.code) if found is not None else name_key(fields["issuer"])
    return None


def issuer_key_for_type(credential_type_id: int | None) -> str | None:
    if credential_type_id is None:
        return None
    ctype = db.session.get(CredentialType, credential_type_id)
    return code_key(ctype.issuer.code) if ctype else None


# --------------------------------------------------------------------------- hints


def _merged(rows) -> list[dict]:
    """The newest few hints per field and label of one issuer's rows (newest first)."""
    merged, per_field, seen = [], {}, set()
    for row in rows:
        hint = dict(row.hint or {})
        key = (row.field, hint.get("label"), tuple(hint.get("bbox") or ()))
        if key in seen or per_field.get(row.field, 0) >= MAX_HINTS_PER_FIELD:
            continue
        seen.add(key)
        per_field[row.field] = per_field.get(row.field, 0) + 1
        merged.append(hint)
    return merged


def hints_for_issuer(issuer_key: str) -> list[dict]:
    """The merged hints for one issuer: the newest few per field and label."""
    return _merged(db.session.scalars(
        select(IssuerHint).where(IssuerHint.issuer_key == issuer_key).order_by(IssuerHint.id.desc())))


def taught_hints() -> dict[str, list[dict]]:
    """Every taught issuer's merged hints, by issuer key (one query)."""
    by_issuer: dict[str, list[IssuerHint]] = {}
    for row in db.session.scalars(select(IssuerHint).order_by(IssuerHint.id.desc())):
        by_issuer.setdefault(row.issuer_key, []).append(row)
    return {key: _merged(rows) for key, rows in by_issuer.items()}


def for_reading(document: Document) -> tuple[list[dict], dict[str, list[dict]]]:
    """What the reader is handed for ``document``: (hints, taught).

    When the uploader named the credential and its issuer was taught, its
    hints are used from the start (``taught`` is then empty); otherwise the
    reader gets every taught issuer's hints and applies those of the issuer
    it reads."""
    key = issuer_key_for_type(document.credential_type_id)
    hints = hints_for_issuer(key) if key else []
    return hints, ({} if hints else taught_hints())


def learn_from_corrections(document_id: int) -> list[IssuerHint]:
    """Store a hint per corrected field of the document's confirmation (once)."""
    import intake

    from portal.services.documents import stored_path  # documents reads with this module's lessons

    document = db.session.get(Document, document_id)
    if document is None or document.state != "confirmed":
        return []
    if db.session.scalar(select(IssuerHint.id).where(IssuerHint.document_id == document_id).limit(1)):
        return []  # already learned
    decision = db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "Document", AuditEvent.entity_id == str(document_id),
               AuditEvent.action == "document.confirmed")
        .order_by(AuditEvent.id.desc()).limit(1)
    )
    corrections = ((decision.after or {}).get("corrections") or {}) if decision else {}
    extraction = document.latest_extraction
    if not corrections or extraction is None or extraction.error_code:
        return []
    fields = dict(extraction.fields or {})
    key = issuer_key_for_fields(fields) or issuer_key_for_type(document.credential_type_id)
    if key is None:
        return []
    as_read = {**fields, "path": str(stored_path(document.sha256)),
               "evidence": extraction.evidence, "confidence": extraction.confidence}
    made = []
    for name, value in corrections.items():
        if name not in HINT_FIELDS or not value:
            continue
        try:
            hint = intake.hints_isolated(as_read, name, str(value), timeout=HINT_TIMEOUT)
        except Exception:  # a hint is a bonus; never fail the decision's follow-up
            log.exception("no hint from document %s field %s", document_id, name)
            continue
        row = IssuerHint(issuer_key=key, field=name, hint=hint, document_id=document_id,
                         created_by_id=decision.actor_user_id if decision else None)
        db.session.add(row)
        made.append(row)
    if made:
        db.session.flush()
        audit.record("issuer_hint.learned", None, entity_type="IssuerHint", entity_id=key, actor="system",
                     after={"document_id": document_id, "fields": [h.field for h in made]})
    db.session.commit()
    return made


# --------------------------------------------------------------------------- type names


def _type_key(fields: dict[str, Any] | None) -> tuple[str, str] | None:
    """(issuer key, folded type name as read) for learning types: an issuer
    whose type names the pipeline does not know still has a key (with no
    name), so its documents are proposed the type reviewers chose last."""
    text = (fields or {}).get("credential_type")
    key, name = issuer_key_for_fields(fields) or "", (fold_name(str(text))[:300] if text else "")
    return (key, name) if key or name else None


def learned_type_id(fields: dict[str, Any] | None) -> int | None:
    """The type reviewers confirmed before for documents read like these,
    where they chose another type than the one proposed."""
    key = _type_key(fields)
    if key is None:
        return None
    return db.session.scalar(select(LearnedTypeName.credential_type_id).where(
        LearnedTypeName.issuer_key == key[0], LearnedTypeName.read_name == key[1]))


def taught_type(document: Document) -> dict[str, Any] | None:
    """Who taught the type proposed for this document, and when (if a lesson chose it)."""
    key = _type_key(read_fields(document))
    if key is None or document.credential_type_id is None:
        return None
    row = db.session.scalar(select(LearnedTypeName).where(
        LearnedTypeName.issuer_key == key[0], LearnedTypeName.read_name == key[1],
        LearnedTypeName.credential_type_id == document.credential_type_id))
    if row is None:
        return None
    teacher = db.session.get(User, row.created_by_id) if row.created_by_id else None
    return {"by": teacher.display_name if teacher else "a reviewer", "on": row.created_at}


def learn_type_choice(document: Document, credential_type_id: int, reviewer: User) -> LearnedTypeName | None:
    """Remember the reviewer's type when it is not the one proposed for what
    the pipeline read (in the caller's transaction, audited)."""
    fields = read_fields(document)
    key = _type_key(fields)
    if key is None or proposed_type_id(fields) == credential_type_id:
        return None
    row = db.session.scalar(select(LearnedTypeName).where(LearnedTypeName.issuer_key == key[0],
                                                          LearnedTypeName.read_name == key[1]))
    before = None if row is None else {"credential_type_id": row.credential_type_id}
    try:
        with db.session.begin_nested():  # a reviewer learning the same name at the same moment wins
            if row is None:
                row = LearnedTypeName(issuer_key=key[0], read_name=key[1], credential_type_id=credential_type_id)
                db.session.add(row)
            row.credential_type_id, row.document_id, row.created_by_id = credential_type_id, document.id, reviewer.id
    except IntegrityError:
        return None
    audit.record("credential_type.learned", row, actor=reviewer, before=before, after={
        "issuer_key": key[0], "read_name": key[1], "credential_type_id": credential_type_id,
        "document_id": document.id})
    return row
