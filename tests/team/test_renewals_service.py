"""The renew-now list cut to its first places is exactly the head of the
whole ranked list, ties at the cut included, with the same total."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import CeActivity, Notification, today
from portal.services import recommendations
from portal.services import team as team_service
from tests.support import factories


@pytest.fixture
def renewals_team(org, grow_team):
    """Expired, in-grace and expiring credentials with many equal expiries
    (ties in slack), a CE-hours type, an escalation and project needs."""
    people = grow_team(24)
    ceu = factories.credential_type("Pharmacy CE", code="PH-CE", ce_hours=20.0, validity_months=24)
    factories.requirement(ceu, job_role_=org.role)
    for i, person in enumerate(people):
        credential = factories.credential(person, ceu, expires_on=today() + timedelta(days=40 + i % 5))
        if i % 3 == 0:
            db.session.flush()
            db.session.add(CeActivity(credential_id=credential.id, title="Course",
                                      hours=5.0 * (i % 4), completed_on=today() - timedelta(days=10)))
    expiring = next(c for c in db.session.scalars(db.select(factories.Credential))
                    if c.person_id == people[1].id and c.credential_type_id == org.bls.id)
    db.session.add(Notification(unique_key=f"escalation:{expiring.id}:manager", kind="escalation", step="manager",
                                person_id=people[1].id, credential_id=expiring.id,
                                recipient_email="m@example.test"))
    db.session.commit()
    return team_service.resolve_scope(org.manager_user).person_ids


def _key(row):
    r = row.recommendation
    return (r.person_id, r.credential_type_id, r.slack_days, r.reasons)


@pytest.mark.parametrize("limit", [1, 3, 7, 10, 20, 1000])
def test_the_first_places_are_the_head_of_the_whole_list(renewals_team, limit):
    whole = recommendations.renew_now(renewals_team)
    assert whole.total == len(whole.rows) > 20
    cut = recommendations.renew_now(renewals_team, limit=limit)
    assert cut.total == whole.total
    assert [_key(r) for r in cut.rows] == [_key(r) for r in whole.rows[:limit]]


def test_ce_hours_and_escalation_reach_the_cut_list(renewals_team):
    rows = recommendations.renew_now(renewals_team, limit=200).rows
    reasons = [reason for row in rows for reason in row.recommendation.reasons]
    assert any("CE hours still to earn" in reason for reason in reasons)
    assert any(reason == "Escalated to manager" for reason in reasons)
