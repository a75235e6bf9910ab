"""Compliance facts loaded from the database."""
from __future__ import annotations

from datetime import date, timedelta

from portal.extensions import db
from portal.models import today
from portal.policies.compliance import Status
from portal.services import compliance
from portal.services.scoping import reporting_line_ids
from tests.support import factories


def _states(person):
    return {s.credential_type_id: s for s in compliance.person_states(person.id)}


def test_role_requirement_missing_then_met(org):
    assert _states(org.employee)[org.bls.id].status is Status.MISSING
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=400))
    db.session.commit()
    assert _states(org.employee)[org.bls.id].status is Status.COMPLIANT


def test_superseded_records_do_not_count(org):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=400), state="superseded")
    db.session.commit()
    assert _states(org.employee)[org.bls.id].status is Status.MISSING


def test_predicted_expiry_from_type_validity(org):
    issued = today() - timedelta(days=800)  # 24-month validity: lapsed
    cred = factories.credential(org.employee, org.bls, issued_on=issued, expires_on=None)
    db.session.commit()
    state = _states(org.employee)[org.bls.id]
    assert state.expiry_predicted and state.expires_on is not None
    assert state.status in (Status.EXPIRED, Status.IN_GRACE)
    assert state.credential_id == cred.id


def test_pending_document_marks_requirement_pending(org):
    factories.document(org.employee, credential_type_id=org.bls.id, state="needs_review")
    db.session.commit()
    assert _states(org.employee)[org.bls.id].status is Status.PENDING_REVIEW


def test_renewal_upload_is_pending_for_the_renewed_type(org):
    old = factories.credential(org.employee, org.bls, expires_on=today() - timedelta(days=5))
    db.session.flush()
    factories.document(org.employee, renews_credential_id=old.id, state="queued")
    db.session.commit()
    assert _states(org.employee)[org.bls.id].status is Status.PENDING_REVIEW


def test_project_requirement_applies_during_assignment(org):
    acls = factories.credential_type("ACLS Provider", code="AHA-ACLS")
    project = factories.project()
    factories.requirement(acls, project=project, lead_days=60)
    factories.assignment(project, org.employee, starts_on=today() - timedelta(days=1),
                         ends_on=today() + timedelta(days=30))
    db.session.commit()
    state = _states(org.employee)[acls.id]
    assert state.status is Status.MISSING and state.sources == (("project", project.id),)
    later = compliance.person_states(org.employee.id, today() + timedelta(days=31))
    assert acls.id not in {s.credential_type_id for s in later}


def test_inactive_people_are_not_evaluated(org):
    org.employee.active = False
    db.session.commit()
    assert compliance.people_states([org.employee.id]) == {}


def test_type_policy_overrides_default(org):
    factories.default_policy(offsets=[30, 0], grace_days=10)
    from portal.models import ReminderPolicy

    db.session.add(ReminderPolicy(credential_type_id=org.bls.id, offsets=[120], grace_days=0))
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=100))
    db.session.commit()
    assert _states(org.employee)[org.bls.id].status is Status.EXPIRING  # inside 120 days


def test_team_summary_uses_reporting_line(org):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=400))
    db.session.commit()
    summary = compliance.summary(reporting_line_ids(org.director.id))
    # manager (missing) + employee (compliant); the outsider is not in the line
    assert summary.people == 2 and summary.total == 2
    assert summary.count(Status.COMPLIANT) == 1 and summary.count(Status.MISSING) == 1


def _team(manager, size, bls, role):
    for i in range(size):
        p = factories.person("Team", f"Member{i}", manager=manager, job_role=role)
        if i % 2:
            factories.credential(p, bls, expires_on=date(2030, 1, 1))
        if i % 3 == 0:
            factories.document(p, credential_type_id=bls.id)


def test_query_count_does_not_grow_with_team_size(org, count_queries):
    small_lead = factories.person("Small", "Lead")
    big_lead = factories.person("Big", "Lead")
    _team(small_lead, 5, org.bls, org.role)
    _team(big_lead, 500, org.bls, org.role)
    project = factories.project()
    factories.requirement(factories.credential_type("Other"), project=project)
    db.session.commit()
    with count_queries() as small:
        small_states = compliance.people_states(reporting_line_ids(small_lead.id))
    with count_queries() as big:
        big_states = compliance.people_states(reporting_line_ids(big_lead.id))
    assert len(small_states) == 5 and len(big_states) == 500
    assert small.count == big.count <= 8
