"""The credential taxonomy, kept in step with intake's issuer directory."""
from __future__ import annotations

from sqlalchemy import select

from intake.directory import load_directory
from portal.extensions import db
from portal.models import CredentialType, Issuer
from portal.services import audit

ISSUER_FIELDS = ("name", "aliases", "country", "locale", "renewal_url", "verification_url",
                 "license_number_patterns")
TYPE_FIELDS = ("name", "aliases", "category", "renewal_mechanism", "validity_months", "ce_hours",
               "jurisdiction", "renewal_lead_days")


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
