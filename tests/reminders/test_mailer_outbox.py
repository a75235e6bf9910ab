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
        context=kw.pop("context", {"message": "Please upload your BLS card.", "action_url": "http://x.test/me"}),
        **kw,
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


def test_non_ascii_subject_name_and_body_survive_the_eml(app, org):
    org.employee.first_name = "Zoë"
    row = mailer.queue(_generic(org, key="request:utf8", subject="Zoë’s BLS — please upload",
                                context={"message": "Grüße: a line with ‘quotes’ " + "x" * 120,
                                         "action_url": "http://x.test/me"}))
    db.session.commit()
    raw = mailer.outbox_path(row.id).read_bytes()
    assert raw.isascii()  # headers and bodies are encoded for any 7-bit transport
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == "Zoë’s BLS — please upload"
    assert msg["To"].addresses[0].display_name.startswith("Zoë")
    assert "Grüße: a line with ‘quotes’ " + "x" * 120 in msg.get_body(("plain",)).get_content()
    assert "Grüße" in msg.get_body(("html",)).get_content()
