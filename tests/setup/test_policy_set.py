"""The policy set as YAML: round trip, rejection with line numbers, all or nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import AuditEvent, ReminderPolicy, Requirement, today
from portal.policies.compliance import Status
from portal.policies.policy_set import parse
from portal.services import compliance, policy_set
from tests.support import factories

GOOD = """\
version: 1
default_policy:
  offsets: [60, 30, 0]
  grace_days: 10
  escalation:
    - {days_before: 14, notify: manager}
    - {days_before: 0, notify: compliance}
policies:
  AHA-BLS:
    offsets: [120, 30]
    grace_days: 0
    renewal_lead_days: 21
    escalation: []
role_requirements:
  RN:
    - AHA-BLS
    - {credential_type: AHA-ACLS, lead_days: 45}
project_requirements:
  ICU: [AHA-ACLS]
"""


@pytest.fixture
def setup_org(org):
    factories.credential_type("ACLS Provider", code="AHA-ACLS")
    factories.project(code="ICU", name="ICU contract")
    db.session.commit()
    return org


def test_round_trip_export_import_export_is_stable(setup_org):
    result = policy_set.import_yaml(GOOD)
    assert result.created >= 3
    exported = policy_set.export_yaml()
    again = policy_set.import_yaml(exported)
    assert again.changed == 0
    assert policy_set.export_yaml() == exported
    parsed = policy_set.parse_text(exported)
    assert parsed.policies["AHA-BLS"].offsets == (120, 30)
    assert parsed.default_policy.escalation == ((14, "manager"), (0, "compliance"))
    assert {r.credential_type: r.lead_days for r in parsed.role_requirements["RN"]} == {
        "AHA-BLS": None, "AHA-ACLS": 45}


def test_import_replaces_requirements_and_audits_each_change(setup_org):
    policy_set.import_yaml(GOOD)
    reqs = db.session.scalars(select(Requirement)).all()
    assert len(reqs) == 3
    default = db.session.scalar(select(ReminderPolicy).where(ReminderPolicy.credential_type_id.is_(None)))
    assert default.offsets == [60, 30, 0] and default.grace_days == 10
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"requirement.created", "policy.created", "policy_set.imported"} <= actions
    # Dropping the project section removes the project's requirement.
    policy_set.import_yaml(GOOD.split("project_requirements:")[0])
    assert db.session.scalar(select(func.count(Requirement.id)).where(Requirement.project_id.is_not(None))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "requirement.deleted")) == 1


@pytest.mark.parametrize("text, line, message", [
    (GOOD.replace("offsets: [60, 30, 0]", "offsets: [30, 60, 0]"), 3, "largest to the smallest"),
    (GOOD.replace("offsets: [60, 30, 0]", "offsets: [60, 60, 0]"), 3, "only once"),
    (GOOD.replace("offsets: [60, 30, 0]", "offsets: [60, -1]"), 3, "between 0"),
    (GOOD.replace("grace_days: 10", "grace_days: -2"), 4, "Grace"),
    (GOOD.replace("notify: manager}", "notify: ceo}"), 6, "not 'ceo'"),
    (GOOD.replace("  AHA-BLS:\n    offsets", "  NOPE:\n    offsets"), 9, "Unknown credential type 'NOPE'"),
    (GOOD.replace("  RN:\n", "  DOCTOR:\n"), 15, "Unknown job role 'DOCTOR'"),
    (GOOD.replace("  ICU: [AHA-ACLS]", "  ICU: [AHA-ACLS, AHA-ACLS]"), 19, "listed twice"),
    (GOOD.replace("lead_days: 45", "lead_days: soon"), 17, "lead_days"),
    (GOOD + "extras: 1\n", 20, "Unknown section 'extras'"),
    (GOOD.replace("grace_days: 10", "grace_days: 10\n  grace_days: 11"), 5, "appears twice"),
    (GOOD.replace("  ICU: [AHA-ACLS]", "  ICU: [AHA-ACLS"), 20, "Not valid YAML"),
])
def test_bad_files_are_rejected_with_line_and_reason(setup_org, text, line, message):
    with pytest.raises(Invalid) as excinfo:
        policy_set.parse_text(text)
    problems = excinfo.value.detail
    assert any(p.line == line and message in p.message for p in problems), problems


def test_missing_default_policy_and_empty_file():
    with pytest.raises(Invalid, match="default_policy section is missing"):
        parse("version: 1\n", [], [], [])
    with pytest.raises(Invalid, match="empty"):
        parse("", [], [], [])
    with pytest.raises(Invalid, match="mapping"):
        parse("- a\n- b\n", [], [], [])


def test_a_bad_file_changes_nothing(setup_org):
    policy_set.import_yaml(GOOD)
    before = policy_set.export_yaml()
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    # Valid first sections, a bad last one: nothing may be half-applied.
    bad = GOOD.replace("offsets: [60, 30, 0]", "offsets: [90, 7]").replace("ICU: [AHA-ACLS]", "ICU: [NOPE]")
    with pytest.raises(Invalid):
        policy_set.import_yaml(bad)
    assert policy_set.export_yaml() == before
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


def test_dry_run_reports_changes_without_applying(setup_org):
    before = policy_set.export_yaml()
    result = policy_set.import_yaml(GOOD, dry_run=True)
    assert result.changed > 0
    assert policy_set.export_yaml() == before


def test_import_re_evaluates_people_at_once(setup_org):
    org = setup_org
    factories.credential(org.employee, org.bls, expires_on=today() + timedelta(days=100))
    db.session.commit()
    states = {s.credential_type_id: s.status for s in compliance.person_states(org.employee.id)}
    assert states[org.bls.id] is Status.COMPLIANT  # default offsets 90: 100 days is comfortable
    policy_set.import_yaml(GOOD)  # BLS now warns from 120 days
    states = {s.credential_type_id: s.status for s in compliance.person_states(org.employee.id)}
    assert states[org.bls.id] is Status.EXPIRING


def test_import_page_shows_problems_and_applies_good_files(setup_org, admin_client, manager_client):
    bad = admin_client.post("/admin/policy-set", data={"text": GOOD.replace("grace_days: 10", "grace_days: x")})
    assert bad.status_code == 422
    assert "line 4" in bad.get_data(as_text=True)
    good = admin_client.post("/admin/policy-set", data={"text": GOOD})
    assert good.status_code == 200 and "Imported" in good.get_data(as_text=True)
    exported = admin_client.get("/admin/policy-set.yaml")
    assert exported.headers["Content-Type"].startswith("application/yaml")
    assert "AHA-ACLS" in exported.get_data(as_text=True)
    assert manager_client.get("/admin/policy-set.yaml").status_code == 403
    assert admin_client.post("/admin/policy-set", data={"text": GOOD}, csrf=False).status_code == 400
