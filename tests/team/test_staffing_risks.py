"""The organisation's and departments' assignments at risk, kept with the
roll-ups (``StaffingRisk``), are exactly the engine's: the same rows in the
same order, the same count, whatever changed through the session hook, an
import, a rebuild from the snapshot or the calendar. Every test runs on
fixed days (10 March 2026, then later ones), never the calendar's."""
from __future__ import annotations

import io
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import Assignment, Credential, StaffingRisk, VerificationPolicy
from portal.services import compliance_rollup, imports
from portal.services import forecast as forecast_service
from portal.services import team as team_service
from portal.services.compliance_snapshot import refresh_everyone
from portal.services.verification.requirements import policy_changed
from tests.support import factories

DAY = date(2026, 3, 10)


def _at(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc), tick=False)


@pytest.fixture(autouse=True)
def on_a_fixed_day():
    with _at(DAY):
        yield


@pytest.fixture
def staffed(org):
    """Two projects (one inactive) needing a scrub certificate and ACLS, and
    people on them in two departments and none: a credential lapsing before
    the assignment ends, one missing, an open-ended assignment, one starting
    next month, one already over, one on the inactive project, one whose
    expiry is predicted from the type, an inactive person, and someone
    whose credentials last."""
    scrub = factories.credential_type("Scrub Practitioner", code="SCRUB", validity_months=24)
    acls = factories.credential_type("ACLS Provider", code="ACLS", validity_months=24)
    ward = factories.project(code="WARD", name="Ward cover")
    closed = factories.project(code="OLD", name="Closed contract", active=False)
    for needed in (scrub, acls):
        factories.requirement(needed, project=ward, lead_days=30)
    factories.requirement(scrub, project=closed)
    theatres = factories.department("Theatres")
    d = DAY

    def nurse(first, department):
        return factories.person(first, "Nurse", department=department, job_role=org.role)

    lapsing, missing, starter, over, lasting = (nurse(n, dept) for n, dept in (
        ("Lapsing", org.department), ("Missing", org.department), ("Starter", theatres), ("Over", theatres),
        ("Lasting", None)))
    predicted, gone = nurse("Predicted", theatres), nurse("Gone", org.department)
    factories.credential(lapsing, scrub, expires_on=d + timedelta(days=40))
    factories.credential(lapsing, acls, expires_on=d + timedelta(days=400))
    factories.credential(missing, acls, expires_on=d + timedelta(days=200))
    factories.credential(starter, scrub, expires_on=d + timedelta(days=100))
    factories.credential(lasting, scrub, expires_on=d + timedelta(days=900))
    factories.credential(lasting, acls, expires_on=d + timedelta(days=900))
    factories.credential(predicted, scrub, expires_on=None, issued_on=d - timedelta(days=600))
    factories.assignment(ward, lapsing, starts_on=d - timedelta(days=10), ends_on=d + timedelta(days=90))
    factories.assignment(ward, missing, starts_on=d - timedelta(days=5))
    factories.assignment(ward, starter, starts_on=d + timedelta(days=35), ends_on=d + timedelta(days=300))
    factories.assignment(ward, over, starts_on=d - timedelta(days=60), ends_on=d - timedelta(days=1))
    factories.assignment(closed, over, starts_on=d - timedelta(days=60))
    factories.assignment(ward, lasting, starts_on=d - timedelta(days=1), ends_on=d + timedelta(days=200))
    factories.assignment(ward, predicted, starts_on=d, ends_on=d + timedelta(days=250))
    factories.assignment(ward, gone, starts_on=d)
    gone.active = False
    db.session.commit()
    refresh_everyone()
    db.session.commit()
    return type("Staffed", (), {"scrub": scrub, "acls": acls, "ward": ward, "closed": closed, "theatres": theatres,
                                "lapsing": lapsing, "missing": missing, "starter": starter, "over": over,
                                "lasting": lasting, "predicted": predicted, "gone": gone})


