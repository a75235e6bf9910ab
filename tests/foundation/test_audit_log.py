"""The audit log page: who may read it, filters, fragments."""
from __future__ import annotations

import pytest

from portal.extensions import db
from portal.services import audit


@pytest.fixture
def events(org):
    audit.record("person.updated", org.employee, before={"last_name": "Old"}, after={"last_name": "New"},
                 actor=org.admin_user)
    audit.record("credential.confirmed", None, entity_type="Credential", entity_id=42,
                 after={"license_number": "RN123"}, actor=org.reviewer_user)
    db.session.commit()


@pytest.mark.parametrize("who, status", [
    ("employee_client", 403), ("manager_client", 403), ("reviewer_client", 403),
    ("admin_client", 200), ("compliance_client", 200),
])
def test_only_admin_and_compliance_read_the_log(request, events, who, status):
    client = request.getfixturevalue(who)
    assert client.get("/admin/audit").status_code == status


def test_log_shows_before_and_after(admin_client, events):
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "person.updated" in page and "Old" in page and "New" in page
    assert "credential.confirmed" in page and "RN123" in page


def test_filter_by_entity_type(admin_client, events):
    page = admin_client.get("/admin/audit?entity_type=Credential").get_data(as_text=True)
    assert "credential.confirmed" in page and "person.updated" not in page


def test_htmx_request_gets_only_the_results(admin_client, events):
    response = admin_client.get("/admin/audit?action=confirmed", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="audit_results"')
    assert "<html" not in text and "credential.confirmed" in text
    assert "HX-Request" in response.headers["Vary"]


def test_bad_date_gets_a_message_next_to_the_field(admin_client, events):
    page = admin_client.get("/admin/audit?since=yesterday").get_data(as_text=True)
    assert 'id="a-since-error"' in page
