"""A reviewer adds a credential type the catalogue lacks, from the review page."""
from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, CredentialType, Extraction, Issuer
from tests.support import factories


def _unknown_document(org):
    document = factories.document(org.employee, uploaded_by=org.employee_user)
    db.session.add(Extraction(document=document, fields={
        "holder_name": "Erin Employee", "credential_type": "Confined Space Entry", "issuer": "Harbour Safety Ltd",
        "issue_date": "2025-03-01", "expiry_date": "2027-03-01"}, confidence={"credential_type": 0.0}))
    db.session.commit()
    return document


def test_a_new_type_and_issuer_made_at_review_unblock_the_confirmation(app, org, login):
    document = _unknown_document(org)
    client = login(org.reviewer_user)
    page = client.get(f"/review/{document.id}").get_data(as_text=True)
    assert 'value="Confined Space Entry"' in page and 'value="Harbour Safety Ltd"' in page
    assert "%" not in _type_badge(page)  # no percentage beside an empty proposal
    refused = client.post(f"/review/{document.id}/confirm", data={"version": document.version,
                                                                  "person_id": org.employee.id})
    assert refused.status_code == 422 and "Choose the credential type" in refused.get_data(as_text=True)
    response = client.post(f"/review/{document.id}/types", data={
        "type_name": "Confined Space Entry", "issuer_name": "Harbour Safety Ltd", "validity_months": "24"})
    assert response.status_code == 302
    ctype = db.session.scalar(select(CredentialType).where(CredentialType.name == "Confined Space Entry"))
    assert ctype.issuer.name == "Harbour Safety Ltd" and ctype.validity_months == 24
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential_type.created"))
    assert event.actor_user_id == org.reviewer_user.id and event.after["created_from_document_id"] == document.id
    page = client.get(f"/review/{document.id}").get_data(as_text=True)
    assert re.search(rf'<option value="{ctype.id}" selected>Confined Space Entry</option>', page)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    confirmed = client.post(f"/review/{document.id}/confirm", data={
        "version": version, "person_id": org.employee.id, "credential_type_id": ctype.id,
        "holder_name": "Erin Employee", "issue_date": "2025-03-01", "expiry_date": "2027-03-01"})
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)


def test_a_type_form_with_gaps_says_what_is_missing_beside_the_field(app, org, login):
    document = _unknown_document(org)
    client = login(org.reviewer_user)
    response = client.post(f"/review/{document.id}/types", data={"type_name": "", "issuer_name": "",
                                                                 "validity_months": "ten"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Name the credential type" in body and "Choose the issuer" in body and "whole months" in body
    assert db.session.scalar(select(Issuer).where(Issuer.name == "")) is None


def test_an_employee_cannot_add_types(app, org, employee_client):
    document = _unknown_document(org)
    assert employee_client.post(f"/review/{document.id}/types", data={
        "type_name": "X type", "issuer_name": "Y issuer"}).status_code in (403, 404)


def _type_badge(page: str) -> str:
    """The badge beside the "Credential type" label."""
    label = re.search(r'for="r-credential_type_id"><span>Credential type</span>(.*?)</label>', page, re.S)
    return " ".join(label.group(1).split())


def test_no_percentage_beside_an_empty_type_proposal(app, org, login):
    document = _unknown_document(org)
    document.latest_extraction.confidence = {"credential_type": 0.9}  # sure of the name, none in the catalogue
    db.session.commit()
    badge = _type_badge(login(org.reviewer_user).get(f"/review/{document.id}").get_data(as_text=True))
    assert "Not in the catalogue" in badge and "%" not in badge


def test_a_type_a_reviewer_taught_says_who_and_when(app, org, login):
    from portal.models import LearnedTypeName

    document = _unknown_document(org)
    document.latest_extraction.confidence = {"credential_type": 0.9}
    document.credential_type_id = org.bls.id
    db.session.add(LearnedTypeName(issuer_key="name:harbour safety ltd", read_name="confined space entry",
                                   credential_type_id=org.bls.id, created_by_id=org.reviewer_user.id))
    db.session.commit()
    badge = _type_badge(login(org.reviewer_user).get(f"/review/{document.id}").get_data(as_text=True))
    assert badge.startswith(f"<span class=\"badge conf-pill text-bg-light border\">Taught by "
                            f"{org.reviewer_user.display_name} on 1 June 2026")
    assert "%" not in badge


def test_a_document_waits_as_new_type_requested_instead_of_failing(app, org, login):
    document = _unknown_document(org)
    reviewer = login(org.reviewer_user)
    asked = reviewer.post(f"/review/{document.id}/type-request", data={
        "version": document.version, "type_name": "Confined Space Entry", "issuer_name": "Harbour Safety Ltd"})
    assert asked.status_code == 302
    db.session.refresh(document)
    assert document.state == "type_requested"
    assert document.type_request == "Confined Space Entry (Harbour Safety Ltd)"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.type_requested"))
    assert event.actor_user_id == org.reviewer_user.id and event.after["state"] == "type_requested"

    # its own queue state, out of the reviewers' open work; the employee still sees it in progress
    assert f'data-document-id="{document.id}"' not in reviewer.get("/review").get_data(as_text=True)
    waiting = reviewer.get("/review?state=type_requested").get_data(as_text=True)
    assert f'data-document-id="{document.id}"' in waiting and "Waiting for “Confined Space Entry" in waiting
    mine = login(org.employee_user).get("/me").get_data(as_text=True)
    assert "New type requested" in mine
    # administrators see the request where they add types
    taxonomy = login(org.admin_user).get("/admin/taxonomy").get_data(as_text=True)
    assert "Confined Space Entry (Harbour Safety Ltd)" in taxonomy

    # once the type exists, a reviewer finishes the document
    ctype = factories.credential_type("Confined Space Entry", code="CSE", validity_months=36)
    db.session.commit()
    done = login(org.reviewer_user).post(f"/review/{document.id}/confirm", data={
        "version": document.version, "person_id": org.employee.id, "credential_type_id": ctype.id,
        "holder_name": "Erin Employee", "issue_date": "2025-03-01", "expiry_date": "2027-03-01"})
    assert done.status_code == 302, done.get_data(as_text=True)
    db.session.refresh(document)
    assert document.state == "confirmed"


def test_asking_for_a_type_needs_its_name(app, org, login):
    document = _unknown_document(org)
    refused = login(org.reviewer_user).post(f"/review/{document.id}/type-request",
                                            data={"version": document.version, "type_name": " "})
    assert refused.status_code == 422 and "Name the credential type" in refused.get_data(as_text=True)
    db.session.refresh(document)
    assert document.state == "needs_review"
