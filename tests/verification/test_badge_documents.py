"""A badge uploaded like any certificate (baked PNG or SVG, JSON, JWT): intake reads the badge's own
statement (no OCR), at full confidence, and the credential confirmed from it verifies by the badge's
proof. An SVG is never served back in a way that can run its script, nor drawn."""
from __future__ import annotations

import io
import json

import pytest

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


def _uploaded(client, data: bytes, name: str):
    response = client.post("/me/upload", data={"files": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    return response, db.session.scalars(db.select(Document).order_by(Document.id.desc())).first()


@pytest.mark.parametrize("name, make, media_type", [
    ("bls-badge.svg", lambda badge: material.baked_svg(json.dumps(badge)), "image/svg+xml"),
    ("bls-badge.json", lambda badge: json.dumps(badge).encode(), "application/json"),
    ("bls-badge.jwt", None, "application/jwt"),
])
def test_a_text_badge_uploaded_on_the_upload_page_is_read_from_its_statement(
        org, held, employee_client, name, make, media_type):
    key = material.issuer_key()
    data = make(material.signed_badge(key)) if make else material.vc_jwt(key, material.open_badge(
        issuer_did=material.did_key(key))).encode()

    response, document = _uploaded(employee_client, data, name)

    assert response.status_code == 200 and document is not None and document.media_type == media_type
    reading = document.latest_extraction
    assert reading.method == "badge" and reading.error_code is None
    assert (reading.fields["credential_type"], reading.fields["holder_name"]) == ("BLS Provider", "Erin Employee")
    assert reading.confidence["holder_name"] == reading.confidence["expiry_date"] == 1.0
    held.source_document_id = document.id  # confirmed from it
    db.session.commit()
    assert verification.verify(held).outcome == "verified"


HOSTILE = b'<script>fetch("/admin/users",{method:"POST"})</script><circle onload="alert(1)"/>'


def test_a_badge_svg_with_script_is_kept_but_only_ever_sent_as_bytes_to_save(org, employee_client,
                                                                             reviewer_client):
    svg = material.baked_svg(json.dumps(material.signed_badge(material.issuer_key())))
    svg = svg.replace(b"</svg>", HOSTILE + b"</svg>")

    _, document = _uploaded(employee_client, svg, "badge.svg")
    download = reviewer_client.get(f"/documents/{document.id}/file")
    page = reviewer_client.get(f"/documents/{document.id}/pages/1.png")

    assert document.latest_extraction.method == "badge"
    assert download.status_code == 200 and download.data == svg
    assert download.mimetype == "application/octet-stream"  # never image/svg+xml: a browser would run it
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert page.status_code == 404 and document.preview_state is None  # never drawn


def test_an_svg_that_is_no_badge_is_refused_and_not_kept(org, employee_client):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + HOSTILE + b"</svg>"

    response, document = _uploaded(employee_client, svg, "certificate.svg")

    assert response.status_code == 422 and document is None
    assert "not a certificate file we can read" in response.get_data(as_text=True)