def _scopes(org, staffed):
    return [team_service.resolve_scope(org.compliance_user)] + [
        team_service.resolve_scope(org.compliance_user, department_id=d.id) for d in (org.department, staffed.theatres)]


def _listed(found):
    rows, total = found
    return [(asdict(r.risk), r.person_name, r.project_code, r.project_name, r.credential_type_name) for r in rows], total


def _stored_and_engine(scope, on, limit=None):
    """The risks as the roll-up holds them, and as the engine finds them
    from every staffed person's facts."""
    assert team_service.scope_tally(scope, on) is not None
    stored = _listed(forecast_service.assignments_at_risk(scope, on, limit=limit))
    horizon = compliance_rollup.forecast_horizon(on)
    staffing = forecast_service.load_staffing(scope, on, horizon)
    return stored, _listed(forecast_service.assignments_at_risk(scope, on, horizon, limit=limit, staffing=staffing))


def _stored_rows():
    return sorted(tuple(getattr(r, c) for c in ("person_id", "department_key", "assignment_id", "project_id",
                                                  "credential_type_id", "credential_id", "lapses_on", "ends_on"))
                  for r in db.session.scalars(select(StaffingRisk)))


def _check(org, staffed, on=None):
    """Every scope's risks from the roll-up equal the engine's (whole and
    cut to two), and the stored rows equal a rebuild from the snapshot."""
    on = on or DAY
    for scope in _scopes(org, staffed):
        for limit in (None, 2):
            stored, engine = _stored_and_engine(scope, on, limit)
            assert stored == engine
    kept = _stored_rows()
    compliance_rollup.rebuild(on)
    assert _stored_rows() == kept
    return kept


def _names(org, staffed, on=None):
    rows, _ = forecast_service.assignments_at_risk(team_service.resolve_scope(org.compliance_user), on or DAY)
    return [(r.person_name.split()[0], r.credential_type_name) for r in rows]


def test_the_roll_up_lists_the_engines_risks_most_urgent_first(org, staffed):
    _check(org, staffed)
    assert _names(org, staffed) == [
        # Missing credentials first (by person), then by lapse day.
        ("Missing", "Scrub Practitioner"),
        ("Starter", "ACLS Provider"),  # needed from next month, when the assignment starts
        ("Predicted", "ACLS Provider"),
        ("Lapsing", "Scrub Practitioner"),  # lapses on day 41, the assignment ends on day 90
        ("Starter", "Scrub Practitioner"),  # day 101, before day 300
        ("Predicted", "Scrub Practitioner"),  # expiry predicted from the type: issued 600 days ago, 24 months
        ("Missing", "ACLS Provider"),  # open-ended: judged up to the horizon (day 201)
    ]
    theatres = team_service.resolve_scope(org.compliance_user, department_id=staffed.theatres.id)
    rows, total = forecast_service.assignments_at_risk(theatres, DAY, limit=1)
    assert [r.person_name for r in rows] == ["Starter Nurse"] and total == 4


def test_commits_through_the_session_hook_keep_the_risks_equal_to_the_engine(org, staffed):
    before = _check(org, staffed)
    d = DAY
    # A lapsing credential renewed past the assignment's end.
    credential = db.session.scalars(select(Credential).where(Credential.person_id == staffed.lapsing.id,
                                                             Credential.credential_type_id == staffed.scrub.id)).one()
    credential.expires_on = d + timedelta(days=500)
    db.session.commit()
    assert _check(org, staffed) != before
    # The starter's only credential removed.
    db.session.delete(db.session.scalars(select(Credential).where(Credential.person_id == staffed.starter.id)).one())
    db.session.commit()
    _check(org, staffed)
    # Someone whose credentials last takes on a second, longer assignment;
    # the missing nurse's assignment gets an end; the lapsing nurse's is removed.
    factories.assignment(staffed.ward, staffed.lasting, starts_on=d + timedelta(days=20), ends_on=d + timedelta(days=340))
    missing = db.session.scalars(select(Assignment).where(Assignment.person_id == staffed.missing.id)).one()
    missing.ends_on = d + timedelta(days=20)
    db.session.commit()
    _check(org, staffed)
    db.session.delete(db.session.scalars(select(Assignment).where(Assignment.person_id == staffed.lapsing.id)).one())
    db.session.commit()
    _check(org, staffed)
    # People move department, leave, and come back.
    staffed.missing.department_id = staffed.theatres.id
    staffed.starter.active = False
    staffed.gone.active = True
    db.session.commit()
    _check(org, staffed)
    # A project closes, another opens; a project needs one more type.
    staffed.closed.active = True
    db.session.commit()
    _check(org, staffed)
    factories.requirement(org.bls, project=staffed.ward)
    db.session.commit()
    _check(org, staffed)
    staffed.ward.active = False
    db.session.commit()
    assert all(project_id != staffed.ward.id for _, _, _, project_id, *_ in _check(org, staffed))


