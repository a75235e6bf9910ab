"""The credential taxonomy, kept in step with intake's issuer directory."""
from __future__ import annotations

import re

from sqlalchemy import select

from intake.directory import load_directory
from portal.errors import Invalid
from portal.extensions import db
from portal.models import CredentialType, Issuer, utcnow
from portal.policies.names import without_accents
from portal.routing import parse_id
from portal.services import audit

ISSUER_FIELDS = ("name", "aliases", "country", "locale", "renewal_url", "verification_url",
                 "license_number_patterns")
TYPE_FIELDS = ("name", "aliases", "category", "renewal_mechanism", "validity_months", "ce_hours",
               "jurisdiction", "renewal_lead_days")


def credential_type(type_id: int | None) -> CredentialType | None:
    """The type with id ``type_id``, if there is one (None for no id)."""
    return db.session.get(CredentialType, type_id) if type_id else None


def sync_from_directory(actor=None) -> dict[str, int]:
    """Add issuers and credential types the directory knows and the DB lacks.

    Existing rows are left as admins edited them: the directory is a starting
    point, the organisation's taxonomy is theirs. Returns counts of additions.
    """
    directory = load_directory()
    issuers = {i.code: i for i in db.session.scalars(select(Issuer))}
    types = set(db.session.scalars(select(CredentialType.code)))
    added = {"issuers": 0, "credential_types": 0}
    for entry in directory.issuers:
        issuer = issuers.get(entry.code)
        if issuer is None:
            values = {f: _plain(getattr(entry, f)) for f in ISSUER_FIELDS}
            issuer = Issuer(code=entry.code, **values)
            db.session.add(issuer)
            db.session.flush()
            audit.record("issuer.created", issuer, after=values, actor=actor)
            added["issuers"] += 1
        for type_entry in entry.credential_types:
            if type_entry.code in types:
                continue
            values = {f: _plain(getattr(type_entry, f)) for f in TYPE_FIELDS}
            ctype = CredentialType(code=type_entry.code, issuer=issuer, **values)
            db.session.add(ctype)
            db.session.flush()
            audit.record("credential_type.created", ctype, after=values, actor=actor)
            added["credential_types"] += 1
    return added


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


# --------------------------------------------------------------------------- from the review page

REVIEW_VALIDITY_MAX = 240  # months; anything longer is a typo


def _code(text: str, taken) -> str:
    """A unique upper-case code from a name ("Forklift Operator" -> "FORKLIFT-OPERATOR")."""
    base = (re.sub(r"[^A-Za-z0-9]+", "-", without_accents(text)).strip("-").upper() or "TYPE")[:56]
    code, n = base, 1
    while taken(code):
        n += 1
        code = f"{base}-{n}"
    return code


def create_type_for_review(document, reviewer, form) -> CredentialType:
    """A credential type (and its issuer, if new) made by a reviewer for the
    document in front of them: named as read, audited, with the taxonomy
    fields (category, renewal, CE, jurisdiction) left for an admin to
    complete. The document is set to the new type.
    """
    name = (form.get("type_name") or "").strip()[:200]
    issuer_id = parse_id(form.get("issuer_id"))
    issuer_name = (form.get("issuer_name") or "").strip()[:200]
    errors = {}
    if len(name) < 2:
        errors["type_name"] = "Name the credential type as the document does."
    issuer = db.session.get(Issuer, issuer_id) if issuer_id is not None else None
    if issuer is None and len(issuer_name) < 2:
        errors["issuer_name"] = "Choose the issuer, or name a new one."
    validity_text = (form.get("validity_months") or "").strip()
    validity = None
    if validity_text:
        if not validity_text.isdigit() or not 1 <= int(validity_text) <= REVIEW_VALIDITY_MAX:
            errors["validity_months"] = f"Enter whole months from 1 to {REVIEW_VALIDITY_MAX}, or leave it empty."
        else:
            validity = int(validity_text)
    if issuer is not None and name and db.session.scalar(select(CredentialType.id).where(
            CredentialType.issuer_id == issuer.id, CredentialType.name == name)):
        errors["type_name"] = f"{issuer.name} already has a type named {name}: choose it from the list."
    if errors:
        raise Invalid.each(errors)
    origin = {"created_from_document_id": document.id, "created_at_review": utcnow().isoformat()}
    if issuer is None:
        issuer = Issuer(code=_code(issuer_name, lambda c: db.session.scalar(select(Issuer.id).where(Issuer.code == c))),
                        name=issuer_name, aliases=[], license_number_patterns=[])
        db.session.add(issuer)
        db.session.flush()
        audit.record("issuer.created", issuer, actor=reviewer, after={"name": issuer.name, "code": issuer.code,
                                                                      **origin})
    ctype = CredentialType(
        code=_code(name, lambda c: db.session.scalar(select(CredentialType.id).where(CredentialType.code == c))),
        name=name, issuer=issuer, validity_months=validity, aliases=[], category="certification")
    db.session.add(ctype)
    db.session.flush()
    audit.record("credential_type.created", ctype, actor=reviewer, after={
        "name": name, "code": ctype.code, "issuer": issuer.name, "validity_months": validity,
        "needs_admin": ["category", "renewal_mechanism", "ce_hours", "jurisdiction", "renewal_lead_days"], **origin})
    before = {"credential_type_id": document.credential_type_id}
    document.credential_type_id = ctype.id
    audit.record("document.type_set", document, actor=reviewer, before=before,
                 after={"credential_type_id": ctype.id})
    db.session.commit()
    return ctype
