"""/admin/verification: policies, trust roots, roster uploads, runs and the CSV export."""
from __future__ import annotations

import csv
import io

import pytest

from portal.extensions import db
from portal.models import TrustRoot, VerificationImport, VerificationPolicy
from portal.services import verification


@pytest.mark.parametrize("who,status", [("employee_client", 403), ("reviewer_client", 403),
                                        ("manager_client", 403), ("admin_client", 200),
                                        ("compliance_client", 200)])
def test_who_opens_the_verification_admin_page(request, who, status):
    assert request.getfixturevalue(who).get("/admin/verification").status_code == status


def test_the_setup_page_links_to_it(admin_client):
    assert "/admin/verification" in admin_client.get("/admin").get_data(as_text=True)


def test_saving_a_policy_and_a_bad_one_shows_the_error_next_to_the_field(admin_client, org):
    ok = admin_client.post("/admin/verification/policies", data={
        "credential_type_id": str(org.bls.id), "methods": ["open_badge", "pdf_signature"], "reverify_days": "30",
        "required": "1"})
    assert ok.status_code == 302
    policy = db.session.query(VerificationPolicy).one()
    assert (policy.methods, policy.reverify_days, policy.required) == (["open_badge", "pdf_signature"], 30, True)

    bad = admin_client.post("/admin/verification/policies", data={"credential_type_id": "default",
                                                                 "reverify_days": "soon"})
    assert bad.status_code == 422
    assert 'id="f-reverify_days-error"' in bad.get_data(as_text=True)
    assert db.session.query(VerificationPolicy).count() == 1


def test_uploading_a_trust_root_and_a_broken_one(admin_client, pki):
    assert admin_client.post("/admin/verification/roots", data={"certificate": (io.BytesIO(pki.root_pem), "root.pem")},
                             content_type="multipart/form-data").status_code == 302
    assert db.session.query(TrustRoot).count() == 1
    bad = admin_client.post("/admin/verification/roots", data={"certificate": (io.BytesIO(b"nonsense"), "x.pem")},
                            content_type="multipart/form-data")
    assert bad.status_code == 422
    assert "not an X.509 certificate" in bad.get_data(as_text=True)


def test_a_roster_upload_and_a_bad_one(admin_client, org):
    text = "License Number,First Name,Last Name,License Status\nLN1,A,B,Active\n"
    ok = admin_client.post("/admin/verification/imports", data={"kind": "roster",
                                                              "file": (io.BytesIO(text.encode()), "roster.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = ok.get_data(as_text=True)
    assert "roster.csv is stored and queued for import" in page
    assert "1 rows, 0 matched, 0 alerts" in page  # huey.immediate: the job ran inside the upload
    bad = admin_client.post("/admin/verification/imports", data={"kind": "roster",
                                                               "file": (io.BytesIO(b"Who,What\n1,2\n"), "r.csv")},
                            content_type="multipart/form-data")
    assert bad.status_code == 422
    assert 'id="f-file-error"' in bad.get_data(as_text=True)
    assert db.session.query(VerificationImport).count() == 1


def test_the_csv_export_lists_every_check_without_formulas(admin_client, org, held):
    held.license_number = "=HYPERLINK(1)"
    db.session.commit()
    verification.verify(held)
    body = admin_client.get("/admin/verification/export.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["verification_id", "credential_id", "person"]
    assert rows[1][2] == "Erin Employee"
    assert rows[1][5] == "'=HYPERLINK(1)"
    assert rows[0][-1] == "evidence" and rows[1][-1].startswith("{")  # what the check saw, for auditors


def test_the_export_needs_the_role(reviewer_client):
    assert reviewer_client.get("/admin/verification/export.csv").status_code == 403
