"""Admin setup pages: role gating, CSRF, validation next to fields, audit,
and re-evaluation of the affected people at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Assignment, AuditEvent, CeActivity, CredentialType, ReminderPolicy, Requirement, today
from portal.policies.compliance import Status
from portal.services import compliance
from tests.support import factories


def _status(person, type_id):
    return {s.credential_type_id: s.status for s in compliance.person_states(person.id)}.get(type_id)


def _last_event(action):
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()))


@pytest.mark.parametrize("url", ["/admin", "/admin/requirements", "/admin/projects", "/admin/policies",
                                 "/admin/policies/default", "/admin/taxonomy", "/admin/taxonomy/types/new",
                                 "/admin/taxonomy/issuers/new", "/admin/policy-set"])
@pytest.mark.parametrize("who, status", [("admin_client", 200), ("compliance_client", 200),
                                         ("manager_client", 403), ("employee_client", 403),
                                         ("reviewer_client", 403)])
def test_setup_pages_by_role(request, url, who, status):
    assert request.getfixturevalue(who).get(url).status_code == status


def test_admin_lands_on_setup(admin_client):
    response = admin_client.get("/")
    assert response.headers["Location"].endswith("/admin")
    page = admin_client.get("/admin").get_data(as_text=True)
    for section in ("Requirements", "Projects and assignments", "Reminders and escalation", "Credential taxonomy"):
        assert section in page


def test_adding_a_role_requirement_re_evaluates_and_audits(org, admin_client):
    acls = factories.credential_type("ACLS Provider", code="AHA-ACLS")
    db.session.commit()
    assert _status(org.employee, acls.id) is None
    response = admin_client.post("/admin/requirements", data={
        "credential_type_id": acls.id, "job_role_id": org.role.id, "lead_days": "30"})
    assert response.status_code == 302
    assert _status(org.employee, acls.id) is Status.MISSING
    event = _last_event("requirement.created")
    assert event.after["credential_type_id"] == acls.id and event.after["lead_days"] == 30


def test_requirement_errors_sit_next_to_their_field(org, admin_client):
    response = admin_client.post("/admin/requirements", data={"credential_type_id": "", "lead_days": "x"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="f-credential_type_id-error"' in page and 'id="f-lead_days-error"' in page
    both = admin_client.post("/admin/requirements", data={
        "credential_type_id": org.bls.id, "job_role_id": org.role.id, "project_id": factories.project().id})
    assert both.status_code == 422


def test_duplicate_requirement_is_refused(org, admin_client):
    response = admin_client.post("/admin/requirements", data={
        "credential_type_id": org.bls.id, "job_role_id": org.role.id})
    assert response.status_code == 422 and "already required" in response.get_data(as_text=True)


def test_lead_time_change_and_removal(org, admin_client):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=100))
    db.session.commit()
    req = db.session.scalar(select(Requirement).where(Requirement.credential_type_id == org.bls.id))
    assert _status(org.employee, org.bls.id) is Status.COMPLIANT
    admin_client.post(f"/admin/requirements/{req.id}", data={"lead_days": "120"})
    assert _status(org.employee, org.bls.id) is Status.EXPIRING
    assert _last_event("requirement.updated").before == {"lead_days": None}
    admin_client.post(f"/admin/requirements/{req.id}/delete")
    assert _status(org.employee, org.bls.id) is None
    assert _last_event("requirement.deleted").before["credential_type_id"] == org.bls.id


def test_state_changes_need_csrf(org, admin_client):
    req = db.session.scalar(select(Requirement))
    assert admin_client.post(f"/admin/requirements/{req.id}/delete", csrf=False).status_code == 400
    assert db.session.get(Requirement, req.id) is not None


def test_project_and_assignment_drive_project_requirements(org, admin_client):
    acls = factories.credential_type("ACLS Provider", code="AHA-ACLS")
    db.session.commit()
    created = admin_client.post("/admin/projects", data={"code": "ICU", "name": "ICU contract",
                                                         "starts_on": "2020-01-01"})
    assert created.status_code == 302
    project_id = int(created.headers["Location"].rsplit("/", 1)[1])
    admin_client.post("/admin/requirements", data={"credential_type_id": acls.id, "project_id": project_id})
    assert _status(org.employee, acls.id) is None  # not assigned yet
    assigned = admin_client.post(f"/admin/projects/{project_id}/assignments", data={
        "person_id": org.employee.id, "starts_on": (today() - timedelta(days=1)).isoformat()})
    assert assigned.status_code == 302
    assert _status(org.employee, acls.id) is Status.MISSING
    assignment = db.session.scalar(select(Assignment))
    admin_client.post(f"/admin/assignments/{assignment.id}", data={
        "starts_on": (today() - timedelta(days=10)).isoformat(), "ends_on": (today() - timedelta(days=2)).isoformat()})
    assert _status(org.employee, acls.id) is None  # assignment over
    assert _last_event("assignment.updated").after["ends_on"] == (today() - timedelta(days=2)).isoformat()
    bad = admin_client.post(f"/admin/projects/{project_id}/assignments", data={
        "person_id": org.employee.id, "starts_on": "2026-05-01", "ends_on": "2026-04-01"})
    assert bad.status_code == 422 and "on or after the start" in bad.get_data(as_text=True)


@pytest.mark.parametrize("form, field, message", [
    ({"offsets": "30, 60", "grace_days": "5"}, "offsets", "largest"),
    ({"offsets": "30, 30", "grace_days": "5"}, "offsets", "only once"),
    ({"offsets": "thirty", "grace_days": "5"}, "offsets", "whole numbers"),
    ({"offsets": "30", "grace_days": "-1"}, "grace_days", "from 0"),
    ({"offsets": "30", "grace_days": "5", "escalation": "7 boss"}, "escalation", "boss"),
    ({"offsets": "30", "grace_days": "5", "escalation": "soon hr"}, "escalation", "days and recipient"),
])
def test_policy_form_validation(org, admin_client, form, field, message):
    response = admin_client.post("/admin/policies/default", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="f-{field}-error"' in page and message in page


def test_type_policy_saves_audits_and_re_evaluates(org, admin_client):
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=100))
    db.session.commit()
    response = admin_client.post(f"/admin/policies/{org.bls.id}", data={
        "offsets": "120, 30, 0", "grace_days": "0", "escalation": "30 manager, 0 compliance",
        "renewal_lead_days": "21"})
    assert response.status_code == 302
    row = db.session.scalar(select(ReminderPolicy).where(ReminderPolicy.credential_type_id == org.bls.id))
    assert row.offsets == [120, 30, 0] and row.escalation[0] == {"days_before": 30, "notify": "manager"}
    assert _status(org.employee, org.bls.id) is Status.EXPIRING
    assert _last_event("policy.created").after["renewal_lead_days"] == 21
    admin_client.post(f"/admin/policies/{org.bls.id}/delete")
    assert _status(org.employee, org.bls.id) is Status.COMPLIANT
    assert _last_event("policy.deleted") is not None


def test_learned_validity_is_offered_and_applied(org, admin_client):
    refresher = factories.credential_type("Refresher", code="REFRESH", validity_months=None)
    for i in range(4):
        person = factories.person(job_role=org.role)
        issued = today().replace(day=1) - timedelta(days=30 * i)
        factories.credential(person, refresher, issued_on=issued,
                             expires_on=issued.replace(year=issued.year + 1) - timedelta(days=1))
    db.session.commit()
    page = admin_client.get("/admin/taxonomy").get_data(as_text=True)
    assert f'data-suggestion="{refresher.id}"' in page and "12 months" in page
    admin_client.post(f"/admin/taxonomy/types/{refresher.id}/learned-validity")
    assert db.session.get(CredentialType, refresher.id).validity_months == 12
    assert _last_event("credential_type.validity_learned").after == {"validity_months": 12}


def test_type_edit_validation_and_audit(org, admin_client):
    bad = admin_client.post(f"/admin/taxonomy/types/{org.bls.id}", data={
        "code": "AHA-BLS", "name": "", "issuer_id": org.bls.issuer_id, "validity_months": "0"})
    assert bad.status_code == 422
    good = admin_client.post(f"/admin/taxonomy/types/{org.bls.id}", data={
        "code": "AHA-BLS", "name": "BLS Provider", "issuer_id": org.bls.issuer_id, "validity_months": "12",
        "ce_hours": "4", "category": "certification", "renewal_mechanism": "course", "active": "1"})
    assert good.status_code == 302
    assert _last_event("credential_type.updated").after == {"validity_months": 12, "ce_hours": 4.0}
    issuer = admin_client.post(f"/admin/taxonomy/issuers/{org.bls.issuer_id}", data={
        "code": org.bls.issuer.code, "name": "AHA", "renewal_url": "javascript:alert(1)"})
    assert issuer.status_code == 422 and "https://" in issuer.get_data(as_text=True)


def test_ce_activities_logged_by_the_holder(org, login, manager_client):
    cred = factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=200),
                                issued_on=today() - timedelta(days=300))
    org.bls.ce_hours = 8
    db.session.commit()
    holder = login(org.employee_user)
    page = holder.get(f"/credentials/{cred.id}/ce")
    assert page.status_code == 200 and "Log an activity" in page.get_data(as_text=True)
    assert f'href="/credentials/{cred.id}"' in page.get_data(as_text=True)  # the breadcrumb back to the record
    future = holder.post(f"/credentials/{cred.id}/ce", data={
        "title": "Update", "hours": "3", "completed_on": (today() + timedelta(days=3)).isoformat()})
    assert future.status_code == 422
    done = holder.post(f"/credentials/{cred.id}/ce", data={
        "title": "Update", "hours": "3", "completed_on": today().isoformat()})
    assert done.status_code == 302
    assert 'data-stat="outstanding">5<' in holder.get(f"/credentials/{cred.id}/ce").get_data(as_text=True)
    assert _last_event("ce_activity.created").after["hours"] == 3.0
    # The manager may look but not log; an outsider sees nothing.
    view = manager_client.get(f"/credentials/{cred.id}/ce")
    assert view.status_code == 200 and "Log an activity" not in view.get_data(as_text=True)
    assert manager_client.post(f"/credentials/{cred.id}/ce", data={
        "title": "x", "hours": "1", "completed_on": today().isoformat()}).status_code == 403
    outsider = login(org.outsider_user)
    assert outsider.get(f"/credentials/{cred.id}/ce").status_code == 404
    activity = db.session.scalar(select(CeActivity))
    assert outsider.post(f"/credentials/{cred.id}/ce/{activity.id}/delete").status_code == 404
    assert holder.post(f"/credentials/{cred.id}/ce/{activity.id}/delete").status_code == 302
    assert db.session.scalar(select(CeActivity)) is None


def test_team_page_shows_a_policy_change_at_once(org, admin_client, manager_client):
    """The team page reads the stored snapshot: a change is re-evaluated in
    the same transaction, not by a nightly job."""
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=100))
    db.session.commit()
    assert 'data-stat="expiring-90">0<' in manager_client.get("/team").get_data(as_text=True)
    assert "state-compliant" in manager_client.get(f"/team?type={org.bls.id}").get_data(as_text=True)
    admin_client.post(f"/admin/policies/{org.bls.id}", data={"offsets": "120, 0", "grace_days": "0"})
    page = manager_client.get(f"/team?type={org.bls.id}&state=expiring").get_data(as_text=True)
    assert "Erin Employee" in page and "state-expiring" in page
    req = db.session.scalar(select(Requirement).where(Requirement.credential_type_id == org.bls.id))
    admin_client.post(f"/admin/requirements/{req.id}/delete")
    assert "No required credentials here yet" in manager_client.get("/team").get_data(as_text=True)


def test_the_overview_counts_current_and_upcoming_assignments(org):
    from portal.services import setup_lists

    before = setup_lists.overview_counts()["assignments"]
    project, on = factories.project(), today()
    factories.assignment(project, org.employee, on - timedelta(days=30), on - timedelta(days=1))  # ended
    factories.assignment(project, org.employee, on - timedelta(days=30), on)  # its last day
    factories.assignment(project, org.manager, on + timedelta(days=1))  # starts tomorrow
    factories.assignment(project, org.outsider, on - timedelta(days=400))  # open-ended
    db.session.commit()
    assert setup_lists.overview_counts()["assignments"] == before + 3
