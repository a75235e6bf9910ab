"""Verification use cases: check a credential against its source and keep the evidence.

One interface, ``verify(credential, document) -> Verification``: the verifiers
the credential type's policy names (or, by default, every registered one
that applies to what there is) each give a ``Check``; every check is kept as
a ``Verification`` row; the most decisive one sets the credential's
``VerificationState``. Nothing here ever changes or deletes the credential.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Credential,
    Document,
    TrustRoot,
    User,
    Verification,
    VerificationPolicy,
    VerificationState,
    today,
    utcnow,
)
from portal.policies import verification as rules
from portal.services import audit
from portal.services.verification import badges, codes, identifiers, lookups, pdf_signatures  # noqa: F401  (register)
from portal.services.verification.base import VERIFIERS, Check, SourceUnavailable, Subject

# The order verifiers run in when a policy names none: the file's own proof first.
DEFAULT_METHODS = ("pdf_signature", "open_badge", "lookup", "code", "identifier")
_LOOK_UP = object()  # set_standing's policy when the caller has not read it


@dataclass(frozen=True)
class Standing:
    """A credential's verification standing, as pages show it."""

    status: str
    outcome: str | None
    method: str | None
    checked_at: Any
    next_due: date | None

    @property
    def label(self) -> str:
        return rules.STATUSES[self.status]


def policy_for(credential_type_id: int | None) -> VerificationPolicy | None:
    rows = {p.credential_type_id: p for p in db.session.scalars(
        select(VerificationPolicy).where(
            (VerificationPolicy.credential_type_id == credential_type_id)
            | VerificationPolicy.credential_type_id.is_(None)))}
    return rows.get(credential_type_id) or rows.get(None)


def _methods(policy: VerificationPolicy | None) -> list[str]:
    named = [m for m in (policy.methods if policy else []) or [] if m in VERIFIERS]
    return named or [m for m in DEFAULT_METHODS if m in VERIFIERS]


def _document_path(document: Document | None) -> Path | None:
    if document is None:
        return None
    from portal.services.documents import stored_path

    return stored_path(document.sha256)


def run_checks(subject: Subject, methods: list[str]) -> list[Check]:
    """Every check that applies; SourceUnavailable propagates (the caller retries later)."""
    checks = []
    for name in methods:
        result = VERIFIERS[name](subject)
        if result is not None:
            checks.append(result)
    return checks


def verify(credential: Credential, document: Document | None = None, *, path: Path | None = None,
           actor: User | None = None, evidence: dict[str, Any] | None = None) -> Verification:
    """Check ``credential`` (with ``document``'s file, or a file at ``path``) and record it.

    Returns the decisive Verification (``evidence`` added to what it keeps).
    With nothing to check it is an ``unverifiable`` one, so the page says "we
    tried". Raises SourceUnavailable when a source is down; then nothing is recorded.
    """
    if document is None and path is None:
        document = latest_document(credential)
    subject = Subject(credential, document, path or _document_path(document))
    policy = policy_for(credential.credential_type_id)
    checks = run_checks(subject, _methods(policy)) or [Check(
        "none", "Credwatch", "unverifiable",
        "Nothing here can check this credential: no signed file, badge, code or checkable number.")]
    chosen = rules.decisive([c.outcome for c in checks])
    rows = [record(credential, check, document=document, actor=actor,
                   extra=evidence if i == chosen else None) for i, check in enumerate(checks)]
    set_standing(credential, rows[chosen], policy)
    db.session.commit()
    return rows[chosen]


def checks_for_upload(credential: Credential, stream, filename: str | None, actor: User | None = None) -> Verification:
    """Verify ``credential`` with a file given for the purpose (a badge, a signed PDF).

    The file is stored first (content-addressed, like every upload) so the
    evidence stays even when the check fails; refusals raise UploadRefused.
    """
    from portal.services import documents

    stored = documents.store(stream)
    return verify(credential, path=stored.path, actor=actor, evidence={"file": {
        "sha256": stored.sha256, "size": stored.size, "name": documents.safe_name(filename)}})


