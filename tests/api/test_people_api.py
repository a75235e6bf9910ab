"""People upsert through the API: idempotent, managers by employee id, audited."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Department, JobRole, Person

PAYLOAD = {"people": [
    # The report comes before the manager: order in the payload must not matter.
    {"employee_id": "E200", "first_name": "Rita", "last_name": "Report", "email": "Rita@Example.test",
     "manager_employee_id": "E100", "job_role": "CNA", "job_role_name": "Nursing Assistant",
     "department": "Wards", "hired_on": "2024-03-01"},
    {"employee_id": "E100", "first_name": "Mona", "last_name": "Manager", "email": "mona@example.test",
     "department": "Wards"},
]}


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def test_upsert_creates_people_links_managers_and_makes_roles_and_departments(client, api_headers):
    response = client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    assert response.status_code == 200, response.json
    assert response.json["counts"]["create"] == 2
    rita = db.session.scalar(select(Person).where(Person.employee_id == "E200"))
    assert rita.manager.employee_id == "E100"
    assert rita.email == "rita@example.test"
    assert rita.job_role.code == "CNA" and rita.job_role.name == "Nursing Assistant"
    assert rita.department.name == "Wards" and rita.hired_on == date(2024, 3, 1)
    assert db.session.scalar(select(func.count(Department.id)).where(Department.name == "Wards")) == 1
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "Person")).all()
    assert {e.action for e in events} == {"person.created"}
    assert all(e.actor_label == "api:all-scopes" for e in events)


def test_the_same_payload_twice_changes_nothing_and_audits_nothing(client, api_headers):
    assert client.put("/api/v1/people", json=PAYLOAD, headers=api_headers).status_code == 200
    before = _audit_count()
    people_before = {p.employee_id: p.updated_at for p in db.session.scalars(select(Person))}
    again = client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    assert again.status_code == 200
    assert again.json["counts"] == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    assert _audit_count() == before
    db.session.expire_all()
    assert {p.employee_id: p.updated_at for p in db.session.scalars(select(Person))} == people_before
    assert db.session.scalar(select(func.count(JobRole.id)).where(JobRole.code == "CNA")) == 1


def test_a_change_is_an_update_with_before_and_after(client, api_headers):
    client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    response = client.put("/api/v1/people", json={"people": [
        {"employee_id": "E200", "last_name": "Married-Name", "location": "North"}]}, headers=api_headers)
    result = response.json["results"][0]
    assert result["action"] == "update"
    assert result["changes"]["last_name"] == {"before": "Report", "after": "Married-Name"}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.updated")).one()
    assert event.before == {"last_name": "Report", "location": None}
    assert event.after == {"last_name": "Married-Name", "location": "North"}


def test_manager_cycles_are_refused(client, api_headers):
    client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    response = client.put("/api/v1/people", json={"people": [
        {"employee_id": "E100", "manager_employee_id": "E200"}]}, headers=api_headers)
    result = response.json["results"][0]
    assert result["action"] == "error" and "cycle" in result["errors"][0]
    assert db.session.scalar(select(Person).where(Person.employee_id == "E100")).manager_id is None


def test_deactivation_keeps_the_person_and_records_the_leaving_date(client, api_headers, org):
    response = client.post(f"/api/v1/people/{org.employee.employee_id}/deactivate",
                           json={"left_on": "2025-06-30"}, headers=api_headers)
    assert response.status_code == 200
    assert response.json["active"] is False and response.json["left_on"] == "2025-06-30"
    before = _audit_count()
    again = client.post(f"/api/v1/people/{org.employee.employee_id}/deactivate", json={}, headers=api_headers)
    assert again.json["left_on"] == "2025-06-30"
    assert _audit_count() == before


def test_errors_are_reported_per_record_and_the_rest_applied(client, api_headers):
    response = client.put("/api/v1/people", json={"people": [
        {"employee_id": "N1", "first_name": "New", "last_name": "One", "manager_employee_id": "NOBODY"},
        {"employee_id": "N2", "first_name": "New", "last_name": "Two"},
        {"employee_id": "N2", "first_name": "Dup", "last_name": "Two"},
    ]}, headers=api_headers)
    actions = [r["action"] for r in response.json["results"]]
    assert actions == ["error", "create", "error"]
    assert "NOBODY" in response.json["results"][0]["errors"][0]
    assert db.session.scalar(select(func.count(Person.id)).where(Person.employee_id.in_(["N1", "N2"]))) == 1


def test_dry_run_writes_nothing(client, api_headers):
    before = _audit_count()
    response = client.put("/api/v1/people", json={**PAYLOAD, "dry_run": True}, headers=api_headers)
    assert response.json["applied"] is False and response.json["counts"]["create"] == 2
    assert db.session.scalar(select(Person).where(Person.employee_id == "E100")) is None
    assert _audit_count() == before


def test_validation_errors_name_the_field(client, api_headers):
    response = client.put("/api/v1/people", json={"people": [{"first_name": "No id"}]}, headers=api_headers)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert "employee_id" in str(error["details"])


def test_unknown_person_is_404_in_the_error_shape(client, api_headers):
    response = client.get("/api/v1/people/NOPE", headers=api_headers)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_nul_characters_are_refused_not_stored(client, api_headers):
    response = client.put("/api/v1/people", json={"people": [
        {"employee_id": "N\x00UL", "first_name": "A", "last_name": "B"}]}, headers=api_headers)
    assert response.status_code == 422
    assert client.get("/api/v1/people/N%00UL", headers=api_headers).status_code == 404


def test_two_people_may_swap_email_addresses_in_one_payload(client, api_headers):
    client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    response = client.put("/api/v1/people", json={"people": [
        {"employee_id": "E100", "email": "rita@example.test"},
        {"employee_id": "E200", "email": "mona@example.test"},
        {"employee_id": "E300", "first_name": "New", "last_name": "Hire", "email": "new@example.test"},
    ]}, headers=api_headers)
    assert [r["action"] for r in response.json["results"]] == ["update", "update", "create"], response.json
    emails = dict(db.session.execute(select(Person.employee_id, Person.email)).all())
    assert emails["E100"] == "rita@example.test" and emails["E200"] == "mona@example.test"
    # Taking an address its owner keeps is refused.
    taken = client.put("/api/v1/people", json={"people": [{"employee_id": "E300", "email": "rita@example.test"}]},
                       headers=api_headers)
    assert "already belongs to employee E100" in taken.json["results"][0]["errors"][0]


def test_an_update_moves_updated_at_and_the_person_the_session_holds(client, api_headers):
    client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    rita = db.session.scalar(select(Person).where(Person.employee_id == "E200"))
    stamped = rita.updated_at
    from portal.services import people_sync

    people_sync.apply_people([{"employee_id": "E200", "last_name": "Renamed"}], "test")
    assert rita.last_name == "Renamed"  # expired and reloaded, not stale
    assert rita.updated_at > stamped


def test_a_cycle_deep_in_a_long_chain_is_found_for_everyone_below_it(client, api_headers):
    chain = [{"employee_id": f"C{i:04d}", "first_name": "Chain", "last_name": str(i),
              "manager_employee_id": f"C{i + 1:04d}" if i < 1999 else None} for i in range(2000)]
    assert client.put("/api/v1/people", json={"people": chain}, headers=api_headers).json["counts"]["create"] == 2000
    # The top now reports to someone half way down: a loop of 1,000 people.
    response = client.put("/api/v1/people", json={"people": [
        {"employee_id": "C1999", "manager_employee_id": "C1000"},
        {"employee_id": "C0401", "location": "North"},       # below the loop: their chain never ends
        {"employee_id": "C0400", "manager_employee_id": None, "location": "North"},  # leaves the chain
        {"employee_id": "C0300", "location": "North"},       # now below C0400, who tops their chain
    ]}, headers=api_headers)
    results = response.json["results"]
    assert results[0]["action"] == "error" and "cycle through C1999" in results[0]["errors"][0]
    assert results[1]["action"] == "error" and "cycle through C1000" in results[1]["errors"][0]
    assert [r["action"] for r in results[2:]] == ["update", "update"]


def test_new_people_and_role_changes_reach_the_compliance_snapshot(client, api_headers):
    from portal.models import RequirementSnapshot
    from tests.support import factories as f

    role = f.job_role("CNA", "Nursing Assistant")
    bls = f.credential_type("BLS Provider")
    f.requirement(bls, job_role_=role)
    db.session.commit()
    client.put("/api/v1/people", json=PAYLOAD, headers=api_headers)
    rita_id = db.session.scalar(select(Person.id).where(Person.employee_id == "E200"))
    states = db.session.scalars(select(RequirementSnapshot).where(RequirementSnapshot.person_id == rita_id)).all()
    assert [(s.credential_type_id, s.credential_id) for s in states] == [(bls.id, None)]
    client.put("/api/v1/people", json={"people": [{"employee_id": "E200", "active": False}]}, headers=api_headers)
    assert db.session.scalar(select(func.count(RequirementSnapshot.id))
                             .where(RequirementSnapshot.person_id == rita_id)) == 0
