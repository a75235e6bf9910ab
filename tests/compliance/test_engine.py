"""The compliance engine's states and edges, as a table."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.policies.compliance import (
    Held,
    Need,
    Policy,
    Status,
    Stint,
    credential_status,
    evaluate,
    needs_on,
    record_status,
    summarise,
)
from portal.policies.dates import add_months, predicted_expiry

TODAY = date(2026, 11, 29)
POLICY = Policy(offsets=(90, 60, 30, 14, 7, 0), grace_days=30)


def d(days: int) -> date:
    return TODAY + timedelta(days=days)


@pytest.mark.parametrize(
    "expires_on, warn, grace, expected",
    [
        (None, 90, 30, Status.COMPLIANT),  # never expires
        (d(200), 90, 30, Status.COMPLIANT),
        (d(91), 90, 30, Status.COMPLIANT),
        (d(90), 90, 30, Status.EXPIRING),  # first reminder day
        (d(1), 90, 30, Status.EXPIRING),
        (d(0), 90, 30, Status.EXPIRING),  # valid through its expiry date
        (d(-1), 90, 30, Status.IN_GRACE),  # first day lapsed
        (d(-30), 90, 30, Status.IN_GRACE),  # last day of grace
        (d(-31), 90, 30, Status.EXPIRED),
        (d(-1), 90, 0, Status.EXPIRED),  # no grace at all
        (d(45), 30, 30, Status.COMPLIANT),  # outside a narrower window
    ],
)
def test_credential_status(expires_on, warn, grace, expected):
    assert credential_status(expires_on, TODAY, warn, grace) is expected


def _evaluate(held=(), pending=(), needs=None, policy=POLICY, on=TODAY):
    needs = needs if needs is not None else [Need(1, ("role", 10))]
    return evaluate(needs, held, pending, lambda _t: policy, on)


def test_missing_when_nothing_held():
    [state] = _evaluate()
    assert state.status is Status.MISSING and state.credential_id is None and not state.valid_today


def test_pending_review_replaces_missing_and_lapsed_but_not_compliant():
    [missing] = _evaluate(pending={1})
    assert missing.status is Status.PENDING_REVIEW
    [expired] = _evaluate(held=[Held(5, 1, d(-100))], pending={1})
    assert expired.status is Status.PENDING_REVIEW and not expired.valid_today
    [fine] = _evaluate(held=[Held(5, 1, d(300))], pending={1})
    assert fine.status is Status.COMPLIANT


def test_expiring_with_pending_renewal_is_still_valid_today():
    [state] = _evaluate(held=[Held(5, 1, d(10))], pending={1})
    assert state.status is Status.PENDING_REVIEW and state.valid_today


def test_best_of_several_records_wins():
    [state] = _evaluate(held=[Held(5, 1, d(-100)), Held(6, 1, d(400))])
    assert state.credential_id == 6 and state.status is Status.COMPLIANT


def test_non_expiring_beats_any_date():
    [state] = _evaluate(held=[Held(5, 1, d(400)), Held(6, 1, None)])
    assert state.credential_id == 6 and state.days_left is None


def test_requirement_lead_time_widens_the_window():
    policy = Policy(offsets=(30, 0), grace_days=0)
    needs = [Need(1, ("role", 10)), Need(1, ("project", 7), lead_days=120)]
    [state] = _evaluate(held=[Held(5, 1, d(100))], needs=needs, policy=policy)
    assert state.status is Status.EXPIRING
    assert state.sources == (("project", 7), ("role", 10))
    [plain] = _evaluate(held=[Held(5, 1, d(100))], needs=needs[:1], policy=policy)
    assert plain.status is Status.COMPLIANT


def test_other_types_do_not_satisfy():
    [state] = _evaluate(held=[Held(5, 2, d(400))])
    assert state.status is Status.MISSING


def test_states_sorted_worst_first():
    needs = [Need(1, ("role", 1)), Need(2, ("role", 1)), Need(3, ("role", 1))]
    states = _evaluate(held=[Held(5, 1, d(300)), Held(6, 3, d(-200))], needs=needs)
    assert [s.status for s in states] == [Status.EXPIRED, Status.MISSING, Status.COMPLIANT]


def test_project_needs_apply_only_while_assigned():
    project_needs = {7: [Need(2, ("project", 7))]}
    stints = [Stint(7, d(10), d(100))]
    assert [n.credential_type_id for n in needs_on([], stints, project_needs, TODAY)] == []
    assert [n.credential_type_id for n in needs_on([], stints, project_needs, d(10))] == [2]
    assert [n.credential_type_id for n in needs_on([], stints, project_needs, d(100))] == [2]
    assert needs_on([], stints, project_needs, d(101)) == []
    assert len(needs_on([], [Stint(7, d(-5), None)], project_needs, d(5000))) == 1


@pytest.mark.parametrize(
    "issued, months, expected",
    [
        (date(2024, 3, 1), 24, date(2026, 3, 1)),  # the anniversary, as issuers print "valid 2 years"
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # leap day: no 29 Feb next year
        (date(2023, 2, 28), 12, date(2024, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # no 31 February: the month's last day
        (date(2024, 1, 15), 36, date(2027, 1, 15)),
        (date(2024, 6, 15), None, None),
        (None, 24, None),
    ],
)
def test_predicted_expiry(issued, months, expected):
    assert predicted_expiry(issued, months) == expected


def test_add_months_clamps_to_month_end():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_leap_year_grace_counts_real_days():
    # Lapsed 28 Feb 2028 (leap year): the 30th day of grace is 30 March.
    expires = date(2028, 2, 28)
    assert credential_status(expires, date(2028, 3, 29), 90, 30) is Status.IN_GRACE
    assert credential_status(expires, date(2028, 3, 30), 90, 30) is Status.EXPIRED


@pytest.mark.parametrize(
    "record_state, expires_on, expected",
    [
        ("active", d(300), "valid"),
        ("active", d(20), "expiring"),
        ("active", d(-3), "in_grace"),
        ("active", d(-300), "expired"),
        ("active", None, "valid"),
        ("superseded", d(-300), "superseded"),
        ("revoked", d(300), "revoked"),
    ],
)
def test_record_status(record_state, expires_on, expected):
    assert record_status(record_state, expires_on, TODAY, POLICY) == expected


def test_summary_counts_and_percentages():
    states = {
        1: _evaluate(held=[Held(5, 1, d(300))]),
        2: _evaluate(held=[Held(6, 1, d(10))]),
        3: _evaluate(),
        4: _evaluate(held=[Held(7, 1, d(-300))]),
    }
    summary = summarise(states)
    assert summary.total == 4
    assert summary.count(Status.COMPLIANT) == 1 and summary.count("expiring") == 1
    assert summary.percent_compliant == 50.0
    assert summary.people == 4 and summary.people_compliant == 2
    assert summarise({}).percent_compliant == 100.0
