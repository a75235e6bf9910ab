"""Claim, confirm, correct, reject: the reviewer's decisions and what they cause."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, Credential, Document, IssuerHint, Notification, utcnow
from portal.services import documents, learning, review
from portal.demo.documents import certificate_pdf
from tests.review.conftest import lakeside
from tests.support import factories


def _read_document(org, data, name="cert.pdf", person=None, user=None, **kw):
    document = documents.upload(io.BytesIO(data), name, person or org.employee, user or org.employee_user, **kw)
    db.session.refresh(document)
    assert document.state == "needs_review", document.last_error
    return document


# These tests are about what decisions do; the checks that stop them are tested
# in test_checks.py, so the reviewer here accepts any check they raise.
ACCEPT_CHECKS = {"override": ["holder_mismatch", "expired", "expiry_beyond_validity", "number_pattern",
                              "number_elsewhere"], "override_reason": "Checked against the file"}


def _form(document, **changes):
    values = review.proposed_values(document)
    values["credential_type_id"] = values["credential_type_id"] or changes.pop("credential_type_id", None)
    values.update(ACCEPT_CHECKS)
    values.update(changes)
    return {k: ("" if v is None else v) for k, v in values.items()}


def test_confirming_as_read_creates_a_verified_credential(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    credential = review.confirm(document, org.reviewer_user, _form(document, credential_type_id=org.bls.id),
                                document.version)
    assert credential.person_id == org.employee.id and credential.credential_type_id == org.bls.id
    assert credential.license_number == "2B7Q-44KD-91XZ"
    assert credential.issued_on == date(2025, 3, 1) and credential.expires_on == date(2027, 3, 1)
    assert credential.verified and credential.verified_by_id == org.reviewer_user.id
    assert credential.source_document_id == document.id
    assert document.state == "confirmed" and document.credential_id == credential.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.confirmed"))
    assert event.before["state"] == "needs_review" and event.after["state"] == "confirmed"
    assert event.after["corrections"] == {}
    assert db.session.scalar(select(func.count(IssuerHint.id))) == 0


def test_a_renewal_supersedes_the_old_record_which_stays_as_history(app, org, pdf_bytes):
    old = factories.credential(org.employee, org.bls, expires_on=date.today() + timedelta(days=10))
    db.session.commit()
    document = _read_document(org, pdf_bytes(), renews=old)
    new = review.confirm(document, org.reviewer_user, _form(document), document.version)
    db.session.refresh(old)
    assert old.state == "superseded" and old.superseded_by_id == new.id
    assert new.state == "active"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.superseded",
                                                      AuditEvent.entity_id == str(old.id))).after == {
        "state": "superseded", "superseded_by_id": new.id}


def test_an_older_certificate_is_kept_as_history_behind_the_current_one(app, org, pdf_bytes):
    current = factories.credential(org.employee, org.bls, expires_on=date(2030, 1, 1))
    db.session.commit()
    document = _read_document(org, pdf_bytes())
    form = _form(document, credential_type_id=org.bls.id)
    with pytest.raises(Invalid) as stopped:
        review.confirm(document, org.reviewer_user, form, document.version)
    assert "only be added to history" in stopped.value.errors["expiry_date"]
    older = review.confirm(document, org.reviewer_user, {**form, "record_as": "history",
                                                         "override_reason": "An older card, for the record"},
                           document.version)
    db.session.refresh(current)
    assert current.state == "active"
    assert older.state == "superseded" and older.superseded_by_id == current.id


def test_a_correction_becomes_a_hint_and_the_next_document_from_that_issuer_is_read_right(app, org):
    first = _read_document(org, certificate_pdf(lakeside()), "forklift-1.pdf")
    assert first.latest_extraction.fields["license_number"] is None, "the label is unknown to the pipeline"
    review.confirm(first, org.reviewer_user, _form(first, credential_type_id=org.bls.id,
                                                   license_number="LK-88812"), first.version)
    hints = db.session.scalars(select(IssuerHint)).all()
    assert [(h.field, h.hint.get("label")) for h in hints] == [("license_number", "Operator Token")]
    assert hints[0].issuer_key == "name:lakeside distribution co"

    second = _read_document(org, certificate_pdf(lakeside("Oscar Outsider", "LK-99123")), "forklift-2.pdf",
                            person=org.outsider, user=org.outsider_user)
    assert second.latest_extraction.hints_used == 1
    assert second.latest_extraction.fields["license_number"] == "LK-99123"


def _day_first(holder, issued):
    """A new issuer printing ambiguous numeric dates day first (09/02/2024 is 9 February)."""
    from portal.demo.documents import Certificate
    return Certificate("Harbourside Crane Operators Guild", "Crane Operator Certificate", holder, "HC-40112",
                       issued, date(issued.year + 3, issued.month, issued.day), number_label="Certificate No:",
                       date_format="%d/%m/%Y")


def test_a_day_month_correction_teaches_the_issuers_date_order(app, org):
    first = _read_document(org, certificate_pdf(_day_first("Jordan Q. Example", date(2024, 2, 9))), "crane-1.pdf")
    assert first.latest_extraction.fields["issue_date"] == "2024-09-02", "an unknown issuer is read month first"
    review.confirm(first, org.reviewer_user, _form(first, credential_type_id=org.bls.id, issue_date="2024-02-09",
                                                   expiry_date="2027-02-09"), first.version)
    hints = {h.field: h.hint for h in db.session.scalars(select(IssuerHint))}
    assert hints["issue_date"]["date_order"] == "DMY" and hints["expiry_date"]["date_order"] == "DMY"

    second = _read_document(org, certificate_pdf(_day_first("Oscar Outsider", date(2025, 4, 3))), "crane-2.pdf",
                            person=org.outsider, user=org.outsider_user)
    fields = second.latest_extraction.fields
    assert second.latest_extraction.hints_used == 2
    assert (fields["issue_date"], fields["expiry_date"]) == ("2025-04-03", "2028-04-03")


def test_a_taught_issuers_next_document_is_read_by_one_request_to_the_reader(app, org):
    """The reader is handed every taught issuer's hints and applies those of
    the issuer it reads: the file is read once, not again with the hints."""
    from intake.isolate import requests_asked

    first = _read_document(org, certificate_pdf(lakeside()), "forklift-1.pdf")
    review.confirm(first, org.reviewer_user, _form(first, credential_type_id=org.bls.id,
                                                   license_number="LK-88812"), first.version)
    asked = requests_asked("extract")
    second = _read_document(org, certificate_pdf(lakeside("Oscar Outsider", "LK-99123")), "forklift-2.pdf",
                            person=org.outsider, user=org.outsider_user)
    assert requests_asked("extract") - asked == 1
    assert second.latest_extraction.hints_used == 1
    assert second.latest_extraction.fields["license_number"] == "LK-99123"


def test_hints_are_kept_per_issuer(app, org, pdf_bytes):
    first = _read_document(org, certificate_pdf(lakeside()), "forklift-1.pdf")
    review.confirm(first, org.reviewer_user, _form(first, credential_type_id=org.bls.id,
                                                   license_number="LK-88812"), first.version)
    other = _read_document(org, pdf_bytes(), "bls.pdf", person=org.outsider, user=org.outsider_user)
    assert other.latest_extraction.hints_used == 0


def test_every_corrected_field_is_in_the_audit_event(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    review.confirm(document, org.reviewer_user, _form(document, credential_type_id=org.bls.id,
                                                      license_number="2B7Q-44KD-91XY", expiry_date="2027-02-28"),
                   document.version)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.confirmed"))
    assert event.after["corrections"] == {"license_number": "2B7Q-44KD-91XY", "expiry_date": "2027-02-28"}
    assert event.before["read"]["license_number"] == "2B7Q-44KD-91XZ"


def test_the_second_confirmation_is_a_conflict_and_makes_no_record(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    seen_version = document.version
    review.confirm(document, org.reviewer_user, _form(document, credential_type_id=org.bls.id), seen_version)
    with pytest.raises(review.ReviewConflict):
        review.confirm(document, org.admin_user, _form(document, credential_type_id=org.bls.id), seen_version)
    assert db.session.scalar(select(func.count(Credential.id))) == 1


def test_a_concurrent_decision_is_caught_by_the_version_column(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    form = _form(document, credential_type_id=org.bls.id)
    seen = document.version
    # Another reviewer's transaction commits after this one loaded the row.
    db.session.execute(update(Document).where(Document.id == document.id).values(version=seen + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(review.ReviewConflict):
        review.confirm(document, org.reviewer_user, form, seen)
    assert db.session.scalar(select(func.count(Credential.id))) == 0


def test_a_claim_keeps_other_reviewers_out_until_released(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    review.claim(document, org.reviewer_user)
    with pytest.raises(review.ReviewConflict, match="already reviewing"):
        review.claim(document, org.admin_user)
    with pytest.raises(review.ReviewConflict):
        review.confirm(document, org.admin_user, _form(document, credential_type_id=org.bls.id), None)
    review.release(document, org.reviewer_user)
    review.claim(document, org.admin_user)
    assert document.claimed_by_id == org.admin_user.id


def test_a_stale_claim_lapses(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    review.claim(document, org.reviewer_user)
    document.claimed_at = utcnow() - review.CLAIM_TTL - timedelta(minutes=1)
    db.session.commit()
    review.claim(document, org.admin_user)
    assert document.claimed_by_id == org.admin_user.id


def test_rejecting_tells_the_employee_why(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    review.reject(document, org.reviewer_user, "The expiry date is hidden by your thumb.", document.version)
    assert document.state == "rejected"
    note = db.session.scalar(select(Notification))
    assert note.kind == "review" and note.recipient_email == org.employee.email
    assert note.context["reason"] == "The expiry date is hidden by your thumb."
    assert note.unique_key.startswith(f"review:document:{document.id}:rejected")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.rejected"))
    assert event.before["state"] == "needs_review" and event.after["reject_reason"]


def test_a_rejection_needs_a_reason(app, org, pdf_bytes):
    document = _read_document(org, pdf_bytes())
    with pytest.raises(Invalid):
        review.reject(document, org.reviewer_user, "  ", document.version)
    assert document.state == "needs_review"


@pytest.mark.parametrize("changes, field", [
    ({"person_id": ""}, "person_id"),
    ({"credential_type_id": ""}, "credential_type_id"),
    ({"issue_date": "31/02/2024"}, "issue_date"),
    ({"issue_date": "2025-03-01", "expiry_date": "2024-01-01"}, "expiry_date"),
])
def test_invalid_forms_name_the_field(app, org, pdf_bytes, changes, field):
    document = _read_document(org, pdf_bytes())
    form = {**_form(document, credential_type_id=org.bls.id), **changes}
    with pytest.raises(Invalid) as invalid:
        review.confirm(document, org.reviewer_user, form, document.version)
    assert field in invalid.value.errors


def test_a_failed_document_can_be_confirmed_by_hand(app, org, pdf_bytes):
    data = pdf_bytes()
    document = documents.upload(io.BytesIO(data[:300]), "broken.pdf", org.employee, org.employee_user)
    db.session.refresh(document)
    assert document.state == "failed"
    credential = review.confirm(document, org.reviewer_user, {
        "person_id": org.employee.id, "credential_type_id": org.bls.id, "license_number": "ABC",
        "issue_date": "2025-01-01", "expiry_date": ""}, document.version)
    assert credential.expiry_predicted and credential.expires_on == date(2027, 1, 1)


def test_warnings_name_existing_license_numbers_and_files(app, org, pdf_bytes):
    factories.credential(org.outsider, org.bls, license_number="2B7Q-44KD-91XZ")
    db.session.commit()
    document = _read_document(org, pdf_bytes())
    documents.upload(io.BytesIO(pdf_bytes()), "same.pdf", org.outsider, org.outsider_user)
    kinds = sorted(w["kind"] for w in review.warnings(document, "2b7q-44kd-91xz"))
    assert kinds == ["file", "license"]


def test_queue_filters_and_counts(app, org, pdf_bytes):
    ok = _read_document(org, pdf_bytes())
    broken = documents.upload(io.BytesIO(pdf_bytes()[:200]), "broken.pdf", org.outsider, org.outsider_user)
    page = review.queue(review.QueueFilters())
    assert [d.id for d in page.documents] == [ok.id, broken.id]  # oldest first
    assert page.counts["open"] == 2 and page.counts["failed"] == 1
    assert [d.id for d in review.queue(review.QueueFilters(state="failed")).documents] == [broken.id]
    assert [d.id for d in review.queue(review.QueueFilters(department_id=org.other_department.id)).documents] == [broken.id]
    assert [d.id for d in review.queue(review.QueueFilters(sort="newest")).documents] == [broken.id, ok.id]
    low = review.queue(review.QueueFilters(low_confidence=True)).documents
    assert broken.id in [d.id for d in low]


def test_low_confidence_filter_reads_the_latest_extraction_in_sql(app, org):
    from portal.models import Extraction

    def doc(*floors):
        d = factories.document(org.employee)
        db.session.flush()
        for floor in floors:  # extractions in order; the last is the latest
            db.session.add(Extraction(document_id=d.id, confidence={
                "holder_name": 0.99, "license_number": floor, "expiry_date": 0.95, "not_reviewed": 0.01}))
        return d

    unsure, sure, reread_sure, reread_unsure, unrated = doc(0.4), doc(0.9), doc(0.3, 0.96), doc(0.96, 0.5), doc()
    unrated.state = "failed"
    db.session.commit()
    assert db.session.get(Extraction, sure.extractions[0].id).min_confidence == 0.9  # the ignored field is not the floor
    expected = [unsure.id, reread_unsure.id, unrated.id]
    page = review.queue(review.QueueFilters(low_confidence=True), page_size=2)
    assert (page.total, page.pages, [d.id for d in page.documents]) == (3, 2, expected[:2])
    second = review.queue(review.QueueFilters(low_confidence=True, page=2), page_size=2)
    assert [d.id for d in second.documents] == expected[2:]
    assert all(review.is_low_confidence(d) for d in page.documents + second.documents)
    assert not review.is_low_confidence(sure) and not review.is_low_confidence(reread_sure)


def test_a_queue_page_past_the_end_shows_the_last_page(app, org):
    """The page shown and the documents on it agree: asked for page 9 of 2,
    the reviewer sees page 2 and its document (it was listed as page 2 with
    nothing on it)."""
    queued = [factories.document(org.employee) for _ in range(3)]
    db.session.commit()
    past = review.queue(review.QueueFilters(page=9), page_size=2)
    assert (past.page, past.pages, past.total) == (2, 2, 3)
    assert [d.id for d in past.documents] == [queued[2].id]


def test_a_type_correction_is_proposed_for_the_next_document_read_alike(app, org):
    """The issuer's certificates name no type the pipeline knows: after a
    reviewer chose one, the next document from that issuer proposes it."""
    from portal.models import LearnedTypeName

    forklift = factories.credential_type("Powered Industrial Truck Operator", code="PIT-OP")
    db.session.commit()
    first = _read_document(org, certificate_pdf(lakeside()), "forklift-1.pdf")
    assert first.credential_type_id is None
    review.confirm(first, org.reviewer_user, _form(first, credential_type_id=forklift.id), first.version)
    [learned] = db.session.scalars(select(LearnedTypeName)).all()
    assert (learned.issuer_key, learned.read_name, learned.credential_type_id) == (
        "name:lakeside distribution co", "", forklift.id)
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "credential_type.learned"))

    second = _read_document(org, certificate_pdf(lakeside(holder="Sam Driver", number="LK-90001")), "forklift-2.pdf")
    assert second.credential_type_id == forklift.id
    assert review.proposed_values(second)["credential_type_id"] == forklift.id
    taught = learning.taught_type(second)
    assert taught["by"] == org.reviewer_user.display_name and taught["on"].date() == utcnow().date()

    # confirming what was proposed teaches nothing new; choosing another type re-teaches
    review.confirm(second, org.reviewer_user, _form(second), second.version)
    assert db.session.scalar(select(func.count(LearnedTypeName.id))) == 1
    third = _read_document(org, certificate_pdf(lakeside(holder="Ana Lift", number="LK-90002")), "forklift-3.pdf")
    review.confirm(third, org.reviewer_user, _form(third, credential_type_id=org.bls.id), third.version)
    db.session.refresh(learned)
    assert learned.credential_type_id == org.bls.id


def test_confirming_the_proposed_type_learns_nothing(app, org, pdf_bytes):
    from portal.models import LearnedTypeName

    document = _read_document(org, pdf_bytes())
    review.confirm(document, org.reviewer_user, _form(document, credential_type_id=org.bls.id), document.version)
    proposed = learning.proposed_type_id(document.latest_extraction.fields)
    learned = db.session.scalars(select(LearnedTypeName)).all()
    assert proposed == org.bls.id and learned == []
