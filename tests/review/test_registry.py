"""The registry: search, person and credential pages, hand-made records."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, Credential, Document
from portal.services import registry
from portal.services.review import ReviewConflict
from tests.support import factories

HX = {"HX-Request": "true"}


@pytest.fixture
def records(app, org):
    ctype = factories.credential_type("Journeyman Electrician", code="TX-JE",
                                      issuer_=factories.issuer("Texas Department of Licensing", code="tdlr"))
    a = factories.credential(org.employee, org.bls, license_number="AHA-111", expires_on=date(2027, 1, 1))
    b = factories.credential(org.outsider, ctype, license_number="TX-222", expires_on=date(2026, 6, 1))
    db.session.commit()
    return a, b


@pytest.mark.parametrize("q, expected", [
    ("erin", ["AHA-111"]), ("tx-222", ["TX-222"]), ("texas", ["TX-222"]), ("heart", ["AHA-111"]), ("nobody", []),
])
def test_search_by_name_number_and_issuer(app, org, records, q, expected):
    result = registry.search(registry.CredentialSearch(q=q), org.reviewer_user)
    assert [c.license_number for c in result.credentials] == expected


def test_a_managers_search_stays_in_their_line(app, org, records):
    result = registry.search(registry.CredentialSearch(), org.manager_user)
    assert [c.license_number for c in result.credentials] == ["AHA-111"]


def test_sorting_and_paging(app, org, records):
    result = registry.search(registry.CredentialSearch(sort="expires"), org.reviewer_user, page_size=1)
    assert result.pages == 2 and result.credentials[0].license_number == "TX-222"


def test_registry_full_page_and_fragment(app, org, login, records):
    client = login(org.reviewer_user)
    assert "<html" in client.get("/registry?q=erin").get_data(as_text=True)
    body = client.get("/registry?q=erin", headers=HX).get_data(as_text=True)
    assert body.lstrip().startswith('<div id="registry_results"') and "AHA-111" in body and "TX-222" not in body


def test_manual_add_is_unverified_and_audited(app, org, pdf_bytes):
    credential = registry.add_manual(org.reviewer_user, {
        "person_id": org.employee.id, "credential_type_id": org.bls.id, "license_number": "MAN-1",
        "issued_on": "2025-01-10", "expires_on": ""}, io.BytesIO(pdf_bytes()), "scan.pdf")
    assert credential.source == "manual" and credential.verified is False
    assert credential.expiry_predicted and credential.expires_on == date(2027, 1, 10)
    document = db.session.get(Document, credential.source_document_id)
    assert document.state == "confirmed" and document.credential_id == credential.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.created"))
    assert event.after["verified"] is False and event.after["license_number"] == "MAN-1"


def test_manual_add_refuses_a_file_that_is_not_a_certificate(app, org):
    with pytest.raises(Invalid) as invalid:
        registry.add_manual(org.reviewer_user, {"person_id": org.employee.id, "credential_type_id": org.bls.id,
                                                "expires_on": "2027-01-01"}, io.BytesIO(b"<html></html>"), "x.pdf")
    assert "file" in invalid.value.errors
    assert db.session.scalar(select(Credential)) is None


def test_editing_by_hand_records_before_and_after_and_unverifies(app, org, records):
    credential = records[0]
    registry.edit(org.reviewer_user, credential, {"credential_type_id": org.bls.id, "license_number": "AHA-112",
                                                  "issued_on": "2025-01-01", "expires_on": "2027-01-01"},
                  credential.version)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.edited"))
    assert event.before["license_number"] == "AHA-111" and event.after["license_number"] == "AHA-112"
    assert event.after["verified"] is False and credential.verified is False


def test_editing_a_stale_version_is_a_conflict(app, org, records):
    credential = records[0]
    with pytest.raises(ReviewConflict):
        registry.edit(org.reviewer_user, credential, {"credential_type_id": org.bls.id, "expires_on": "2027-01-01"},
                      credential.version - 1)


def test_a_stale_edit_through_the_view_shows_the_record_as_it_now_stands(app, org, records, login):
    credential = records[0]
    opened_at = credential.version
    registry.edit(org.reviewer_user, credential, {"credential_type_id": org.bls.id, "license_number": "AHA-112",
                                                  "expires_on": "2027-01-01"}, opened_at)  # someone else saves
    response = login(org.reviewer_user).post(f"/credentials/{credential.id}/edit", data={
        "credential_type_id": org.bls.id, "license_number": "TYPED-999", "expires_on": "2027-01-01",
        "version": opened_at})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "changed after you opened it" in page
    assert 'value="AHA-112"' in page and "TYPED-999" not in page


def test_add_by_hand_through_the_view(app, org, login):
    client = login(org.reviewer_user)
    assert client.get(f"/registry/new?person={org.employee.id}").status_code == 200
    response = client.post("/registry/new", data={"person_id": org.employee.id, "credential_type_id": org.bls.id,
                                                  "license_number": "V-1", "expires_on": "2027-05-05"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Unverified" in page and f"{org.reviewer_user.display_name} created credential BLS Provider" in page


def test_credential_page_shows_versions_documents_and_audit(app, org, login, records):
    old = records[0]
    new = factories.credential(org.employee, org.bls, license_number="AHA-999", expires_on=date(2029, 1, 1))
    db.session.flush()
    old.state, old.superseded_by_id = "superseded", new.id
    db.session.commit()
    assert [c.id for c in registry.versions(old)] == [new.id, old.id]
    page = login(org.reviewer_user).get(f"/credentials/{old.id}").get_data(as_text=True)
    assert f"/credentials/{new.id}" in page and "Superseded" in page
    employee_page = login(org.employee_user).get(f"/credentials/{old.id}").get_data(as_text=True)
    assert "Audit trail" not in employee_page


def test_person_page_lists_requirements_and_history(app, org, login, records):
    page = login(org.manager_user).get(f"/people/{org.employee.id}").get_data(as_text=True)
    assert "BLS Provider" in page and "Registered Nurse" in page
