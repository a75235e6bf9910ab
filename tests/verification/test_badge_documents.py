"""A baked badge uploaded like any certificate: intake reads the badge's own statement (no OCR),
at full confidence, and the credential confirmed from it verifies by the badge's proof."""
from __future__ import annotations

import io
import json

from portal.extensions import db
from portal.models import Document
from portal.services import documents, verification
from tests.verification import material


def test_a_baked_badge_upload_is_read_from_its_statement_at_full_confidence(org, held):
    badge = material.baked_png(json.dumps(material.signed_badge(material.issuer_key())))

    document = documents.upload(io.BytesIO(badge), "bls-badge.png", org.employee, org.employee_user)

    reading = db.session.get(Document, document.id).latest_extraction
    assert reading.method == "badge" and reading.error_code is None
    assert reading.fields["issuer"] == "Test Resuscitation Council"
    assert (reading.fields["credential_type"], reading.fields["holder_name"]) == ("BLS Provider", "Erin Employee")
    assert (reading.fields["issue_date"], reading.fields["expiry_date"]) == ("2025-06-01", "2027-06-01")
    assert {reading.confidence[f] for f in ("issuer", "credential_type", "holder_name", "issue_date",
                                             "expiry_date")} == {1.0}
    assert reading.confidence["license_number"] == 0.0  # the badge states none

    held.source_document_id = document.id  # confirmed from it
    db.session.commit()
    assert verification.verify(held).outcome == "verified"



def test_the_review_page_says_the_badge_was_read_from_its_statement(org, reviewer_client):
    badge = material.baked_png(json.dumps(material.signed_badge(material.issuer_key())))
    document = documents.upload(io.BytesIO(badge), "bls-badge.png", org.employee, org.employee_user)

    page = reviewer_client.get(f"/review/{document.id}").get_data(as_text=True)

    assert "read by the badge&#39;s own statement" in page
