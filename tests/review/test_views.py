"""Views: permissions, CSRF, HTMX fragments and full pages, downloads."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Credential
from portal.services import documents
from tests.review.conftest import bls, upload_file
from tests.support import factories

HX = {"HX-Request": "true"}


@pytest.fixture
def employee_doc(app, org, pdf_bytes):
    document = documents.upload(io.BytesIO(pdf_bytes()), "mine.pdf", org.employee, org.employee_user)
    db.session.refresh(document)
    return document


@pytest.fixture
def outsider_doc(app, org, pdf_bytes):
    document = documents.upload(io.BytesIO(pdf_bytes(bls("Oscar Outsider", "OUT-1"))), "theirs.pdf",
                                org.outsider, org.outsider_user)
    db.session.refresh(document)
    return document


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("who, status", [
    ("employee", 404), ("outsider", 200), ("manager", 404), ("reviewer", 200), ("admin", 200),
])
def test_who_may_download_the_outsiders_document(app, org, login, outsider_doc, who, status):
    client = login(getattr(org, f"{who}_user"))
    response = client.get(f"/documents/{outsider_doc.id}/file")
    assert response.status_code == status


@pytest.mark.parametrize("path", [
    "/documents/{id}/file", "/documents/{id}/pages/1.png", "/me/documents/{id}",
])
def test_an_employee_cannot_reach_anothers_document_by_guessing_ids(employee_client, outsider_doc, path):
    assert employee_client.get(path.format(id=outsider_doc.id)).status_code == 404
    assert employee_client.get(path.format(id=outsider_doc.id + 1000)).status_code == 404


@pytest.mark.parametrize("path", ["/review", "/review/{id}", "/registry", "/registry/new", "/credentials/{cid}/edit"])
def test_review_and_registry_pages_are_forbidden_to_employees(app, org, employee_client, outsider_doc, path):
    credential = factories.credential(org.outsider, org.bls)
    db.session.commit()
    assert employee_client.get(path.format(id=outsider_doc.id, cid=credential.id)).status_code == 403


@pytest.mark.parametrize("path", ["/review/{id}/confirm", "/review/{id}/reject", "/review/{id}/claim"])
def test_employees_cannot_decide(employee_client, employee_doc, path):
    assert employee_client.post(path.format(id=employee_doc.id), data={"reason": "nope nope"}).status_code == 403
    db.session.refresh(employee_doc)
    assert employee_doc.state == "needs_review"


def test_person_and_credential_pages_follow_the_reporting_line(app, org, login):
    mine = factories.credential(org.employee, org.bls)
    theirs = factories.credential(org.outsider, org.bls)
    db.session.commit()
    manager = login(org.manager_user)
    employee = login(org.employee_user)
    assert manager.get(f"/people/{org.employee.id}").status_code == 200
    assert manager.get(f"/credentials/{mine.id}").status_code == 200
    assert manager.get(f"/people/{org.outsider.id}").status_code == 404
    assert manager.get(f"/credentials/{theirs.id}").status_code == 404
    assert employee.get(f"/credentials/{mine.id}").status_code == 200
    assert employee.get(f"/credentials/{theirs.id}").status_code == 404
    assert employee.get(f"/people/{org.outsider.id}").status_code == 404


@pytest.mark.parametrize("path", ["/me/upload", "/review/{id}/confirm", "/review/{id}/reject", "/review/{id}/claim",
                                  "/registry/new"])
def test_state_changes_need_the_csrf_token(app, org, login, employee_doc, path):
    client = login(org.reviewer_user)
    response = client.post(path.format(id=employee_doc.id), data={"reason": "blurred scan"}, csrf=False)
    assert response.status_code == 400
    db.session.refresh(employee_doc)
    assert employee_doc.state == "needs_review"


# --------------------------------------------------------------------------- downloads


def test_downloads_are_attachments_with_the_sniffed_type_and_nosniff(app, org, employee_client, scan_bytes):
    document = documents.upload(io.BytesIO(scan_bytes()), "<script>.pdf", org.employee, org.employee_user)
    response = employee_client.get(f"/documents/{document.id}/file")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and ".png" in disposition and "<" not in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == documents.stored_path(document.sha256).read_bytes()


def test_page_images_are_pngs_with_evidence_on_the_review_page(app, org, login, employee_doc):
    client = login(org.reviewer_user)
    image = client.get(f"/documents/{employee_doc.id}/pages/1.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
    page = client.get(f"/review/{employee_doc.id}").get_data(as_text=True)
    assert 'class="evidence-box' in page and 'data-field="license_number"' in page


# --------------------------------------------------------------------------- upload views


def test_upload_page_offers_files_camera_and_the_limit(employee_client):
    page = employee_client.get("/me/upload").get_data(as_text=True)
    assert 'multiple' in page and 'capture="environment"' in page and 'data-max-bytes="26214400"' in page
    assert 'enctype="multipart/form-data"' in page


def test_upload_full_page_and_fragment(app, org, employee_client, pdf_bytes):
    full = upload_file(employee_client, pdf_bytes(), "a.pdf")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers.get("Vary", "")
    fragment = upload_file(employee_client, pdf_bytes(bls(number="OTHER-1")), "b.pdf", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="upload_results"')
    assert "b.pdf" in body and "Waiting for review" in body


def test_a_required_credential_with_an_upload_in_review_says_waiting_for_review_as_the_tile_does(
        app, org, employee_client):
    factories.document(org.employee, uploaded_by=org.employee_user, credential_type_id=org.bls.id)
    db.session.commit()
    page = employee_client.get("/me").get_data(as_text=True)
    row = re.search(r'<li class="list-group-item py-3 credential-row" data-status="pending_review">.*?</li>', page, re.S)
    assert row and "Waiting for review" in row.group(0)
    assert "Pending review" not in page


@pytest.mark.parametrize("data, name, message", [
    (b"<html>hi</html>", "cert.pdf", "not a certificate file"),
    (b"", "empty.png", "empty"),
])
def test_refused_uploads_say_why(employee_client, data, name, message):
    response = upload_file(employee_client, data, name, headers=HX)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_duplicate_upload_links_to_the_first(app, org, employee_client, pdf_bytes, employee_doc):
    response = upload_file(employee_client, pdf_bytes(), "again.pdf", headers=HX)
    assert response.status_code == 422
    assert f"/me/documents/{employee_doc.id}" in response.get_data(as_text=True)


def test_an_oversize_request_gets_a_friendly_413(app, employee_client):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = upload_file(employee_client, b"%PDF-1.4" + b"0" * 20_000, "big.pdf", headers=HX)
    assert response.status_code == 413
    assert "larger than" in response.get_data(as_text=True)


def test_status_fragment_polls_while_reading_and_stops_after(app, org, employee_client, employee_doc):
    body = employee_client.get(f"/me/documents/{employee_doc.id}", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith(f'<div class="list-group-item upload-item py-3" id="document-status-{employee_doc.id}"')
    assert "hx-trigger" not in body  # needs_review: done, no polling
    queued = factories.document(org.employee, state="queued")
    db.session.commit()
    body = employee_client.get(f"/me/documents/{queued.id}", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in body
    full = employee_client.get(f"/me/documents/{queued.id}")
    assert "<html" in full.get_data(as_text=True)


def test_renewal_upload_for_someone_elses_credential_is_404(app, org, employee_client):
    theirs = factories.credential(org.outsider, org.bls)
    db.session.commit()
    assert employee_client.get(f"/me/upload?credential={theirs.id}").status_code == 404


def test_my_credentials_shows_states_and_next_actions(app, org, employee_client, employee_doc):
    page = employee_client.get("/me").get_data(as_text=True)
    assert "BLS Provider" in page
    assert "HR is reviewing your upload" in page or "Upload certificate" in page
    assert employee_doc.original_name in page


# --------------------------------------------------------------------------- review views


def test_queue_full_page_and_fragment(app, org, login, employee_doc):
    client = login(org.reviewer_user)
    full = client.get("/review")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    fragment = client.get("/review?state=needs_review", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="queue_results"') and employee_doc.person.full_name in fragment


def test_claim_then_confirm_with_a_correction_through_the_views(app, org, login, employee_doc):
    client = login(org.reviewer_user)
    response = client.post(f"/review/{employee_doc.id}/claim")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/review/{employee_doc.id}")
    page = client.get(f"/review/{employee_doc.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = client.post(f"/review/{employee_doc.id}/confirm", data={
        "version": version, "person_id": org.employee.id, "credential_type_id": org.bls.id,
        "holder_name": "Erin Employee", "license_number": "2B7Q-44KD-91XZ", "issue_date": "2025-03-01",
        "expiry_date": "2027-02-28"})
    assert response.status_code == 302
    credential = db.session.scalar(select(Credential))
    assert credential.expires_on.isoformat() == "2027-02-28"
    # the second reviewer, with the page they loaded before
    again = login(org.admin_user).post(f"/review/{employee_doc.id}/confirm", data={
        "version": version, "person_id": org.employee.id, "credential_type_id": org.bls.id,
        "issue_date": "2025-03-01", "expiry_date": "2027-02-28"})
    assert again.status_code == 409 and "already confirmed" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Credential.id))) == 1


def test_invalid_confirmation_shows_the_error_next_to_the_field(app, org, login, employee_doc):
    client = login(org.reviewer_user)
    response = client.post(f"/review/{employee_doc.id}/confirm", data={
        "version": employee_doc.version, "person_id": org.employee.id, "credential_type_id": org.bls.id,
        "issue_date": "2025-03-01", "expiry_date": "2020-01-01"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="r-expiry_date-error"' in body and 'data-check="issued_after_expiry"' in body
    assert "It expires (1 January 2020) before it was issued (1 March 2025)." in body


def test_reject_through_the_view(app, org, login, employee_doc, employee_client):
    client = login(org.reviewer_user)
    response = client.post(f"/review/{employee_doc.id}/reject", data={
        "version": employee_doc.version, "reason": "Please upload both sides of the card."})
    assert response.status_code == 302
    page = employee_client.get(f"/me/documents/{employee_doc.id}").get_data(as_text=True)
    assert "Please upload both sides of the card." in page


def test_people_search_fragment_and_page(app, org, login, employee_doc):
    client = login(org.reviewer_user)
    fragment = client.get(f"/review/{employee_doc.id}/people?q=oscar", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="people_results"') and "Oscar Outsider" in fragment
    full = client.get(f"/review/{employee_doc.id}/people?q=oscar").get_data(as_text=True)
    assert "<html" in full and f"person={org.outsider.id}" in full


def test_warnings_fragment_and_full_page(app, org, login, employee_doc):
    factories.credential(org.outsider, org.bls, license_number="DUP-1")
    db.session.commit()
    client = login(org.reviewer_user)
    fragment = client.get(f"/review/{employee_doc.id}/warnings?license_number=dup-1", headers=HX)
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="review_warnings"') and "already in the registry" in body
    assert client.get(f"/review/{employee_doc.id}/warnings").status_code == 302


def test_a_null_expiry_the_document_states_is_shown_with_its_evidence(app, org, login, tmp_path):
    """"Expiry: Lifetime" is read as no expiry on the document's word: the reviewer sees the
    phrase beside the empty field and its box on the page, and the null is no missing field."""
    from portal.models.documents import confidence_floor
    from portal.services import review
    from tests.intake.conftest import make_pdf

    pdf = make_pdf(tmp_path / "lifetime.pdf", [[
        (72, 50, 16, "Lakeshore Chiropody Council"), (72, 110, 20, "Certificate of Competence"),
        (72, 160, 11, "Registrant: Marta Rivera"), (72, 180, 11, "Permit No.: LC-20931"),
        (72, 200, 11, "Date of issue: 03/14/2024"), (72, 220, 11, "Expiry:"), (200, 220, 11, "Lifetime")]])
    document = documents.upload(io.BytesIO(pdf.read_bytes()), "lifetime.pdf", org.employee, org.employee_user)
    db.session.refresh(document)
    extraction = document.latest_extraction
    assert extraction.fields["expiry_date"] is None and extraction.confidence["expiry_date"] >= 0.9
    others = {k: v for k, v in extraction.confidence.items() if k != "expiry_date"}
    assert extraction.min_confidence == confidence_floor(others)   # the null is no missing field
    page = login(org.reviewer_user).get(f"/review/{document.id}").get_data(as_text=True)
    assert "No expiry: the document says “Lifetime”." in page
    assert 'data-field="expiry_date"' in page
    assert re.search(r'id="r-expiry_date" name="expiry_date" value=""', page)
    assert review.min_confidence(document) == extraction.min_confidence
