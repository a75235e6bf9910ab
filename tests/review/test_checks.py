"""Confirmation checks: what stops a wrong record, and how a reviewer clears it knowingly."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, Credential, Extraction
from portal.policies import confirmation
from portal.policies.confirmation import Facts, Replaced
from portal.services import checks, review
from tests.support import factories

TODAY = date(2026, 6, 1)


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=timezone.utc), tick=False):
        yield TODAY


def _document(org, renews=None, **fields):
    read = {"holder_name": "Erin Employee", "license_number": "2B7Q-44KD-91XZ", "issue_date": "2025-03-01",
            "expiry_date": "2027-03-01", **fields}
    document = factories.document(org.employee, uploaded_by=org.employee_user, credential_type_id=org.bls.id,
                                  renews_credential_id=renews.id if renews else None)
    db.session.add(Extraction(document=document, fields=read, confidence={k: 0.9 for k in read}))
    db.session.commit()
    return document


def _form(document, **changes):
    values = {k: ("" if v is None else v) for k, v in review.proposed_values(document).items()}
    return {**values, **changes}


def codes(outcome):
    return {c.code for c in outcome.checks}


def test_an_expired_renewal_in_another_name_cannot_supersede_the_valid_record(app, org, frozen):
    valid = factories.credential(org.employee, org.bls, expires_on=date(2027, 1, 21))
    db.session.commit()
    document = _document(org, renews=valid, holder_name="Marcus Webb", issue_date="2020-05-02",
                         expiry_date="2022-05-02")
    with pytest.raises(Invalid) as stopped:
        review.confirm(document, org.reviewer_user, _form(document), document.version)
    assert codes(stopped.value.detail) >= {"holder_mismatch", "expired", "older_than_current"}
    assert "Marcus Webb, not Erin Employee" in stopped.value.errors["holder_name"]
    assert "BLS Provider valid to 21 January 2027" in stopped.value.errors["expiry_date"]
    # accepting the name and the expiry is still not enough to replace the newer record
    with pytest.raises(Invalid) as still:
        review.confirm(document, org.reviewer_user, _form(document, override=["holder_mismatch", "expired"],
                                                          override_reason="Married name"), document.version)
    assert set(still.value.errors) == {"expiry_date"}
    assert db.session.scalar(select(Credential).where(Credential.id != valid.id)) is None
    db.session.refresh(valid)
    assert valid.state == "active"


def test_added_to_history_with_a_reason_it_stays_behind_the_valid_record(app, org, frozen):
    valid = factories.credential(org.employee, org.bls, expires_on=date(2027, 1, 21))
    db.session.commit()
    document = _document(org, renews=valid, holder_name="Marcus Webb", issue_date="2020-05-02",
                         expiry_date="2022-05-02")
    form = _form(document, override=["holder_mismatch", "expired"], record_as="history")
    with pytest.raises(Invalid) as no_reason:
        review.confirm(document, org.reviewer_user, form, document.version)
    assert set(no_reason.value.errors) == {"override_reason"}
    old = review.confirm(document, org.reviewer_user, {**form, "override_reason": "Card from before she married"},
                         document.version)
    db.session.refresh(valid)
    assert valid.state == "active"
    assert old.state == "superseded" and old.superseded_by_id == valid.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.confirmed"))
    assert event.after["recorded_as"] == "history"
    assert event.after["override_reason"] == "Card from before she married"
    assert {c["code"]: c["overridden"] for c in event.after["checks"]} == {
        "holder_mismatch": True, "expired": True, "older_than_current": False}


def test_an_override_is_only_for_the_check_it_names(app, org, frozen):
    document = _document(org, holder_name="Marcus Webb")
    with pytest.raises(Invalid) as stopped:
        review.confirm(document, org.reviewer_user, _form(document, override=["expired"], override_reason="Looked"),
                       document.version)
    assert set(stopped.value.errors) == {"holder_name"}


def test_a_nickname_is_shown_as_probable_and_does_not_stop(app, org, frozen):
    document = _document(org, holder_name="EMPLOYEE, Erin")
    assert codes(checks.evaluate(review.proposed_values(document), document)) == set()
    org.employee.first_name = "Katherine"
    document = _document(org, holder_name="Kate Employee")
    outcome = checks.evaluate(review.proposed_values(document), document)
    assert [(c.code, c.severity) for c in outcome.checks] == [("holder_probable", "notice")]
    assert review.confirm(document, org.reviewer_user, _form(document), document.version).state == "active"


def test_a_former_name_recorded_on_the_person_matches(app, org, frozen):
    org.employee.former_names = ["Erin Castillo"]
    document = _document(org, holder_name="Erin Castillo")
    outcome = checks.evaluate(review.proposed_values(document), document)
    assert [c.code for c in outcome.checks] == ["holder_former"]


def test_the_same_number_on_another_person_and_a_foreign_pattern_stop(app, org, frozen):
    org.bls.issuer.license_number_patterns = [r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"]
    factories.credential(org.outsider, org.bls, license_number="2B7Q-44KD-91XZ", expires_on=date(2027, 1, 1))
    document = _document(org)
    assert codes(checks.evaluate(review.proposed_values(document), document)) == {"number_elsewhere"}
    outcome = checks.evaluate({**review.proposed_values(document), "license_number": "12345"}, document)
    assert codes(outcome) == {"number_pattern"}


@pytest.mark.parametrize("issued, expires, code, severity", [
    (date(2026, 7, 1), date(2028, 7, 1), "issued_in_future", "error"),
    (date(2025, 3, 1), date(2024, 3, 1), "issued_after_expiry", "error"),
    (date(2025, 3, 1), date(2035, 3, 1), "expiry_beyond_validity", "stop"),
    (date(2023, 3, 1), date(2025, 3, 1), "expired", "stop"),
])
def test_dates_that_cannot_be(issued, expires, code, severity):
    facts = Facts(today=TODAY, issue_date=issued, expiry_date=expires, validity_months=24, type_name="BLS Provider")
    found = {c.code: c.severity for c in confirmation.evaluate(facts).checks}
    assert found.get(code) == severity


def test_a_record_kept_as_history_is_no_news_for_being_expired():
    facts = Facts(today=TODAY, issue_date=date(2023, 3, 1), expiry_date=date(2025, 3, 1), validity_months=24)
    assert "expired" in codes(confirmation.evaluate(facts))
    assert "expired" not in codes(confirmation.evaluate(replace(facts, kept_as_history=True)))


def test_a_renewal_that_expires_later_replaces_without_a_word():
    facts = Facts(today=TODAY, issue_date=date(2026, 5, 1), expiry_date=date(2028, 5, 1), validity_months=24,
                  replaces=[Replaced("BLS Provider valid to 21 January 2027", date(2027, 1, 21))])
    assert confirmation.evaluate(facts).checks == []


def test_an_import_row_gets_the_checks_that_apply_as_warnings(app, org, frozen):
    import io

    from portal.services import imports

    org.bls.issuer.license_number_patterns = [r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"]
    db.session.commit()
    csv = ("Staff ID,Certification,License number,Issue date,Expiry date\n"
           f"{org.employee.employee_id},AHA-BLS,12345,2025-03-01,2035-03-01\n")
    upload = imports.save_upload(io.BytesIO(csv.encode()), "c.csv", "credentials", org.admin_user)
    mapping = imports.suggest_mapping("credentials", upload.table().headers)
    [row] = imports.preview(upload, mapping).rows
    assert any("does not look like a number" in w for w in row.warnings)
    assert any("further out than a BLS Provider lasts" in w for w in row.warnings)


def test_an_ambiguous_date_kept_as_read_needs_a_tick_but_no_reason(app, org, frozen):
    document = _document(org, issue_date="2025-09-03", expiry_date="2027-09-02", date_order="MDY",
                         date_order_reason="Nothing on the page settles the order; month first is a guess.",
                         ambiguous=["expiry_date"])
    document.latest_extraction.evidence = {"expiry_date": {"page": 1, "bbox": [0, 0, 1, 1], "text": "09/02/2027"}}
    db.session.commit()
    with pytest.raises(Invalid) as stopped:
        review.confirm(document, org.reviewer_user, _form(document), document.version)
    assert stopped.value.errors == {"expiry_date": "“09/02/2027” could be 2 September 2027 or 9 February 2027: "
                                    "only the country's usual order decided. Look at the document and tick "
                                    "when the date is right."}
    credential = review.confirm(document, org.reviewer_user, _form(document, override=["ambiguous_expiry_date"]),
                                document.version)
    assert credential.expires_on == date(2027, 9, 2)


def test_a_corrected_ambiguous_date_has_been_looked_at(app, org, frozen):
    document = _document(org, expiry_date="2027-09-02", ambiguous=["expiry_date"])
    credential = review.confirm(document, org.reviewer_user, _form(document, expiry_date="2027-02-09"),
                                document.version)
    assert credential.expires_on == date(2027, 2, 9)


def test_the_employee_hears_what_was_recorded_with_dates_spelled_out(app, org, frozen):
    from portal.models import Notification

    document = _document(org)
    review.confirm(document, org.reviewer_user, _form(document), document.version)
    [sent] = db.session.scalars(select(Notification).where(Notification.step == "confirmed")).all()
    assert sent.recipient_email == org.employee.email and sent.kind == "review"
    assert sent.context["message"] == ("HR confirmed “certificate.pdf” and recorded: BLS Provider, number "
                                       "2B7Q-44KD-91XZ, issued 1 March 2025, valid until 1 March 2027.")


def test_email_links_follow_the_port_the_portal_runs_on(monkeypatch, tmp_path):
    from portal.config import defaults

    monkeypatch.setenv("PORT", "5101")
    assert defaults(str(tmp_path))["PUBLIC_BASE_URL"] == "http://localhost:5101"
    monkeypatch.delenv("PORT")
    assert defaults(str(tmp_path))["PUBLIC_BASE_URL"] == "http://localhost:5000"


def test_the_job_consumer_links_to_the_portals_port_not_its_own(monkeypatch, tmp_path):
    """Under `make run` honcho hands the worker PORT=web's + 100; it renders most emails."""
    from portal.config import defaults

    monkeypatch.setenv("PORT", "5201")
    monkeypatch.setenv("PORTAL_PORT", "5101")
    assert defaults(str(tmp_path))["PUBLIC_BASE_URL"] == "http://localhost:5101"
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "PORTAL_PORT=$${PORT:-5000} $(BIN)/honcho start" in makefile


