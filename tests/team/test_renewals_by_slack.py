"""The organisation's renew-now list read type by type in lapse-day pages
(``recommendations._first_by_slack``) is exactly the head of the whole
ranked list, with the same total, over many types with different renewal
leads, CE hours, first reminders and ties; after CE hours are logged and a
policy changes too. Every test runs on fixed days (20 May 2026 and later),
never the calendar's."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from portal.extensions import db
from portal.models import CeActivity, ComplianceTally, Credential, ReminderPolicy
from portal.services import compliance_rollup, recommendations, setup
from portal.services import team as team_service
from tests.support import factories

DAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def on_a_fixed_day():
    with time_machine.travel(datetime(2026, 5, 20, 12, tzinfo=timezone.utc), tick=False):
        yield


@pytest.fixture
def many_types(org):
    """Sixty people each holding (or missing) nine required types: leads of
    0 to 120 days, 0, 10 or 20 CE hours, a type whose first reminder is 10
    days out and one whose is 200, expiries a year either side of today
    (many on the same days), CE logged against some, documents pending."""
    rng = random.Random(15)
    types = [factories.credential_type(f"Type {i}", code=f"TY{i}", ce_hours=10.0 * (i % 3) or None,
                                       renewal_lead_days=(0, 20, 45, 120)[i % 4]) for i in range(9)]
    for credential_type in types:
        factories.requirement(credential_type, job_role_=org.role)
    db.session.flush()
    db.session.add(ReminderPolicy(credential_type_id=types[1].id, offsets=[10, 0]))
    db.session.add(ReminderPolicy(credential_type_id=types[2].id, offsets=[200, 30], renewal_lead_days=60))
    for i in range(60):
        person = factories.person("Staff", f"S{i:03d}", department=org.department, job_role=org.role)
        for credential_type in types:
            if rng.random() < 0.1:
                continue
            expires = DAY + timedelta(days=rng.choice((rng.randint(-300, 400), -200, 35, 60, 70)))
            credential = factories.credential(person, credential_type, expires_on=expires)
            if credential_type.ce_hours and rng.random() < 0.4:
                db.session.flush()
                db.session.add(CeActivity(credential_id=credential.id, title="Course", hours=rng.choice((2.0, 5.0, 20.0)),
                                          completed_on=DAY - timedelta(days=5)))
        if rng.random() < 0.1:
            factories.document(person, credential_type_id=rng.choice(types).id)
    db.session.commit()
    return types


def _key(row):
    r = row.recommendation
    return (r.person_id, r.credential_type_id, r.slack_days, r.reasons)


def _tallies():
    return {t.department_key: (t.as_of, t.tally) for t in db.session.scalars(db.select(ComplianceTally))}


def _compare(org, on, limits=(1, 5, 17, 60, 150), rebuild=True):
    """The cut lists equal the whole list's head (with the roll-ups rebuilt
    for ``on`` first, or as the session hook kept them, which must equal a
    rebuild)."""
    if rebuild:
        compliance_rollup.rebuild(on)
    else:
        kept = _tallies()
        compliance_rollup.rebuild(on)
        assert _tallies() == kept
    ids = team_service.resolve_scope(org.compliance_user).person_ids
    whole = recommendations.renew_now(ids, on=on)
    assert whole.total > max(limits)
    for limit in limits:
        assert recommendations._organisation_shortlist(on, limit, recommendations.renewal_slack()) is not None
        cut = recommendations.renew_now(ids, on=on, limit=limit, whole_org=True)
        assert cut.total == whole.total
        assert [_key(r) for r in cut.rows] == [_key(r) for r in whole.rows[:limit]]
    return whole


@pytest.mark.parametrize("days", (0, 40, 150))
def test_the_list_read_by_lapse_day_pages_is_the_head_of_the_whole_list(org, many_types, days, monkeypatch):
    rounds = []
    real = recommendations._needing
    monkeypatch.setattr(recommendations, "_needing", lambda *a: rounds.append(1) or real(*a))
    _compare(org, DAY + timedelta(days=days))
    # Some lists took more than one page of some types.
    assert len(rounds) > 2 * 5 + 5


def test_ce_hours_logged_and_a_policy_change_keep_the_lists_equal(org, many_types):
    """Through the session hook alone: the roll-ups' count of compliant rows
    too late to renew moves with CE hours logged and removed and with a
    policy change, as a rebuild counts them."""
    before = _compare(org, DAY)
    # Type 1 (a 20-day lead, 10 CE hours, first reminder 10 days out): its
    # compliant credentials 51 to 68 days from expiry are too late to renew
    # only while their CE hours are still to earn.
    held = [c for c in db.session.scalars(db.select(Credential).where(
        Credential.credential_type_id == many_types[1].id, ~Credential.ce_activities.any()))
        if 50 < (c.expires_on - DAY).days <= 68]
    assert len(held) >= 5
    # Logged as the CE page does, and added as any other code would (the hook).
    logged = [setup.log_ce_activity(credential, {"title": "Late course", "hours": "10", "completed_on": "2026-05-19"},
                                    on=DAY) for credential in held[:3]]
    added = [CeActivity(credential_id=credential.id, title="Course", hours=12.0, completed_on=DAY) for credential in held[3:]]
    db.session.add_all(added)
    db.session.commit()
    after_ce = _compare(org, DAY, rebuild=False)
    assert after_ce.total != before.total
    for activity in logged[:2]:
        setup.delete_ce_activity(activity)
    for activity in added[:2]:
        db.session.delete(activity)
    db.session.commit()
    assert _compare(org, DAY, rebuild=False).total not in (before.total, after_ce.total)
    policy = db.session.scalars(db.select(ReminderPolicy).where(ReminderPolicy.credential_type_id == many_types[1].id)).one()
    policy.offsets, policy.renewal_lead_days = [120, 0], 90
    db.session.commit()
    assert _compare(org, DAY, rebuild=False).total != after_ce.total
    many_types[0].renewal_lead_days = 75
    db.session.commit()
    _compare(org, DAY, rebuild=False)


@pytest.fixture
def more_types_than_one_statement_takes(org):
    """520 required types, more than SQLite's 500 terms of one compound
    SELECT: twelve people each hold a credential of every type, expiring
    from 300 days ago to 400 days ahead."""
    rng = random.Random(42)
    types = [factories.credential_type(f"Wide {i}", code=f"W{i}", renewal_lead_days=(0, 30)[i % 2])
             for i in range(520)]
    for credential_type in types:
        factories.requirement(credential_type, job_role_=org.role)
    for i in range(12):
        person = factories.person("Wide", f"W{i:03d}", department=org.department, job_role=org.role)
        for credential_type in types:
            factories.credential(person, credential_type, expires_on=DAY + timedelta(days=rng.randint(-300, 400)))
    db.session.commit()
    return types


def test_an_organisation_with_more_types_than_one_statement_takes(org, more_types_than_one_statement_takes):
    assert len(more_types_than_one_statement_takes) > recommendations.PAGES_PER_STATEMENT
    _compare(org, DAY, limits=(1, 25, 700))
