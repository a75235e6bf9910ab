"""Over SMTP, an outcome nobody can know is never re-sent blindly, and a
connection the server closed is reopened: against a real aiosmtpd on loopback
and a real sending process killed mid-batch."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Notification, utcnow
from portal.services import mailer, reminders
from tests.support import factories

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXPIRES = date(2026, 6, 30)
ON = EXPIRES - timedelta(days=30)


@pytest.fixture
def due(app, org):
    """Three of Erin's credentials at their 30-day step: six rows (her reminders, her manager's escalations)."""
    factories.default_policy()
    factories.credential(org.employee, org.bls, expires_on=EXPIRES)  # the role requires BLS
    for name in ("ACLS Provider", "PALS Provider"):
        ctype = factories.credential_type(name)
        factories.requirement(ctype, job_role_=org.role)
        factories.credential(org.employee, ctype, expires_on=EXPIRES)
    db.session.commit()
    reminders.scan(ON)
    return list(db.session.scalars(select(Notification).where(Notification.state == "pending")
                                   .order_by(Notification.id)))


def _states(rows):
    db.session.expire_all()
    return [db.session.get(Notification, r.id).state for r in rows]


def test_no_reply_to_data_is_unknown_and_not_sent_again(app, org, due, smtp_server, admin_client):
    smtp_server.stall_on, smtp_server.stall_seconds = 1, 3.0  # the server stored it, then says nothing
    app.config["SMTP_TIMEOUT"] = 1
    now = utcnow()
    assert mailer.send(due[0].id, now) == "unknown"
    db.session.expire_all()
    row = db.session.get(Notification, due[0].id)
    assert row.state == "unknown" and "may have delivered" in row.last_error
    assert len(smtp_server.messages) == 1
    # nothing sends it again by itself, however late
    mailer.send_pending(now + timedelta(days=2))
    assert [m["Message-ID"] for m in smtp_server.messages].count(mailer.message_id(row)) == 1
    db.session.expire_all()
    assert db.session.get(Notification, row.id).state == "unknown"
    # an operator who checked decides to send it again: audited
    page = admin_client.get(f"/admin/outbox/{row.id}")
    assert b"Send again" in page.data
    assert admin_client.post(f"/admin/outbox/{row.id}/resend", csrf=False).status_code == 400
    response = admin_client.post(f"/admin/outbox/{row.id}/resend")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Notification, row.id).state == "sent"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "notification.resent"))
    assert event is not None and event.before["state"] == "unknown"


def test_a_421_at_rcpt_reopens_the_connection_for_the_next_messages(app, org, due, smtp_server):
    smtp_server.rcpt_replies = ["421 4.3.2 Service shutting down, closing channel"]
    counts = mailer.send_pending()
    assert _states(due)[0] == "retry"
    assert _states(due)[1:] == ["sent"] * (len(due) - 1)
    assert counts == {"retry": 1, "sent": len(due) - 1}
    assert len(set(smtp_server.peers)) == 1  # the rest on one new connection


# A sending process: it sends every due row over SMTP, as the periodic sender does.
SENDER = textwrap.dedent("""
    import sys
    from portal import create_app
    from portal.services import mailer
    app = create_app({"INSTANCE_PATH": sys.argv[1], "SQLALCHEMY_DATABASE_URI": sys.argv[2],
                      "SMTP_HOST": "127.0.0.1", "SMTP_PORT": int(sys.argv[3]), "SMTP_TIMEOUT": 60})
    with app.app_context():
        mailer.send_pending()
""")


def test_a_sender_killed_mid_batch_leaves_unknown_not_a_second_email(app, org, due, smtp_server):
    smtp_server.stall_on, smtp_server.stall_seconds = 2, 60.0  # killed while waiting for the 2nd reply
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, CREDWATCH_INSTANCE_PATH=app.instance_path)
    env.pop("REDIS_URL", None)
    db.session.commit()
    proc = subprocess.Popen([sys.executable, "-c", SENDER, app.instance_path, app.config["SQLALCHEMY_DATABASE_URI"],
                             str(app.config["SMTP_PORT"])], env=env, cwd=ROOT)
    try:
        assert smtp_server.stalled.wait(60), "the sender never reached the second message"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert _states(due) == ["sent", "delivering"] + ["sending"] * (len(due) - 2)
    smtp_server.stall_on = None
    # restarted after the lease: the unsent ones go once, the one in flight is not guessed at
    later = utcnow() + timedelta(seconds=app.config["MAIL_SEND_LEASE_SECONDS"] + 1)
    assert mailer.send_pending(later) == {"sent": len(due) - 2}
    assert _states(due) == ["sent", "unknown"] + ["sent"] * (len(due) - 2)
    assert len(smtp_server.messages) == len(due)  # each message reached the server exactly once
    assert len({m["Message-ID"] for m in smtp_server.messages}) == len(due)
    assert "may have been delivered" in db.session.get(Notification, due[1].id).last_error
