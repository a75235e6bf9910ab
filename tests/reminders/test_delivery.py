"""Delivery against a real SMTP server on loopback: once, retried, refused."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Notification, utcnow
from portal.services import mailer, reminders
from tests.support import factories

EXPIRES = date(2026, 6, 30)
ON = EXPIRES - timedelta(days=30)


@pytest.fixture
def due(app, org):
    """Erin's BLS reminder and her manager's escalation, written but not sent."""
    factories.default_policy()
    factories.credential(org.employee, org.bls, expires_on=EXPIRES, license_number="BLS-7781")
    db.session.commit()
    reminders.scan(ON)
    return db.session.scalar(select(Notification).where(Notification.step == "employee:d30"))


def test_reminder_email_says_what_and_when_with_both_links_and_ics(app, org, due, smtp_server):
    assert mailer.send(due.id) == "sent"
    [msg] = [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == org.employee.email]
    assert msg["Subject"] == "Your BLS Provider expires in 30 days"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "/renew/" in text and "/renew/" in html
    assert "BLS-7781" in text
    [ics] = [part for part in msg.iter_attachments() if part.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(ics.get_payload(decode=True))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == EXPIRES
    assert "BLS Provider" in str(event.get("summary"))
    db.session.refresh(due)
    assert msg["Message-ID"] == due.message_id


def test_issuer_renewal_page_is_linked(app, org, smtp_server):
    org.bls.issuer.renewal_url = "https://cpr.heart.example/renew"
    factories.credential(org.employee, org.bls, expires_on=EXPIRES)
    db.session.commit()
    reminders.run_daily(ON)
    msg = next(m for m in smtp_server.messages if m["Subject"].startswith("Your BLS"))
    assert "https://cpr.heart.example/renew" in msg.get_body(("plain",)).get_content()


def test_a_crash_between_claim_and_send_is_retried_without_a_duplicate(app, org, due, smtp_server):
    claimed_at = utcnow()
    assert mailer.claim(due.id, claimed_at)  # ... and the worker dies here
    assert mailer.send_pending(claimed_at + timedelta(minutes=1))["sent"] >= 1  # others go
    assert mailer.send(due.id, claimed_at + timedelta(minutes=1)) is None  # the claim still holds
    later = claimed_at + timedelta(seconds=app.config["MAIL_SEND_LEASE_SECONDS"] + 1)
    assert mailer.send_pending(later) == {"sent": 1}
    assert mailer.send_pending(later + timedelta(hours=1)) == {}
    to_erin = [m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == org.employee.email]
    assert len(to_erin) == 1
    db.session.refresh(due)
    assert (due.state, due.attempts) == ("sent", 2)


def test_a_temporary_failure_is_retried_with_backoff_then_sent(app, org, due, smtp_server):
    smtp_server.data_replies = ["451 4.3.0 Try again later"]
    now = utcnow()
    assert mailer.send(due.id, now) == "retry"
    db.session.refresh(due)
    assert due.next_attempt_at == now + timedelta(seconds=app.config["MAIL_RETRY_BASE_SECONDS"])
    assert "451" in due.last_error
    assert mailer.send(due.id, now + timedelta(seconds=5)) is None  # not due yet
    assert mailer.send(due.id, due.next_attempt_at) == "sent"
    assert len(smtp_server.messages) == 1


def test_temporary_failures_stop_after_the_last_attempt(app, org, due, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.rcpt_replies = ["450 4.2.1 Mailbox busy"] * 3
    when = utcnow()
    for expected in ("retry", "retry", "failed"):
        assert mailer.send(due.id, when) == expected
        when += timedelta(days=1)
    assert smtp_server.messages == []


def test_a_timeout_is_a_temporary_failure(app, org, due):
    import socket

    with socket.socket() as listener:  # accepts the connection, never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=listener.getsockname()[1], SMTP_TIMEOUT=0.5)
        assert mailer.send(due.id) == "retry"
    db.session.refresh(due)
    assert due.state == "retry"


def test_a_permanent_refusal_flags_the_address_for_hr(app, org, due, smtp_server, reviewer_client):
    smtp_server.rcpt_replies = ["550 5.1.1 No such user"]
    assert mailer.send(due.id) == "failed"
    db.session.refresh(org.employee)
    assert org.employee.email_failing_since is not None
    assert "550" in org.employee.email_failing_reason
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.email_failing"))
    assert event.entity_id == str(org.employee.id) and event.before["email_failing_since"] is None
    page = reviewer_client.get("/admin/outbox/failing").get_data(as_text=True)
    assert org.employee.email in page and "550" in page
    # nothing more is sent to a failing address until HR clears it
    reminders.scan(EXPIRES - timedelta(days=7))
    mailer.send_pending()
    d7 = db.session.scalar(select(Notification).where(Notification.step == "employee:d7"))
    assert d7.state == "skipped" and "failing" in d7.last_error
    assert not any(m["To"].addresses[0].addr_spec == org.employee.email for m in smtp_server.messages)


def test_hr_clears_a_failing_address(app, org, reviewer_client):
    mailer.mark_address_failing(org.employee.email, "550 no such user")
    db.session.commit()
    response = reviewer_client.post(f"/admin/outbox/failing/{org.employee.id}/clear")
    assert response.status_code == 302
    db.session.refresh(org.employee)
    assert org.employee.email_failing_since is None
    assert reviewer_client.post(f"/admin/outbox/failing/{org.employee.id}/clear", csrf=False).status_code == 400


def test_message_id_is_the_same_on_every_attempt(app, org, due):
    assert mailer.message_id(due) == mailer.message_id(db.session.get(Notification, due.id))
    assert mailer.message_id(due).startswith(f"<credwatch.{due.id}.")
