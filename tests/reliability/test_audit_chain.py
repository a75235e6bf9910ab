"""The audit trail is tamper-evident: the chain finds the first broken link."""
from __future__ import annotations

from sqlalchemy import text

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit, people_sync
from portal.services.audit_chain import verify


def _events(org, n=5):
    for i in range(n):
        audit.record("person.note", org.employee, after={"i": i})
    db.session.commit()
    return [e.chain_seq for e in db.session.query(AuditEvent).order_by(AuditEvent.chain_seq)]


def _bypass_triggers(sql):
    """What the app's role can do at a SQL prompt: drop the guard, then edit."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
            conn.exec_driver_sql(sql)
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER USER")
        else:
            names = [r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_events'")]
            saved = [r[0] for r in conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_events'")]
            for name in names:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            conn.exec_driver_sql(sql)
            for statement in saved:
                conn.exec_driver_sql(statement)
    db.session.expire_all()


def test_an_untouched_trail_holds(app, org):
    seqs = _events(org)
    assert seqs == sorted(seqs) and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    report = verify()
    assert report.ok and report.checked == len(seqs) and report.unchained == 0


def test_one_transactions_flushes_bulk_rows_and_rolled_back_savepoint_make_one_chain(app, org):
    audit.record("person.note", org.employee, after={"i": 0})
    db.session.flush()
    people_sync.record_many([("person.note", "Person", org.employee.id, None, {"i": i}) for i in (1, 2, 3)], "test")
    savepoint = db.session.begin_nested()
    audit.record("person.note", org.employee, after={"i": "rolled back"})
    db.session.flush()
    savepoint.rollback()
    audit.record("person.note", org.employee, after={"i": 4})
    db.session.commit()
    audit.record("person.note", org.employee, after={"i": 5})
    db.session.commit()
    notes = db.session.query(AuditEvent).filter_by(action="person.note").order_by(AuditEvent.chain_seq).all()
    assert [e.after["i"] for e in notes] == [0, 1, 2, 3, 4, 5]
    seqs = [e.chain_seq for e in db.session.query(AuditEvent).order_by(AuditEvent.chain_seq)]
    assert seqs == list(range(1, len(seqs) + 1))
    report = verify()
    assert report.ok and report.checked == len(seqs)


def test_an_edited_event_is_the_first_broken_link(app, org):
    seqs = _events(org)
    _bypass_triggers(f"UPDATE audit_events SET actor_label = 'someone else' WHERE chain_seq = {seqs[2]}")
    report = verify()
    assert not report.ok and report.broken_at == seqs[2] and "changed" in report.problem


def test_a_deleted_event_is_found(app, org):
    seqs = _events(org)
    _bypass_triggers(f"DELETE FROM audit_events WHERE chain_seq = {seqs[1]}")
    report = verify()
    assert not report.ok and report.broken_at == seqs[1] and "missing" in report.problem


def test_the_command_and_the_admin_page_report_it(app, org, runner, login):
    seqs = _events(org)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    _bypass_triggers(f"DELETE FROM audit_events WHERE chain_seq = {seqs[3]}")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"BROKEN at event number {seqs[3]}" in result.output
    page = login(org.admin_user).get("/admin/audit/chain")
    assert page.status_code == 409 and f"broken at entry number {seqs[3]}" in page.get_data(as_text=True)
