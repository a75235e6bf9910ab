"""The credential page shows the standing and every check; "verify now" with a file."""
from __future__ import annotations

import io

from portal.extensions import db
from portal.models import AuditEvent, Verification
from portal.services import verification


def test_the_credential_page_lists_each_verification_with_its_evidence(reviewer_client, held, stored_document,
                                                                         pki, signed):
    verification.add_trust_root(pki.root_pem)
    stored_document(held, signed)
    verification.verify(held)

    page = reviewer_client.get(f"/credentials/{held.id}").get_data(as_text=True)

    assert 'id="verification"' in page
    assert "verification-verified" in page
    assert "Test Board Registrar" in page
    assert "not checked (offline)" in page


def test_a_reviewer_verifies_with_an_uploaded_signed_pdf(reviewer_client, held, pki, signed):
    verification.add_trust_root(pki.root_pem)

    response = reviewer_client.post(f"/credentials/{held.id}/verify",
                                    data={"file": (io.BytesIO(signed), "signed.pdf")},
                                    content_type="multipart/form-data")

    assert response.status_code == 302
    row = db.session.query(Verification).one()
    assert row.outcome == "verified"
    assert row.evidence["file"]["name"] == "signed.pdf"
    assert db.session.query(AuditEvent).filter_by(action="credential.verification").count() == 1


def test_an_empty_file_is_refused_next_to_the_form_and_nothing_recorded(reviewer_client, held):
    response = reviewer_client.post(f"/credentials/{held.id}/verify", data={"file": (io.BytesIO(b""), "x.pdf")},
                                    content_type="multipart/form-data", follow_redirects=True)
    assert "This file is empty" in response.get_data(as_text=True)
    assert db.session.query(Verification).count() == 0


def test_verify_needs_csrf(reviewer_client, held):
    assert reviewer_client.post(f"/credentials/{held.id}/verify", csrf=False).status_code == 400


def test_an_employee_sees_the_standing_but_cannot_verify(employee_client, held):
    assert employee_client.post(f"/credentials/{held.id}/verify").status_code == 403
    assert employee_client.get(f"/credentials/{held.id}").status_code == 200  # sees own standing


def test_someone_outside_the_line_gets_404(login, org, held):
    client = login(org.outsider_user)
    assert client.get(f"/credentials/{held.id}").status_code == 404


def test_the_registry_shows_the_standing_and_filters_by_it(reviewer_client, org, held, stored_document, signed):
    from tests.support import factories

    stored_document(held, signed)
    verification.verify(held)  # integrity only: nobody trusted yet
    other = factories.credential(org.manager, org.bls)
    db.session.commit()

    page = reviewer_client.get("/registry").get_data(as_text=True)
    assert "verification-integrity_only" in page and "verification-not_checked" in page

    only = reviewer_client.get("/registry?verification=integrity_only").get_data(as_text=True)
    assert f"/credentials/{held.id}" in only and f"/credentials/{other.id}" not in only
    unchecked = reviewer_client.get("/registry?verification=not_checked").get_data(as_text=True)
    assert f"/credentials/{other.id}" in unchecked and f"/credentials/{held.id}\"" not in unchecked


def test_a_due_check_reads_as_due_and_filters_as_due(reviewer_client, org, held):
    from datetime import timedelta

    from portal.models import VerificationPolicy, VerificationState, today

    db.session.add(VerificationPolicy(credential_type_id=None, reverify_days=30))
    db.session.commit()
    verification.verify(held)
    state = db.session.get(VerificationState, held.id)
    state.next_due = today() - timedelta(days=1)
    db.session.commit()

    assert verification.standing(held).status == "due"
    assert f"/credentials/{held.id}" in reviewer_client.get("/registry?verification=due").get_data(as_text=True)
    assert f"/credentials/{held.id}" not in reviewer_client.get(
        "/registry?verification=unverifiable").get_data(as_text=True)


def test_the_person_page_shows_each_requirement_standing(reviewer_client, org, held):
    verification.verify(held)
    page = reviewer_client.get(f"/people/{org.employee.id}").get_data(as_text=True)
    assert "verification-unverifiable" in page


def _matrix(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    start = page.find('id="matrix"')
    return "" if start < 0 else page[start:page.index("</table>", start)]


def test_the_team_page_filters_by_the_standing_of_the_held_credential(compliance_client, org, held,
                                                                     stored_document, signed):
    from tests.support import factories

    stored_document(held, signed)
    verification.verify(held)  # integrity only: nobody trusted yet
    factories.credential(org.manager, org.bls)  # held, never checked; the director holds none
    db.session.commit()

    intact = _matrix(compliance_client, "/team?verification=integrity_only")
    assert "Erin Employee" in intact and "Max Manager" not in intact
    assert "verification-integrity_only" in intact  # the cell says which credential matched
    unchecked = _matrix(compliance_client, "/team?verification=not_checked")
    assert "Max Manager" in unchecked and "Erin Employee" not in unchecked
    assert "Dee Director" not in unchecked  # missing is not a held credential left unchecked
    assert "Dee Director" in _matrix(compliance_client, "/team")


def test_the_employees_own_page_shows_each_credentials_standing(employee_client, held, stored_document, signed):
    stored_document(held, signed)
    verification.verify(held)
    page = employee_client.get("/me").get_data(as_text=True)
    assert "verification-integrity_only" in page and "Integrity only" in page


def test_the_audit_export_names_each_check_and_what_it_found(compliance_client, held, stored_document, signed):
    stored_document(held, signed)
    row = verification.verify(held)

    export = compliance_client.get("/admin/audit/export.csv").get_data(as_text=True)

    line = next(line for line in export.splitlines() if "credential.verification" in line)
    assert f"check {row.id}" in line and row.detail in line
