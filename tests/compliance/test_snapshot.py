"""The stored snapshot agrees with the engine and follows every change at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import ReminderPolicy, RequirementSnapshot, today
from portal.services import compliance
from portal.services.compliance_snapshot import status_expression, valid_expression
from tests.support import factories

RS = RequirementSnapshot


def _stored(person, on=None):
    on = on or today()
    rows = db.session.execute(
        select(RS.credential_type_id, status_expression(on), valid_expression(on)).where(RS.person_id == person.id)
    ).all()
    return {type_id: (status, bool(valid)) for type_id, status, valid in rows}


def _engine(person, on=None):
    return {s.credential_type_id: (str(s.status), s.valid_today)
            for s in compliance.person_states(person.id, on or today())}


@pytest.mark.parametrize("expires_in", [None, 400, 91, 90, 30, 0, -1, -30, -31, -400])
@pytest.mark.parametrize("pending", [False, True])
def test_sql_state_agrees_with_engine(org, expires_in, pending):
    if expires_in is None:
        org.bls.validity_months = None
        factories.credential(org.employee, org.bls, expires_on=None)
    else:
        factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=expires_in))
    if pending:
        factories.document(org.employee, credential_type_id=org.bls.id)
    db.session.commit()
    assert _stored(org.employee) == _engine(org.employee)


def test_stored_timeline_answers_for_future_days(org):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=45))
    db.session.commit()
    for days in (0, 44, 45, 46, 75, 76, 200):
        on = today() + timedelta(days=days)
        assert _stored(org.employee, on)[org.bls.id][0] == _engine(org.employee, on)[org.bls.id][0], days


def test_new_credential_is_reflected_at_commit(org):
    assert _stored(org.employee)[org.bls.id][0] == "missing"
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=400))
    db.session.commit()
    assert _stored(org.employee)[org.bls.id][0] == "compliant"


def test_new_role_requirement_reaches_everyone_in_the_role(org):
    acls = factories.credential_type("ACLS Provider")
    db.session.commit()
    assert acls.id not in _stored(org.employee)
    factories.requirement(acls, job_role_=org.role)
    db.session.commit()
    assert _stored(org.employee)[acls.id][0] == "missing"
    assert _stored(org.manager)[acls.id][0] == "missing"


def test_policy_change_moves_the_warning_window(org):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=100))
    factories.default_policy(offsets=[60, 30], grace_days=0)
    db.session.commit()
    assert _stored(org.employee)[org.bls.id][0] == "compliant"
    db.session.add(ReminderPolicy(credential_type_id=org.bls.id, offsets=[120], grace_days=0))
    db.session.commit()
    assert _stored(org.employee)[org.bls.id][0] == "expiring"


def test_assignment_adds_project_requirements(org):
    acls = factories.credential_type("ACLS Provider")
    project = factories.project()
    factories.requirement(acls, project=project)
    db.session.commit()
    factories.assignment(project, org.employee, starts_on=today() - timedelta(days=1))
    db.session.commit()
    assert _stored(org.employee)[acls.id][0] == "missing"


def test_leaver_rows_disappear(org):
    org.employee.active = False
    db.session.commit()
    assert _stored(org.employee) == {}


def test_rollback_leaves_snapshot_untouched(org):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=400))
    db.session.flush()
    db.session.rollback()
    assert _stored(org.employee)[org.bls.id][0] == "missing"


def test_nightly_job_refreshes_everyone(org):
    from jobs.compliance import refresh_compliance_snapshot

    db.session.execute(RS.__table__.delete())
    db.session.commit()
    rows = refresh_compliance_snapshot.call_local()
    assert rows >= 3  # director, manager, employee each need BLS
    assert _stored(org.employee)[org.bls.id][0] == "missing"


def test_an_assignment_moved_to_another_person_leaves_both_current(org):
    acls = factories.credential_type("ACLS Provider")
    project = factories.project()
    factories.requirement(acls, project=project)
    assignment = factories.assignment(project, org.employee, starts_on=today() - timedelta(days=1))
    db.session.commit()
    assert acls.id in _stored(org.employee)
    assignment.person_id = org.outsider.id
    db.session.commit()
    for person in (org.employee, org.outsider):
        assert _stored(person) == _engine(person), person
    assert acls.id not in _stored(org.employee)
    assert _stored(org.outsider)[acls.id][0] == "missing"


def test_a_credential_moved_to_another_person_leaves_both_current(org):
    credential = factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=400))
    db.session.commit()
    assert _stored(org.employee)[org.bls.id][0] == "compliant"
    credential.person_id = org.manager.id
    db.session.commit()
    assert _stored(org.employee)[org.bls.id][0] == "missing"
    assert _stored(org.manager)[org.bls.id][0] == "compliant"


def test_a_requirement_moved_to_another_role_leaves_both_roles_current(org):
    acls = factories.credential_type("ACLS Provider")
    requirement = factories.requirement(acls, job_role_=org.role)
    other_role = factories.job_role()
    org.outsider.job_role = other_role
    db.session.commit()
    assert acls.id in _stored(org.employee)
    requirement.job_role_id = other_role.id
    db.session.commit()
    assert acls.id not in _stored(org.employee)
    assert _stored(org.outsider)[acls.id][0] == "missing"


def test_a_type_policy_made_the_default_reaches_every_type(org):
    acls = factories.credential_type("ACLS Provider")
    factories.requirement(acls, job_role_=org.role)
    factories.credential(org.employee, acls, expires_on=today() + timedelta(days=100))
    factories.default_policy(offsets=[60, 30], grace_days=0)
    policy = ReminderPolicy(credential_type_id=org.bls.id, offsets=[120], grace_days=0)
    db.session.add(policy)
    db.session.commit()
    assert _stored(org.employee)[acls.id][0] == "compliant"
    db.session.delete(db.session.scalars(select(ReminderPolicy).where(ReminderPolicy.credential_type_id.is_(None))).one())
    db.session.flush()
    policy.credential_type_id = None
    db.session.commit()
    assert _stored(org.employee)[acls.id][0] == "expiring"
