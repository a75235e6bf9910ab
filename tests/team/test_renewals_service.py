"""The renew-now list cut to its first places is exactly the head of the
whole ranked list, ties at the cut included, with the same total."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import CeActivity, Notification, today
from portal.services import compliance_rollup, recommendations
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


@pytest.fixture
def organisation(org, renewals_team):
    """The renewals team with a document waiting for review, someone in
    another department, and a licence whose renewal takes longer than its
    warning window (compliant, yet already too late to renew in time), seen
    as the whole organisation."""
    people = db.session.scalars(team_service.resolve_scope(org.manager_user).person_ids).all()
    factories.document(db.session.get(factories.Person, people[2]), credential_type_id=org.bls.id)
    licence = factories.credential_type("Radiation licence", code="RAD", renewal_lead_days=150)
    factories.requirement(licence, job_role_=org.role)
    for i, person_id in enumerate(people[:12]):
        factories.credential(db.session.get(factories.Person, person_id), licence,
                             expires_on=today() + timedelta(days=100 + 15 * i))
    elsewhere = factories.person("Theatre", "T1", department=factories.department("Theatres"), job_role=org.role)
    factories.credential(elsewhere, org.bls, expires_on=today() + timedelta(days=12))
    db.session.commit()
    scope = team_service.resolve_scope(org.compliance_user)
    assert scope.whole_org
    return scope.person_ids


@pytest.mark.parametrize("days", (0, 25, 120))
@pytest.mark.parametrize("limit", [1, 3, 7, 20])
def test_the_organisation_list_read_by_lapse_day_is_the_head_of_the_whole_list(organisation, days, limit):
    on = today() + timedelta(days=days)
    compliance_rollup.rebuild(on)
    whole = recommendations.renew_now(organisation, on=on)
    assert whole.total > 20
    # The organisation's own pass is taken, not the slim pass over every candidate.
    assert recommendations._organisation_shortlist(on, limit, recommendations.renewal_slack()) is not None
    cut = recommendations.renew_now(organisation, on=on, limit=limit, whole_org=True)
    assert cut.total == whole.total
    assert [_key(r) for r in cut.rows] == [_key(r) for r in whole.rows[:limit]]


def test_the_organisation_list_on_a_day_the_roll_up_was_not_judged_on_reads_every_candidate(organisation):
    on = today() + timedelta(days=25)
    compliance_rollup.rebuild(on - timedelta(days=1))
    assert recommendations._organisation_shortlist(on, 3, recommendations.renewal_slack()) is None
    whole = recommendations.renew_now(organisation, on=on)
    cut = recommendations.renew_now(organisation, on=on, limit=3, whole_org=True)
    assert (cut.total, [_key(r) for r in cut.rows]) == (whole.total, [_key(r) for r in whole.rows[:3]])