def record(credential: Credential, check: Check, document: Document | None = None, actor: User | None = None,
           import_id: int | None = None, extra: dict[str, Any] | None = None) -> Verification:
    row = Verification(
        credential_id=credential.id, document_id=document.id if document else None, import_id=import_id,
        method=check.method, source=check.source[:200], outcome=check.outcome, detail=check.detail,
        evidence=audit.jsonable({**check.evidence, **({"fields": check.fields} if check.fields else {}),
                                 **(extra or {})}),
        evidence_sha256=((extra or {}).get("file") or {}).get("sha256"),
        checked_at=utcnow(), checked_by_id=actor.id if actor else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def set_standing(credential: Credential, verification: Verification,
                 policy: VerificationPolicy | None | object = _LOOK_UP) -> tuple[str | None, str]:
    """Move the credential's standing to ``verification``; returns (before, after) outcomes.

    ``policy`` is the type's (None: it has none); looked up when not given.

    An inconclusive check (unverifiable) does not undo an earlier conclusive
    one: a source that cannot answer today says nothing new.
    """
    from portal.services.verification import notices, requirements

    state = db.session.get(VerificationState, credential.id)
    before = state.outcome if state else None
    if state is not None and before in rules.CONCLUSIVE and verification.outcome not in rules.CONCLUSIVE:
        from portal.services.verification.runs import RETRY_AFTER

        state.retry_at = utcnow() + RETRY_AFTER  # ask again later; the standing stays
        audit.record("credential.verification_inconclusive", credential, before={"verification": before},
                     after={"verification": before, "method": verification.method, "source": verification.source,
                            "check": verification.id, "detail": verification.detail})
        return before, before
    if policy is _LOOK_UP:
        policy = policy_for(credential.credential_type_id)
    due = rules.next_due(verification.checked_at.date(), policy.reverify_days if policy else None,
                         credential.expires_on)
    if state is None:
        state = VerificationState(credential_id=credential.id)
        db.session.add(state)
    state.outcome, state.method = verification.outcome, verification.method
    state.verification_id, state.checked_at = verification.id, verification.checked_at
    state.next_due, state.retry_at = due, None
    # The check's id and sentence, so the audit export leads to its evidence (the verifications CSV).
    audit.record("credential.verification", credential, before={"verification": before},
                 after={"verification": verification.outcome, "method": verification.method,
                        "source": verification.source, "check": verification.id, "detail": verification.detail})
    if before != verification.outcome:
        notices.verification_changed(credential, verification, before)
        requirements.standing_changed(credential.person_id)
    return before, verification.outcome


def latest_document(credential: Credential) -> Document | None:
    """The document the credential was confirmed from, else the newest attached."""
    if credential.source_document_id:
        return db.session.get(Document, credential.source_document_id)
    return db.session.scalar(select(Document).where(Document.credential_id == credential.id)
                             .order_by(Document.id.desc()).limit(1))


# --- reading ---------------------------------------------------------------

def standing(credential: Credential, on: date | None = None) -> Standing:
    return standings([credential.id], on)[credential.id]


def standings(credential_ids: list[int], on: date | None = None) -> dict[int, Standing]:
    on = on or today()
    rows = {s.credential_id: s for s in db.session.scalars(
        select(VerificationState).where(VerificationState.credential_id.in_(list(credential_ids))))} \
        if credential_ids else {}
    result = {}
    for cid in credential_ids:
        s = rows.get(cid)
        result[cid] = Standing(rules.status(s.outcome if s else None, s.next_due if s else None, on),
                               s.outcome if s else None, s.method if s else None,
                               s.checked_at if s else None, s.next_due if s else None)
    return result


def status_clause(status: str, on: date | None = None, credential_id=None):
    """A WHERE clause for one standing (the SQL twin of ``rules.status``).

    ``credential_id`` is the column naming the credential (default
    ``Credential.id``; the team matrix passes its snapshot rows' column).
    """
    from sqlalchemy import and_, exists, not_, or_

    on = on or today()
    row = VerificationState
    linked = row.credential_id == (Credential.id if credential_id is None else credential_id)
    due = and_(row.outcome != "failed", row.next_due.is_not(None), row.next_due <= on)
    if status == "not_checked":  # no standing, or only a retry time after a source was down
        return not_(exists().where(linked, row.outcome.is_not(None)))
    if status == "due":
        return exists().where(linked, due)
    if status in rules.STATUSES:
        return exists().where(linked, row.outcome == status, or_(row.outcome == "failed", not_(due)))
    raise ValueError(f"unknown verification status {status!r}")


def history(credential: Credential) -> list[Verification]:
    return list(db.session.scalars(select(Verification).where(Verification.credential_id == credential.id)
                                   .order_by(Verification.checked_at.desc(), Verification.id.desc())))


# --- trust roots -----------------------------------------------------------

def add_trust_root(pem_bytes: bytes, actor: User | None = None) -> TrustRoot:
    """Trust a root certificate for signed PDFs; raises Invalid with a reason for a bad file."""
    from portal.errors import Invalid

    try:
        cert = pdf_signatures.load_root(pem_bytes)
    except pdf_signatures.InvalidRoot as bad:
        raise Invalid(str(bad), field="certificate") from bad
    fp = pdf_signatures.fingerprint(cert)
    existing = db.session.scalar(select(TrustRoot).where(TrustRoot.fingerprint == fp))
    if existing:
        return existing
    from asn1crypto import pem

    root = TrustRoot(name=cert.subject.human_friendly[:300], fingerprint=fp,
                     pem=pem.armor("CERTIFICATE", cert.dump()).decode())
    db.session.add(root)
    db.session.flush()
    audit.record("verification.trust_root_added", root, actor=actor, after={"name": root.name, "sha256": fp})
    db.session.commit()
    return root


__all__ = ["Check", "SourceUnavailable", "Standing", "Subject", "add_trust_root", "history", "policy_for",
           "checks_for_upload", "record", "set_standing", "standing", "standings", "status_clause", "verify"]
