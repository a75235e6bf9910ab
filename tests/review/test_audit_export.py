"""History people can read: the audit log in plain words, and its CSV export."""
from __future__ import annotations

import csv
import io
from datetime import date

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit
from tests.support import factories


def _changed_expiry(org):
    credential = factories.credential(org.employee, org.bls, expires_on=date(2028, 9, 2))
    db.session.flush()
    audit.record("credential.updated", credential, actor=org.reviewer_user,
                 before={"expires_on": "2028-09-02"}, after={"expires_on": "2028-02-09"})
    other = factories.credential(org.outsider, org.bls, expires_on=date(2027, 1, 1))
    db.session.flush()
    audit.record("credential.updated", other, actor=org.reviewer_user, before={"expires_on": "2027-01-01"},
                 after={"expires_on": "2027-02-01"})
    db.session.commit()
    return credential


def test_the_log_says_in_words_who_changed_what(app, org, login):
    _changed_expiry(org)
    page = login(org.admin_user).get("/admin/audit?entity_type=Credential").get_data(as_text=True)
    assert "updated credential" in page and "expiry from 2 Sep 2028 to 9 Feb 2028" in page
    assert "{}" not in page


def test_the_export_holds_what_the_page_shows_for_one_person(app, org, login):
    _changed_expiry(org)
    client = login(org.compliance_user if hasattr(org, "compliance_user") else org.admin_user)
    response = client.get(f"/admin/audit/export.csv?person={org.employee.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["When (UTC)", "Who", "Action"]
    sentences = [r[5] for r in rows[1:]]
    assert any("expiry from 2 Sep 2028 to 9 Feb 2028" in s for s in sentences)
    assert not any("2027" in s for s in sentences), "the other person's change is filtered out"


def test_the_export_is_for_admins_and_compliance_only(app, org, login):
    assert login(org.reviewer_user).get("/admin/audit/export.csv").status_code == 403
