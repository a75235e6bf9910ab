"""Board lookups against a small fake board service on loopback (a real HTTP server)."""
from __future__ import annotations

import time

import pytest

from portal.extensions import db
from portal.models import Verification, VerificationState
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


def test_no_lookup_is_enabled_by_default(app, rn, fake_source):
    app.config.pop("VERIFICATION_LOOKUPS", None)
    assert verification.verify(rn).method != "lookup"
    assert fake_source.calls == []