def test_rule_changes_keep_the_risks_equal_to_the_engine(org, staffed):
    before = _check(org, staffed)
    # The predicted expiry moves with the type's validity.
    staffed.scrub.validity_months = 36
    db.session.commit()
    assert _check(org, staffed) != before
    # Unverified credentials stop counting once verification is required.
    credential = db.session.scalars(select(Credential).where(Credential.person_id == staffed.lasting.id,
                                                             Credential.credential_type_id == staffed.acls.id)).one()
    credential.verified = False
    db.session.add(VerificationPolicy(credential_type_id=staffed.acls.id, required=True))
    policy_changed(staffed.acls.id)
    db.session.commit()
    assert any(person_id == staffed.lasting.id for person_id, *_ in _check(org, staffed))


def _import(org, kind: str, text: str) -> None:
    upload = imports.save_upload(io.BytesIO(text.encode()), f"{kind}.csv", kind, org.admin_user)
    imports.apply(upload, imports.suggest_mapping(kind, upload.table().headers), org.admin_user)


def test_imports_keep_the_risks_equal_to_the_engine(org, staffed):
    before = _check(org, staffed)
    _import(org, "assignments", "Project,Employee id,Start,End\n"
                                f"WARD,{staffed.lasting.employee_id},2026-04-01,2027-01-31\n"
                                f"WARD,{org.employee.employee_id},2026-03-01,\n")
    after_assignments = _check(org, staffed)
    assert after_assignments != before
    _import(org, "credentials", "Staff ID,Certification,License number,Expiry date\n"
                                f"{org.employee.employee_id},SCRUB,S-1,2026-06-30\n"
                                f"{staffed.missing.employee_id},SCRUB,S-2,2028-01-31\n")
    assert _check(org, staffed) != after_assignments


@pytest.mark.parametrize("later", [date(2026, 3, 11), date(2026, 4, 1), date(2026, 6, 9)])
def test_on_a_later_day_the_risks_are_judged_again(org, staffed, later):
    """Until everyone is judged on the new day the roll-up is not read (the
    engine answers); after the nightly refresh it is, and equals the engine
    again, with the assignments that ended gone and the horizon moved."""
    with _at(later):
        scope = team_service.resolve_scope(org.compliance_user)
        assert team_service.scope_tally(scope, later) is None
        horizon = compliance_rollup.forecast_horizon(later)
        read = _listed(forecast_service.assignments_at_risk(scope, later))
        staffing = forecast_service.load_staffing(scope, later, horizon)
        assert read == _listed(forecast_service.assignments_at_risk(scope, later, horizon, staffing=staffing))
        # A change committed before the nightly refresh keeps the roll-up unread.
        factories.credential(staffed.missing, staffed.scrub, expires_on=later + timedelta(days=30))
        db.session.commit()
        assert team_service.scope_tally(scope, later) is None
        refresh_everyone()
        db.session.commit()
        _check(org, staffed, later)
        rebuilt_read = _listed(forecast_service.assignments_at_risk(scope, later))
    assert rebuilt_read != read
