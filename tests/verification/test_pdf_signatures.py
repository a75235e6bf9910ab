"""Signed PDFs made here with a CA made here: intact, altered, changed after signing, untrusted."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import Verification, VerificationState
from portal.services import verification
from tests.verification import material


def test_a_signed_pdf_from_a_trusted_root_is_verified(held, stored_document, pki, signed):
    verification.add_trust_root(pki.root_pem)
    stored_document(held, signed)

    result = verification.verify(held)

    assert result.outcome == "verified"
    assert result.method == "pdf_signature"
    assert "Test Board Registrar" in result.source
    assert result.evidence["revocation"] == "not checked (offline)"
    assert db.session.get(VerificationState, held.id).outcome == "verified"


def test_an_intact_signature_from_an_unknown_signer_is_integrity_only(held, stored_document, signed):
    stored_document(held, signed)
    assert verification.verify(held).outcome == "integrity_only"


def test_a_root_we_trust_does_not_vouch_for_another_ca(held, stored_document, signed):
    verification.add_trust_root(material.make_pki("Some Other Root").root_pem)
    stored_document(held, signed)
    assert verification.verify(held).outcome == "integrity_only"


@pytest.mark.parametrize("alter", [material.tampered, material.appended_after_signing],
                         ids=["bytes-changed-in-signed-range", "revision-added-after-signing"])
def test_a_pdf_altered_after_signing_fails_and_nothing_is_deleted(held, stored_document, pki, signed, alter):
    verification.add_trust_root(pki.root_pem)
    stored_document(held, alter(signed))

    result = verification.verify(held)

    assert result.outcome == "failed"
    assert "changed" in result.detail
    db.session.expire_all()
    assert held.state == "active"  # the record stands; only its standing says failed
    assert db.session.query(Verification).count() == 1


def test_an_unsigned_pdf_is_unverifiable_here(held, stored_document):
    stored_document(held, material.plain_pdf())
    result = verification.verify(held)
    assert result.outcome == "unverifiable"
    assert verification.standing(held).status == "unverifiable"


def test_a_pdf_with_a_garbage_signature_gets_a_clear_outcome(held, stored_document, signed):
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    broken = signed[:start] + b"00" * 40 + signed[start + 80:]
    stored_document(held, broken)
    result = verification.verify(held)
    assert result.outcome == "failed"


def test_a_file_that_is_not_a_certificate_is_refused_as_a_trust_root(app):
    from portal.errors import Invalid

    with pytest.raises(Invalid) as refused:
        verification.add_trust_root(b"-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n")
    assert refused.value.field == "certificate"
