"""Board lookups against a small fake board service on loopback (a real HTTP server)."""
from __future__ import annotations

import time

import pytest

from portal.extensions import db
from sqlalchemy import select

from portal.models import AuditEvent, Credential, Verification, VerificationState
from portal.services import verification
from portal.services.verification import runs
from tests.support import factories


@pytest.fixture
def board(app, fake_source):
    app.config["VERIFICATION_LOOKUPS"] = {"Test Board": {
        "url": fake_source.base + "/licenses/{number}?last={last_name}", "types": ["OH-RN"], "timeout": 0.5,
        "retries": 1, "per_minute": 0}}
    return fake_source


@pytest.fixture
def rn(org):
    type_ = factories.credential_type("Registered Nurse", code="OH-RN")
    credential = factories.credential(org.employee, type_, license_number="RN 1234")
    db.session.commit()
    return credential


def test_a_board_that_reports_good_standing_verifies(board, rn):
    board.serve("/licenses/RN%201234", {"status": "Active", "name": "Erin Employee", "expires_on": "2027-01-31"})
    result = verification.verify(rn)
    assert (result.outcome, result.source) == ("verified", "Test Board")
    assert "/licenses/RN%201234?last=Employee" in board.calls


def test_a_board_that_reports_discipline_fails(board, rn):
    board.serve("/licenses/RN%201234", {"status": "Active", "discipline": "Probation"})
    assert verification.verify(rn).outcome == "failed"


def test_an_unknown_number_fails(board, rn):
    assert verification.verify(rn).outcome == "failed"


def test_a_board_that_times_out_leaves_the_standing_and_retries_later(board, rn):
    board.serve("/licenses/RN%201234", {"status": "Active"})
    verification.verify(rn)
    board.delay = 1.0  # longer than the source's timeout
    state = db.session.get(VerificationState, rn.id)
    state.next_due = state.checked_at.date()
    db.session.commit()
    started = time.monotonic()

    assert runs.reverify(rn.id) == "source down"

    assert time.monotonic() - started < 5  # timeouts bound the wait: the queue keeps moving
    assert db.session.get(VerificationState, rn.id).outcome == "verified"
    assert db.session.query(Verification).count() == 1
    assert len([c for c in board.calls if c.startswith("/licenses")]) == 3  # the check, then two tries
    inconclusive = _inconclusive(rn)
    assert [(e.actor_label, e.before, e.after["verification"]) for e in inconclusive] == [
        ("system", {"verification": "verified"}, "verified")]
    assert "Test Board" in inconclusive[0].after["reason"] and inconclusive[0].after["retry_at"]


def _inconclusive(credential):
    return db.session.query(AuditEvent).filter_by(action="credential.verification_inconclusive",
                                                  entity_id=str(credential.id)).all()


def _make_due(credential):
    state = db.session.get(VerificationState, credential.id)
    state.next_due = state.checked_at.date()
    db.session.commit()


def test_a_failed_standing_stays_failed_and_a_first_check_stays_unchecked_when_the_board_is_down(board, rn, org,
                                                                                                 login):
    """Inconclusive is neither good nor bad news: no standing moves, each attempt is on the audit trail."""
    from jobs.verification import reverify_credential

    board.serve("/licenses/RN%201234", {"status": "Active", "discipline": "Probation"})
    verification.verify(rn)
    _make_due(rn)
    never_checked = factories.credential(org.manager, rn.credential_type, license_number="RN 9")
    db.session.commit()
    board.serve("/licenses/RN%201234", b"", status=503)
    board.serve("/licenses/RN%209", b"", status=503)

    assert reverify_credential.call_local(rn.id) == "source down"
    # The manager's credential, checked from its page: it has no standing yet.
    page = login(org.compliance_user).post(f"/credentials/{never_checked.id}/verify", follow_redirects=True)

    assert "the standing is unchanged" in page.get_data(as_text=True)
    assert db.session.get(VerificationState, rn.id).outcome == "failed"
    assert verification.standing(never_checked).status == "not_checked"
    assert db.session.get(VerificationState, never_checked.id).outcome is None
    assert [e.after["verification"] for e in _inconclusive(rn)] == ["failed"]
    [from_page] = _inconclusive(never_checked)
    assert (from_page.actor_label, from_page.after["verification"]) == (org.compliance_user.email, None)
    assert "HTTP 503" in from_page.after["reason"]


def test_a_board_that_refuses_the_lookup_is_inconclusive_and_audited(board, rn):
    board.serve("/licenses/RN%201234", {"status": "Active"})
    verification.verify(rn)
    board.serve("/licenses/RN%201234", {"error": "forbidden"}, status=403)
    _make_due(rn)

    assert runs.reverify(rn.id) == "checked"

    assert db.session.get(VerificationState, rn.id).outcome == "verified"
    assert [v.outcome for v in db.session.query(Verification).order_by(Verification.id)] == ["verified",
                                                                                               "unverifiable"]
    [event] = _inconclusive(rn)
    assert event.after["verification"] == "verified" and "HTTP 403" in event.after["detail"]


def test_no_lookup_is_enabled_by_default(app, rn, fake_source):
    app.config.pop("VERIFICATION_LOOKUPS", None)
    assert verification.verify(rn).method != "lookup"
    assert fake_source.calls == []


def test_a_first_check_that_met_a_board_down_is_asked_again_after_the_retry_time_not_every_hour(board, rn, org):
    """A never-checked credential with a document is due at once; its board is down: the hourly job
    must not ask the board (and write an audit row) again each hour until RETRY_AFTER has passed."""
    from datetime import timedelta

    from portal.models import utcnow

    document = factories.document(org.employee, state="confirmed", credential_id=rn.id)
    db.session.flush()
    rn.source_document_id = document.id
    db.session.commit()
    board.serve("/licenses/RN%201234", b"", status=503)
    now = utcnow()
    assert runs.due_ids(now=now) == [rn.id]
    assert runs.reverify(rn.id, now=now) == "source down"

    for hours in (1, 2, 5):  # the hourly runs while the board is down
        assert runs.due_ids(now=now + timedelta(hours=hours)) == []
    assert len(_inconclusive(rn)) == 1
    assert verification.standing(rn).status == "not_checked"
    not_checked = verification.status_clause("not_checked")
    assert db.session.scalar(select(Credential.id).where(Credential.id == rn.id, not_checked)) == rn.id

    later = now + runs.RETRY_AFTER + timedelta(minutes=1)
    assert runs.due_ids(now=later) == [rn.id]
    board.serve("/licenses/RN%201234", {"status": "Active"})
    assert runs.reverify(rn.id, now=later) == "checked"
    state = db.session.get(VerificationState, rn.id)
    assert (state.outcome, state.retry_at) == ("verified", None)
    assert verification.standing(rn).status == "verified"
    assert db.session.scalar(select(Credential.id).where(Credential.id == rn.id, not_checked)) is None
