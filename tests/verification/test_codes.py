"""Codes read from the document: links kept to check at the source, other codes checked for shape."""
from __future__ import annotations

import pytest
from intake.model import Extraction as Reading

from portal.extensions import db
from portal.models import Verification
from portal.services import documents, verification
from tests.verification import material

LINK = "https://verify.example.org/cards/BLS-123"
ECARD_PAGE = "https://ecards.example.org/"


def _read_codes(held, stored_document, *texts):
    document = stored_document(held, material.plain_pdf())
    document.state = "reading"
    db.session.commit()
    documents.finish_reading(document.id, Reading(path="certificate.pdf", codes=[
        {"format": "QRCode", "text": text, "url": text if text.startswith("https://") else None, "page": 1,
         "bbox": [0.1, 0.1, 0.3, 0.3]} for text in texts]))
    verification.verify(held)
    return db.session.query(Verification).filter_by(method="code").one()


def test_a_verification_link_read_from_the_document_is_kept_as_evidence(held, stored_document):
    row = _read_codes(held, stored_document, LINK)
    assert (row.outcome, row.source) == ("unverifiable", "verify.example.org")
    assert row.evidence["links"] == [LINK]


@pytest.fixture
def ecard(held):
    """Erin's BLS card from an issuer whose cards carry 12-character codes and who has a verification page."""
    issuer = held.credential_type.issuer
    issuer.license_number_patterns, issuer.verification_url = [r"^[A-Z0-9]{12}$"], ECARD_PAGE
    held.license_number = "2B7Q-44KD-91XZ"
    db.session.commit()
    return held


@pytest.mark.parametrize("code,sentence,link", [
    ("2b7q44kd91xz", "carries the credential's number", True),
    ("7777AAAA9999", "has the shape of American Heart Association's numbers, but is not the credential's", True),
    ("12-34", "has no shape American Heart Association uses", False),
], ids=["the-credentials-number", "another-number-of-that-shape", "no-known-shape"])
def test_a_code_that_is_not_a_link_is_checked_for_shape(ecard, stored_document, code, sentence, link):
    row = _read_codes(ecard, stored_document, code)
    assert row.outcome == "unverifiable"  # a code alone proves nothing
    assert sentence in row.detail
    assert row.evidence["links"] == ([ECARD_PAGE] if link else [])
    assert row.evidence["shapes"][0]["text"] == code.upper().replace("-", "")


def test_the_credential_page_links_to_the_issuers_verification_page(reviewer_client, ecard):
    page = reviewer_client.get(f"/credentials/{ecard.id}").get_data(as_text=True)
    assert f'href="{ECARD_PAGE}"' in page and "Check at source: American Heart Association" in page

    ecard.credential_type.issuer.verification_url = "javascript:alert(1)"  # never a link
    db.session.commit()
    page = reviewer_client.get(f"/credentials/{ecard.id}").get_data(as_text=True)
    assert "javascript:" not in page and "Check at source" not in page
