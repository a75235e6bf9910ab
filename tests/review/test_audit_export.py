"""History people can read: the audit log in plain words, and its CSV export."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit, audit_log
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


def _confirmed_into_history(org):
    """The walk-through's case: another person's expired card added to history behind a valid record."""
    from portal.models import Extraction
    from portal.services import review

    valid = factories.credential(org.employee, org.bls, expires_on=date(2027, 1, 21))
    db.session.commit()
    document = factories.document(org.employee, uploaded_by=org.employee_user, credential_type_id=org.bls.id,
                                  renews_credential_id=valid.id, sha256="ab" * 32)
    db.session.add(Extraction(document=document, fields={
        "holder_name": "Marcus Webb", "license_number": "3JD9-77PL-02QA", "issue_date": "2021-02-02",
        "expiry_date": "2023-02-02"}, confidence={}))
    db.session.commit()
    form = {**{k: v or "" for k, v in review.proposed_values(document).items()},
            "override": ["holder_mismatch", "expired"], "record_as": "history", "override_reason": "Old card, kept"}
    return valid, review.confirm(document, org.reviewer_user, form, document.version)


@pytest.mark.parametrize("page", ["credential", "log"])
def test_history_reads_as_sentences_with_names_not_ids(app, org, login, page):
    valid, old = _confirmed_into_history(org)
    url = f"/credentials/{old.id}" if page == "credential" else "/admin/audit"
    html = login(org.admin_user).get(url).get_data(as_text=True)
    sentences = " ".join(re.findall(r'class="audit-sentence">(.*?)<', html, re.S))
    who = org.reviewer_user.display_name
    assert f"{who} confirmed document certificate.pdf" in sentences
    assert "kept as history behind the newer record" in sentences
    assert "accepted after a look: The document is in the name of Marcus Webb, not Erin Employee" in sentences
    assert "because: Old card, kept" in sentences
    assert f"{who} created credential BLS Provider of Erin Employee, valid to 2 Feb 2023" in sentences
    assert "superseded by BLS Provider of Erin Employee, valid to 21 Jan 2027" in sentences
    for raw in ("{}", "[]", "person_id", "credential_id", "needs_review", "ab" * 32, "None"):
        assert raw not in sentences, raw
    assert org.reviewer_user.email not in sentences


def test_the_log_and_its_export_filter_by_a_person_typed_by_name(app, org, login):
    _changed_expiry(org)
    client = login(org.admin_user)
    page = client.get(f"/admin/audit?who_for={org.employee.employee_id}").get_data(as_text=True)
    assert "expiry from 2 Sep 2028 to 9 Feb 2028" in page and "1 Jan 2027" not in page
    export = client.get(f"/admin/audit/export.csv?who_for={org.employee.employee_id}").get_data(as_text=True)
    assert "expiry from 2 Sep 2028 to 9 Feb 2028" in export and "1 Jan 2027" not in export
    nobody = client.get("/admin/audit?who_for=Nobody+Atall").get_data(as_text=True)
    assert 'id="a-person-error"' in nobody and "expiry from" not in nobody


def test_who_acted_is_found_by_the_name_the_log_shows_as_well_as_by_email(app, org, login):
    _changed_expiry(org)
    audit.record("credential.updated", org.bls, actor=org.admin_user, before={"name": "BLS"}, after={"name": "BLS Provider"})
    db.session.commit()
    client = login(org.admin_user)
    reviewer = org.reviewer_user.person
    for typed in (f"{reviewer.first_name} {reviewer.last_name}", reviewer.last_name.upper(), org.reviewer_user.email):
        page = client.get("/admin/audit", query_string={"actor": typed}).get_data(as_text=True)
        assert "expiry from 2 Sep 2028 to 9 Feb 2028" in page, typed
        assert "name from BLS to BLS Provider" not in page, typed
    export = client.get("/admin/audit/export.csv", query_string={"actor": reviewer.first_name}).get_data(as_text=True)
    assert "9 Feb 2028" in export and "name from BLS to BLS Provider" not in export


def test_naming_who_acted_takes_the_same_queries_for_two_actors_as_for_twelve(app, org, count_queries):
    def events_by(how_many):
        events = []
        for n in range(how_many):
            actor = factories.user(factories.person(last=f"Actor{how_many}x{n}"), roles=("reviewer",))
            db.session.flush()
            events.append(audit.record("credential.updated", org.bls, actor=actor, before={"name": "A"},
                                       after={"name": "B"}))
        db.session.commit()
        db.session.expire_all()  # read afresh, as on a new request
        return db.session.query(AuditEvent).filter(AuditEvent.id.in_([e.id for e in events])).all()

    counts = []
    for how_many in (2, 12):
        events = events_by(how_many)
        with count_queries() as q:
            names = audit_log.names_for(events)
        assert sum(kind == "User" for kind, _ in names) == how_many
        counts.append(q.count)
    assert counts[0] == counts[1]