@pytest.mark.parametrize("where", ["/review/{id}", "/review?state=failed"], ids=["review page", "queue list"])
def test_a_reviewer_reads_a_sentence_not_the_parser_error(app, org, login, where):
    document = factories.document(org.employee, state="failed", last_error_code="unreadable",
                                  last_error="PDFium: Data format error")
    db.session.commit()
    page = login(org.reviewer_user).get(where.format(id=document.id)).get_data(as_text=True)
    assert "The file is damaged or truncated and cannot be read." in page and "PDFium" not in page


def test_demo_certificates_are_written_for_the_walk_through(app, runner):
    result = runner.invoke(args=["demo", "certificates"])
    assert result.exit_code == 0, result.output
    names = sorted(line.rsplit("/", 1)[-1] for line in result.output.split())
    assert names == ["acls-expired-other-person.png", "acls-renewal-sam-rivera.pdf",
                     "confined-space-unknown-type.pdf", "ils-uk-numeric-dates.pdf"]


def test_emptying_the_name_does_not_clear_the_holder_check(app, org, frozen):
    document = _document(org, holder_name="Marcus Webb")
    with pytest.raises(Invalid) as stopped:
        review.confirm(document, org.reviewer_user, _form(document, holder_name=""), document.version)
    assert "Marcus Webb, not Erin Employee" in stopped.value.errors["holder_name"]
    assert db.session.scalar(select(Credential)) is None
