"""Outbox (admin) and notification settings (employee): access, content, changes."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import reminders
from tests.support import factories


@pytest.fixture
def sent(app, org):
    factories.credential(org.employee, org.bls, expires_on=date(2026, 6, 30))
    db.session.commit()
    reminders.run_daily(date(2026, 5, 31))


@pytest.mark.parametrize("who,status", [("employee", 403), ("manager", 403), ("reviewer", 403),
                                        ("compliance", 403), ("admin", 200)])
def test_outbox_is_for_admins(app, org, login, who, status):
    user = getattr(org, f"{who}_user")
    assert login(user).get("/admin/outbox").status_code == status


def test_outbox_lists_and_reads_a_message(app, org, sent, admin_client):
    page = admin_client.get("/admin/outbox").get_data(as_text=True)
    assert "Your BLS Provider expires in 30 days" in page
    from portal.models import Notification

    row = db.session.scalar(select(Notification).where(Notification.step == "employee:d30"))
    message = admin_client.get(f"/admin/outbox/{row.id}").get_data(as_text=True)
    assert "expiry.ics" in message and "sandbox" in message
    html = admin_client.get(f"/admin/outbox/{row.id}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "expires in 30 days" in html.get_data(as_text=True)
    fragment = admin_client.get("/admin/outbox?state=failed", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).strip().startswith('<div id="outbox_list">')


def test_employee_cannot_switch_off_when_policy_does_not_allow(app, org, employee_client):
    factories.default_policy(allow_digest=False)
    db.session.commit()
    response = employee_client.post("/me/notifications", data={"channel": "digest"})
    assert response.status_code == 400
    db.session.refresh(org.employee)
    assert org.employee.notification_channel == "email"


def test_employee_chooses_the_digest_where_policy_allows(app, org, employee_client):
    factories.default_policy(allow_digest=True)
    db.session.commit()
    page = employee_client.get("/me/notifications").get_data(as_text=True)
    assert "always come by email" in page
    assert employee_client.post("/me/notifications", data={"channel": "digest"}).status_code == 302
    db.session.refresh(org.employee)
    assert org.employee.notification_channel == "digest"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.notification_channel"))
    assert event.before == {"notification_channel": "email"} and event.after == {"notification_channel": "digest"}
    assert employee_client.post("/me/notifications", data={"channel": "email"}, csrf=False).status_code == 400


def test_weekly_digests_for_managers_and_hr(app, org):
    on = date.today()
    factories.credential(org.employee, org.bls, expires_on=on + timedelta(days=10))
    db.session.commit()
    assert reminders.run_weekly_digests(on) >= 3  # manager, director (line), HR, compliance
    assert reminders.run_weekly_digests(on) == 0  # once a week
    from portal.models import Notification

    to_manager = db.session.scalar(select(Notification).where(Notification.kind == "digest",
                                                              Notification.recipient_email == org.manager.email))
    assert to_manager.state == "sent"
    assert [i["name"] for i in to_manager.context["upcoming"]] == ["Erin Employee"]
