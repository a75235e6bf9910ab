"""The admin's view of verification: policies per type, trust roots, imports, runs, the CSV export."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.errors import Invalid
from portal.extensions import db
from portal.models import (
    Credential,
    CredentialType,
    Issuer,
    TrustRoot,
    User,
    Verification,
    VerificationImport,
    VerificationPolicy,
    VerificationState,
)
from portal.routing import parse_id
from portal.services import audit
from portal.services.verification import requirements

METHOD_LABELS = {
    "pdf_signature": "Signed PDF",
    "open_badge": "Open Badge / verifiable credential",
    "code": "Code on the document",
    "identifier": "Identifier check digit / number shape",
    "lookup": "Board lookup API",
}
MAX_REVERIFY_DAYS = 3660
POLICY_FIELDS = ("credential_type_id", "methods", "reverify_days", "required")
EXPORT_COLUMNS = ("verification_id", "credential_id", "person", "employee_id", "credential_type", "license_number",
                  "method", "source", "outcome", "detail", "checked_at", "checked_by", "import_id", "evidence")


@dataclass
class Overview:
    types: list[CredentialType]
    policies: dict[int | None, VerificationPolicy]
    roots: list[TrustRoot]
    imports: list[VerificationImport]
    recent: list[Verification]
    standings: Counter
    lookups: dict[str, Any]


def overview(limit: int = 50) -> Overview:
    from flask import current_app

    types = list(db.session.scalars(select(CredentialType).join(Issuer).where(CredentialType.active)
                                    .order_by(Issuer.name, CredentialType.name)))
    return Overview(
        types=types,
        policies={p.credential_type_id: p for p in db.session.scalars(select(VerificationPolicy))},
        roots=list(db.session.scalars(select(TrustRoot).order_by(TrustRoot.name))),
        imports=list(db.session.scalars(select(VerificationImport).order_by(VerificationImport.id.desc())
                                        .limit(20))),
        recent=list(db.session.scalars(select(Verification).options(
            selectinload(Verification.credential).selectinload(Credential.person),
            selectinload(Verification.credential).selectinload(Credential.credential_type))
            .order_by(Verification.id.desc()).limit(limit))),
        standings=Counter(dict(db.session.execute(select(VerificationState.outcome, func.count())
                                                  .where(VerificationState.outcome.is_not(None))
                                                  .group_by(VerificationState.outcome)).all())),
        lookups=dict(current_app.config.get("VERIFICATION_LOOKUPS") or {}),
    )


def import_or_404(import_id: int) -> VerificationImport:
    from flask import abort

    record = db.session.get(VerificationImport, import_id)
    if record is None:
        abort(404)
    return record


def save_policy(form, actor: User | None = None) -> VerificationPolicy:
    """Create or replace the policy of one type (no type: the default); Invalid next to the field."""
    raw_type = (form.get("credential_type_id") or "").strip()
    type_id = None
    if raw_type not in ("", "default"):
        type_id = parse_id(raw_type)
        if type_id is None or db.session.get(CredentialType, type_id) is None:
            raise Invalid("Choose a credential type.", field="credential_type_id")
    methods = [m for m in form.getlist("methods") if m]
    unknown = [m for m in methods if m not in METHOD_LABELS]
    if unknown:
        raise Invalid(f"Unknown verification method: {', '.join(unknown)}.", field="methods")
    raw_days = (form.get("reverify_days") or "").strip()
    days = None
    if raw_days:
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= MAX_REVERIFY_DAYS:
            raise Invalid(f"Days between checks: a whole number from 1 to {MAX_REVERIFY_DAYS}, or empty.",
                          field="reverify_days")
        days = int(raw_days)
    policy = db.session.scalar(select(VerificationPolicy).where(
        VerificationPolicy.credential_type_id.is_(None) if type_id is None
        else VerificationPolicy.credential_type_id == type_id))
    before = audit.snapshot(policy, POLICY_FIELDS) if policy else None
    if policy is None:
        policy = VerificationPolicy(credential_type_id=type_id)
        db.session.add(policy)
    policy.methods, policy.reverify_days = methods, days
    policy.required = form.get("required") in ("1", "on", "true", "yes")
    db.session.flush()
    requirements.policy_changed(type_id)
    audit.record("verification.policy_saved", policy, before=before, after=audit.snapshot(policy, POLICY_FIELDS),
                 actor=actor)
    db.session.commit()
    return policy


def export_rows(batch: int = 1000):
    last = 0
    while True:
        rows = list(db.session.scalars(select(Verification).where(Verification.id > last).options(
            selectinload(Verification.credential).selectinload(Credential.person),
            selectinload(Verification.credential).selectinload(Credential.credential_type))
            .order_by(Verification.id).limit(batch)))
        if not rows:
            return
        users = {u.id: u for u in db.session.scalars(select(User).where(
            User.id.in_({r.checked_by_id for r in rows if r.checked_by_id})))}
        for v in rows:
            c = v.credential
            yield [v.id, c.id, c.person.full_name, c.person.employee_id, c.credential_type.name, c.license_number,
                   v.method, v.source, v.outcome, v.detail, v.checked_at.isoformat(),
                   users[v.checked_by_id].email if v.checked_by_id in users else "", v.import_id or "",
                   json.dumps(v.evidence or {}, sort_keys=True, default=str)]
        last = rows[-1].id


def export_csv() -> bytes:
    from portal.services.exports import csv_bytes

    return csv_bytes(EXPORT_COLUMNS, export_rows())
