"""The mailer's default delivery: .eml files in the instance outbox, at most once."""
from __future__ import annotations

import email
from email import policy

from portal.extensions import db
from portal.models import Notification
from portal.services import mailer


def _generic(org, key="request:1", **kw):
    return Notification(
        unique_key=key, kind=kw.pop("kind", "request"), person_id=org.employee.id,
        recipient_person_id=org.employee.id, recipient_email=org.employee.email,
        context={"message": "Please upload your BLS card.", "action_url": "http://x.test/me"}, **kw,
    )


def test_queue_sends_after_commit_to_the_outbox(app, org):
    row = mailer.queue(_generic(org))
    db.session.commit()  # huey.immediate: the send task runs now
    db.session.refresh(row)
    assert row.state == "sent" and row.attempts == 1
    path = mailer.outbox_path(row.id)
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["To"].addresses[0].addr_spec == org.employee.email
    assert msg["Message-ID"] == row.message_id
    assert "Please upload your BLS card." in msg.get_body(("plain",)).get_content()
    assert "Please upload your BLS card." in msg.get_body(("html",)).get_content()
    assert msg["Subject"] == "Please upload your certificate"


def test_queue_twice_with_the_same_key_adds_nothing(app, org):
    first = mailer.queue(_generic(org))
    second = mailer.queue(_generic(org))
    db.session.commit()
    assert first is second
    assert db.session.query(Notification).count() == 1
    assert len(list(mailer.outbox_folder().glob("*.eml"))) == 1


def test_a_sent_row_is_never_sent_again(app, org):
    row = mailer.queue(_generic(org))
    db.session.commit()
    assert mailer.send(row.id) is None
    assert mailer.send_pending() == {}
    db.session.refresh(row)
    assert row.attempts == 1


def test_rollback_enqueues_nothing(app, org):
    mailer.queue(_generic(org))
    db.session.rollback()
    assert not mailer.outbox_folder().exists() or not list(mailer.outbox_folder().glob("*.eml"))
