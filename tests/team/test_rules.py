"""Pure rules: forecast, assignment risks, renew-now ranking, learned validity."""
from __future__ import annotations

from datetime import date

import pytest

from portal.policies.compliance import Status, Stint
from portal.policies.forecast import StaffedStint, assignment_risks, evaluation_dates, forecast, month_starts
from portal.policies.recommendations import (
    RenewalFacts,
    learn_validity,
    rank,
    recommend,
    validity_months,
)

ON = date(2026, 1, 15)


def test_evaluation_dates_are_month_ends_including_leap_february():
    assert evaluation_dates(date(2028, 1, 31), 3) == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]
    assert month_starts(date(2026, 11, 15), 3) == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]


def test_forecast_months_from_counts():
    months = forecast(ON, {(2026, 1): 1, (2026, 3): 2, (2027, 1): 9}, required_on=[4, 4, 4, 4], people=4,
                      met_on=[3, 3, 2, 1], people_short_on=[1, 1, 2, 3])
    assert [m.month for m in months] == month_starts(ON, 4)
    assert [m.expiring for m in months] == [1, 0, 2, 0]
    assert [m.percent_compliant for m in months] == [75.0, 75.0, 50.0, 25.0]
    assert [m.people_compliant for m in months] == [3, 3, 2, 1]
    assert forecast(ON, {}, [0], 0, [0], [0])[0].percent_compliant == 100.0  # nothing required


def test_assignment_at_risk_when_credential_lapses_before_the_end():
    stints = [
        StaffedStint(100, 1, Stint(7, date(2026, 1, 1), date(2026, 6, 30))),  # lapses 1 May: at risk
        StaffedStint(101, 2, Stint(7, date(2026, 1, 1), date(2026, 6, 30))),  # lasts: fine
        StaffedStint(102, 3, Stint(7, date(2026, 1, 1), None)),  # open-ended, lapses inside horizon
        StaffedStint(103, 4, Stint(7, date(2026, 1, 1), date(2026, 3, 1))),  # missing
        StaffedStint(104, 5, Stint(7, date(2025, 1, 1), date(2025, 12, 31))),  # already over
    ]
    expiry_of = {
        (1, 50): (1, date(2026, 4, 30)),
        (2, 50): (2, date(2026, 6, 30)),  # valid through the last day
        (3, 50): (3, date(2026, 9, 1)),
        (5, 50): (5, date(2025, 1, 1)),
    }
    risks = assignment_risks(stints, {7: [50]}, expiry_of, ON, date(2026, 12, 31))
    by_assignment = {r.assignment_id: r for r in risks}
    assert set(by_assignment) == {100, 102, 103}
    assert by_assignment[100].lapses_on == date(2026, 5, 1)
    assert by_assignment[103].missing and by_assignment[103].lapses_on is None
    assert risks[0].assignment_id == 103  # missing ones first



def _req(days_left, status, credential_id=1, type_id=1, predicted=False):
    from portal.policies.compliance import RequirementState

    return RequirementState(
        credential_type_id=type_id, status=status, credential_id=credential_id,
        expires_on=None if days_left is None else date.fromordinal(ON.toordinal() + days_left),
        expiry_predicted=predicted, days_left=days_left, valid_today=days_left is None or days_left >= 0,
    )


@pytest.mark.parametrize("days_left, status, lead, ce_required, ce_logged, recommended, slack", [
    (200, Status.COMPLIANT, 0, None, 0, False, None),  # plenty of time
    (50, Status.COMPLIANT, 45, None, 0, True, 5),  # renewal takes longer than the slack threshold
    (100, Status.COMPLIANT, 14, 60, 0, True, 100 - 14 - 105),  # 60 CE hours take ~15 weeks
    (100, Status.COMPLIANT, 14, 60, 60, False, None),  # CE done: no rush
    (20, Status.EXPIRING, 0, None, 0, True, 20),
    (-3, Status.IN_GRACE, 30, None, 0, True, -33),
    (None, Status.COMPLIANT, 0, None, 0, False, None),  # never expires
])
def test_recommend_slack_and_threshold(days_left, status, lead, ce_required, ce_logged, recommended, slack):
    rec = recommend(9, _req(days_left, status), RenewalFacts(renewal_lead_days=lead, ce_hours_required=ce_required,
                                                            ce_hours_logged=ce_logged))
    assert (rec is not None) is recommended
    if rec is not None:
        assert rec.slack_days == slack


def test_missing_and_pending_are_not_renewals():
    assert recommend(1, _req(None, Status.MISSING, credential_id=None), RenewalFacts()) is None
    assert recommend(1, _req(-5, Status.PENDING_REVIEW), RenewalFacts()) is None


def test_reasons_name_lead_ce_projects_escalation_and_prediction():
    rec = recommend(1, _req(10, Status.EXPIRING, predicted=True), RenewalFacts(
        renewal_lead_days=45, ce_hours_required=30, ce_hours_logged=12.5,
        projects=("St. Mary's ICU",), escalation_steps=("manager", "manager", "hr"),
        renewal_url="https://issuer.example/renew"))
    text = " | ".join(rec.reasons)
    assert "10 days left" in text
    assert "45 days at the issuer: already too late" in text
    assert "17.5 CE hours still to earn" in text
    assert "Needed for St. Mary's ICU" in text
    assert "Escalated to manager, hr" in text
    assert "predicted" in text
    assert rec.escalated and rec.renewal_url == "https://issuer.example/renew"


def test_rank_least_slack_first_then_escalated_then_projects():
    a = recommend(1, _req(20, Status.EXPIRING, type_id=1), RenewalFacts())
    b = recommend(2, _req(20, Status.EXPIRING, type_id=2), RenewalFacts(escalation_steps=("hr",)))
    c = recommend(3, _req(5, Status.EXPIRING, type_id=3), RenewalFacts())
    d = recommend(4, _req(20, Status.EXPIRING, type_id=4), RenewalFacts(projects=("X", "Y")))
    assert [r.person_id for r in rank([a, b, c, d])] == [3, 2, 4, 1]


@pytest.mark.parametrize("issued, expires, months", [
    (date(2024, 3, 1), date(2026, 2, 28), 24),  # day before the anniversary
    (date(2024, 2, 29), date(2025, 2, 28), 12),  # leap day issue
    (date(2023, 3, 1), date(2024, 2, 29), 12),  # ends on a leap day
    (date(2024, 1, 15), date(2025, 1, 15), 12),  # printed on the anniversary itself
    (date(2024, 1, 31), date(2027, 1, 30), 36),
    (date(2024, 1, 1), date(2023, 1, 1), None),  # nonsense
])
def test_validity_months(issued, expires, months):
    assert validity_months(issued, expires) == months


def test_learned_validity_needs_enough_agreeing_records():
    twelve = [(date(2024, m, 1), date(2025, m, 1).replace(day=1) - (date(2025, 1, 2) - date(2025, 1, 1)))
              for m in range(1, 6)]
    suggestion = learn_validity(twelve)
    assert suggestion is not None and suggestion.months == 12 and suggestion.records == 5
    assert learn_validity(twelve[:2]) is None  # too few
    scattered = [(date(2024, 1, 1), date(2024, 12, 31)), (date(2024, 1, 1), date(2025, 12, 31)),
                 (date(2024, 1, 1), date(2026, 12, 31))]
    assert learn_validity(scattered) is None  # no majority
