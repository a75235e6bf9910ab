"""Hand entries on the registry pass the review's confirmation checks, cleared the same way.

The day is 1 June 2026 (``review_day`` in this area's conftest).
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, Credential
from portal.services import audit_log, registry
from tests.support import factories


def _form(org, **changes):
    return {"person_id": org.employee.id, "credential_type_id": org.bls.id, "license_number": "2B7Q-44KD-91XZ",
            "issued_on": "2025-03-01", "expires_on": "2027-03-01", **changes}


def _codes(invalid):
    return {c.code for c in invalid.value.detail.checks}


def test_an_expired_record_added_by_hand_needs_a_tick_and_a_reason_kept_in_the_audit(app, org):
    form = _form(org, issued_on="2022-01-10", expires_on="2024-01-10")
    with pytest.raises(Invalid) as stopped:
        registry.add_manual(org.reviewer_user, form)
    assert _codes(stopped) == {"expired"} and "expired on 10 January 2024" in stopped.value.errors["expiry_date"]
    with pytest.raises(Invalid) as no_reason:
        registry.add_manual(org.reviewer_user, {**form, "override": ["expired"]})
    assert set(no_reason.value.errors) == {"override_reason"}
    assert db.session.scalar(select(Credential)) is None

    registry.add_manual(org.reviewer_user, {**form, "override": ["expired"], "override_reason": "Paper file, for the record"})
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.created"))
    assert event.after["checks"] == [{"code": "expired", "message": "This credential expired on 10 January 2024.",
                                      "overridden": True}]
    assert event.after["override_reason"] == "Paper file, for the record"
    assert "because: Paper file, for the record" in audit_log.describe(event)


def test_an_estimated_expiry_in_the_past_is_checked_too(app, org):
    with pytest.raises(Invalid) as stopped:
        registry.add_manual(org.reviewer_user, _form(org, issued_on="2020-01-10", expires_on=""))
    assert _codes(stopped) == {"expired"}


def test_an_older_record_by_hand_never_supersedes_the_newer_one_and_goes_to_history_only_when_asked(app, org):
    valid = factories.credential(org.employee, org.bls, expires_on=date(2027, 1, 21))
    db.session.commit()
    form = _form(org, issued_on="2024-06-01", expires_on="2026-09-01")
    with pytest.raises(Invalid) as stopped:
        registry.add_manual(org.reviewer_user, form)
    assert _codes(stopped) == {"older_than_current"}
    assert "BLS Provider valid to 21 January 2027" in stopped.value.errors["expiry_date"]
    assert db.session.scalar(select(Credential).where(Credential.id != valid.id)) is None

    old = registry.add_manual(org.reviewer_user, {**form, "record_as": "history", "override_reason": "Last cycle's card"})
    db.session.refresh(valid)
    assert valid.state == "active" and old.state == "superseded" and old.superseded_by_id == valid.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.created"))
    assert event.after["recorded_as"] == "history" and event.after["override_reason"] == "Last cycle's card"


@pytest.mark.parametrize("changes, field, code", [
    ({"issued_on": "2026-07-01", "expires_on": "2028-07-01"}, "issue_date", "issued_in_future"),
    ({"issued_on": "2025-03-01", "expires_on": "2024-03-01"}, "expiry_date", "issued_after_expiry"),
])
def test_impossible_dates_by_hand_must_be_corrected_a_tick_does_not_pass_them(app, org, changes, field, code):
    form = _form(org, **changes)
    with pytest.raises(Invalid) as stopped:
        registry.add_manual(org.reviewer_user, {**form, "override": [code], "override_reason": "Looks right to me"})
    assert code in _codes(stopped) and field in stopped.value.errors
    assert db.session.scalar(select(Credential)) is None


def test_a_number_on_another_person_a_foreign_pattern_and_a_long_expiry_each_need_their_tick(app, org):
    org.bls.issuer.license_number_patterns = [r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"]
    factories.credential(org.outsider, org.bls, license_number="12345", expires_on=date(2027, 1, 1))
    db.session.commit()
    form = _form(org, license_number="12345", expires_on="2035-03-01")
    with pytest.raises(Invalid) as stopped:
        registry.add_manual(org.reviewer_user, form)
    assert _codes(stopped) == {"number_pattern", "number_elsewhere", "expiry_beyond_validity"}
    with pytest.raises(Invalid) as one_short:
        registry.add_manual(org.reviewer_user, {**form, "override": ["number_pattern", "number_elsewhere"],
                                                "override_reason": "Transferred record"})
    assert set(one_short.value.errors) == {"expiry_date"}
    credential = registry.add_manual(org.reviewer_user, {
        **form, "override": ["number_pattern", "number_elsewhere", "expiry_beyond_validity"],
        "override_reason": "Transferred record"})
    assert credential.license_number == "12345"


def test_an_edit_is_checked_on_what_it_changes(app, org):
    old = factories.credential(org.employee, org.bls, license_number="2B7Q-44KD-91XZ",
                               issued_on=date(2022, 1, 10), expires_on=date(2024, 1, 10))
    db.session.commit()
    values = {"credential_type_id": org.bls.id, "license_number": "2B7Q-44KD-91XZ", "issued_on": "2022-01-10",
              "expires_on": "2024-01-10"}
    # a note on an expired record asks nothing
    registry.edit(org.reviewer_user, old, {**values, "notes": "Scanned copy in the paper file"}, old.version)
    # a new expiry far beyond the type's validity stops until ticked, with a reason
    with pytest.raises(Invalid) as stopped:
        registry.edit(org.reviewer_user, old, {**values, "expires_on": "2032-01-10"}, old.version)
    assert _codes(stopped) == {"expiry_beyond_validity"}
    db.session.refresh(old)
    assert old.expires_on == date(2024, 1, 10)
    registry.edit(org.reviewer_user, old, {**values, "expires_on": "2032-01-10", "override": ["expiry_beyond_validity"],
                                           "override_reason": "Lifetime card, says the issuer"}, old.version)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "credential.edited")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.after["expires_on"] == "2032-01-10" and event.after["override_reason"] == "Lifetime card, says the issuer"
    assert [c["code"] for c in event.after["checks"] if c["overridden"]] == ["expiry_beyond_validity"]


def test_correcting_the_dates_of_a_record_kept_as_history_does_not_ask_whether_it_is_expired(app, org):
    current = factories.credential(org.employee, org.bls, expires_on=date(2027, 1, 21))
    old = factories.credential(org.employee, org.bls, issued_on=date(2022, 1, 10), expires_on=date(2024, 1, 10),
                               state="superseded", superseded_by=current)
    db.session.commit()
    registry.edit(org.reviewer_user, old, {"credential_type_id": org.bls.id, "issued_on": "2022-01-12",
                                           "expires_on": "2024-01-12"}, old.version)
    db.session.refresh(old)
    assert old.expires_on == date(2024, 1, 12) and old.state == "superseded"


def test_the_form_shows_each_check_beside_its_field_with_its_tick(app, org, login):
    client = login(org.reviewer_user)
    response = client.post("/registry/new", data=_form(org, issued_on="2022-01-10", expires_on="2024-01-10"))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-check="expired"' in body and 'name="override" value="expired"' in body
    assert 'id="f-override_reason"' in body and body.count("expired on 10 January 2024") == 1
