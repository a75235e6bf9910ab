"""A QR code read from the document is kept as a link to check at the source."""
from __future__ import annotations

from intake.model import Extraction as Reading

from portal.extensions import db
from portal.models import Verification
from portal.services import documents, verification
from tests.verification import material

LINK = "https://verify.example.org/cards/BLS-123"


def test_a_verification_link_read_from_the_document_is_kept_as_evidence(held, stored_document):
    document = stored_document(held, material.plain_pdf())
    document.state = "reading"
    db.session.commit()
    documents.finish_reading(document.id, Reading(path="certificate.pdf", codes=[
        {"format": "QRCode", "text": LINK, "url": LINK, "page": 1, "bbox": [0.1, 0.1, 0.3, 0.3]}]))

    verification.verify(held)

    row = db.session.query(Verification).filter_by(method="code").one()
    assert (row.outcome, row.source) == ("unverifiable", "verify.example.org")
    assert row.evidence["links"] == [LINK]
