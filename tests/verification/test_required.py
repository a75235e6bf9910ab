"""A policy that requires verification: an unverified credential does not meet the requirement."""
from __future__ import annotations

from datetime import date

from portal.extensions import db
from portal.models import RequirementSnapshot
from portal.services import compliance, verification
from portal.services.verification import admin
from werkzeug.datastructures import MultiDict


def _status(org):
    states = compliance.person_states(org.employee.id, on=date(2026, 1, 15))
    return next(s.status for s in states if s.credential_type_id == org.bls.id)


def _snapshot_credential(org):
    db.session.expire_all()
    row = db.session.query(RequirementSnapshot).filter_by(person_id=org.employee.id,
                                                          credential_type_id=org.bls.id).one()
    return row.credential_id


def test_unverified_is_not_met_only_where_the_policy_requires_it(org, held, stored_document, pki, signed):
    assert _status(org) == "compliant"
    admin.save_policy(MultiDict({"credential_type_id": str(org.bls.id), "required": "1"}))
    assert _status(org) == "missing"
    assert _snapshot_credential(org) is None  # the stored snapshot was refreshed with the policy

    verification.add_trust_root(pki.root_pem)
    stored_document(held, signed)
    verification.verify(held)
    assert _status(org) == "compliant"
    assert _snapshot_credential(org) == held.id  # ... and with the standing


def test_integrity_only_does_not_meet_a_required_verification(org, held, stored_document, signed):
    admin.save_policy(MultiDict({"credential_type_id": "default", "required": "1"}))
    stored_document(held, signed)
    assert verification.verify(held).outcome == "integrity_only"
    assert _status(org) == "missing"
