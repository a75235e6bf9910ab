"""Sending in batches: one claim per batch, context loaded with a fixed number
of queries, outcomes stored in bulk — and still at most once per row."""
from __future__ import annotations

import email
from datetime import date, timedelta
from email import policy

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Notification, utcnow
from portal.services import mailer, reminders
from tests.support import factories

EXPIRES = date(2026, 6, 30)
ON = EXPIRES - timedelta(days=30)


def _team(org, size):
    """``size`` more nurses under Max, each with a BLS expiring on EXPIRES."""
    factories.default_policy()
    for i in range(size):
        nurse = factories.person("Nurse", f"N{i}", manager=org.manager, job_role=org.role)
        factories.credential(nurse, org.bls, expires_on=EXPIRES, license_number=f"BLS-{i}")
    factories.credential(org.employee, org.bls, expires_on=EXPIRES, license_number="BLS-E")
    db.session.commit()
    reminders.scan(ON)
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.state == "pending"))


def test_statements_per_batch_do_not_grow_with_the_rows(app, org, count_queries):
    app.config["MAIL_BATCH_SIZE"] = 20
    # 30 holders: 30 reminders + 30 manager escalations; the director and the
    # manager hold no BLS: 2 missing-requirement notices
    due = _team(org, 29)
    assert due == 62
    with count_queries() as q:
        assert mailer.send_pending(limit=None) == {"sent": 62}
    batches = 4
    # per batch: select due ids, claim, load rows, people, failing addresses,
    # credentials, types, issuers, policies, held records, open documents,
    # one executemany of outcomes; plus the final empty due-ids query
    assert len(q.statements) <= batches * 12 + 1, q.statements
    files = sorted(mailer.outbox_folder().glob("*.eml"))
    assert len(files) == 62
    rows = {n.id: n for n in db.session.scalars(select(Notification))}
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        row = rows[int(msg["X-Credwatch-Notification"])]
        assert row.state == "sent" and row.message_id == msg["Message-ID"] and row.attempts == 1
        assert msg["To"].addresses[0].addr_spec == row.recipient_email
        assert msg["Subject"] == row.subject


def test_a_batch_claim_takes_only_rows_nobody_holds(app, org):
    _team(org, 3)
    ids = list(db.session.scalars(select(Notification.id).where(Notification.state == "pending")
                                  .order_by(Notification.id)))
    now = utcnow()
    assert mailer.claim(ids[0], now)  # another worker holds the first row
    assert mailer.claim_batch(ids, now) == ids[1:]
    assert mailer.claim_batch(ids, now) == []  # nobody gets a row twice
    # a dead worker's claims are taken again only after the lease
    later = now + timedelta(seconds=app.config["MAIL_SEND_LEASE_SECONDS"] + 1)
    assert mailer.claim_batch(ids, later) == ids


def test_a_batch_lost_before_its_outcomes_is_resent_as_the_same_files(app, org):
    _team(org, 4)
    now = utcnow()
    ids = mailer.claim_batch(mailer.due_ids(now), now)
    assert len(ids) == 12  # 5 reminders, 5 escalations, 2 missing
    # the worker wrote some files and died before storing outcomes
    with app.app_context():
        for row in db.session.scalars(select(Notification).where(Notification.id.in_(ids[:4]))):
            mailer.write_to_outbox(row, mailer.build_message(row))
    first = {p.name: p.read_bytes() for p in mailer.outbox_folder().glob("*.eml")}
    assert mailer.send_pending(now + timedelta(minutes=1)) == {}  # still claimed
    later = now + timedelta(seconds=app.config["MAIL_SEND_LEASE_SECONDS"] + 1)
    assert mailer.send_pending(later) == {"sent": 12}
    again = {p.name: p.read_bytes() for p in mailer.outbox_folder().glob("*.eml")}
    assert len(again) == 12 and set(first) <= set(again)
    for name, data in first.items():
        before = email.message_from_bytes(data, policy=policy.default)
        after = email.message_from_bytes(again[name], policy=policy.default)
        assert before["Message-ID"] == after["Message-ID"]
    assert not list(mailer.outbox_folder().glob("*.tmp"))


def test_a_refused_address_skips_its_later_rows_in_the_same_batch(app, org, smtp_server):
    factories.default_policy()
    factories.credential(org.employee, org.bls, expires_on=EXPIRES)
    other = factories.credential_type("ACLS Provider", code="AHA-ACLS")
    factories.credential(org.employee, other, expires_on=EXPIRES)
    db.session.commit()
    reminders.scan(ON)
    smtp_server.rcpt_replies = ["550 5.1.1 No such user"]
    counts = mailer.send_pending()
    to_erin = db.session.scalars(select(Notification).where(
        Notification.recipient_email == org.employee.email).order_by(Notification.id)).all()
    assert [n.state for n in to_erin] == ["failed", "skipped"]
    assert counts["failed"] == 1 and counts["skipped"] == 1
    assert not any(m["To"].addresses[0].addr_spec == org.employee.email for m in smtp_server.messages)



def test_a_batch_shares_smtp_connections(app, org, smtp_server):
    """Messages in a batch go over one connection, a fresh one every
    SMTP_MESSAGES_PER_CONNECTION messages."""
    assert _team(org, 2) == 8  # 3 reminders, 3 escalations, 2 missing-requirement notices
    app.config["SMTP_MESSAGES_PER_CONNECTION"] = 3
    assert mailer.send_pending() == {"sent": 8}
    assert len(smtp_server.messages) == 8
    assert len(set(smtp_server.peers)) == 3  # 3 + 3 + 2


def test_a_dropped_connection_fails_one_message_and_the_batch_goes_on(app, org, smtp_server):
    assert _team(org, 1) == 6
    smtp_server.data_replies = [None, "421 4.3.2 Service shutting down"]
    assert mailer.send_pending() == {"sent": 5, "retry": 1}
    assert len(set(smtp_server.peers)) == 2  # the 421 closed the first connection
