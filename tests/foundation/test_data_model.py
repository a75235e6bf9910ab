"""Migrations, the audit trail, demo seeding and database settings."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from portal.extensions import db
from portal.models import AuditEvent, Credential, Person, Requirement
from portal.services import audit
from tests.support import factories


def test_migrations_match_the_models(app):
    """Alembic finds no difference between the migrated schema and the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_audit_events_cannot_be_changed_through_the_orm(org):
    event = audit.record("test.happened", org.employee, after={"x": 1})
    db.session.commit()
    event.action = "rewritten"
    with pytest.raises(audit.AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_audit_events_cannot_be_deleted_in_sql(org):
    audit.record("test.happened", org.employee)
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_events"))
        db.session.flush()
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_events SET action = 'x'"))
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action)) == "test.happened"


def test_foreign_keys_are_enforced(app):
    db.session.add(Person(employee_id="X1", first_name="A", last_name="B", manager_id=424242))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_requirement_needs_exactly_one_of_role_or_project(org):
    db.session.add(Requirement(credential_type=org.bls))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_sqlite_runs_in_wal_mode(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_concurrent_writers_do_not_fail_with_database_locked(app):
    """Web and consumer write at once; the busy timeout makes them take turns."""
    import threading

    errors = []
    factories.small_org()

    def writer(n):
        with app.app_context():
            try:
                for i in range(15):
                    db.session.add(Person(employee_id=f"W{n}-{i}", first_name="W", last_name=str(i)))
                    db.session.commit()
            except Exception as exc:  # pragma: no cover - the failure we test for
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.scalar(select(db.func.count(Person.id)).where(Person.employee_id.like("W%"))) == 60


def test_credential_optimistic_locking(org):
    from sqlalchemy.orm.exc import StaleDataError

    cred = factories.credential(org.employee, org.bls, expires_on=date(2027, 1, 1))
    db.session.commit()
    db.session.execute(text("UPDATE credentials SET version = version + 1 WHERE id = :id"), {"id": cred.id})
    cred.license_number = "CHANGED"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()


def _demo_fingerprint():
    rows = db.session.execute(
        select(Person.employee_id, Person.first_name, Person.last_name, Person.manager_id)
        .order_by(Person.id)
    ).all()
    creds = db.session.execute(
        select(Credential.person_id, Credential.credential_type_id, Credential.license_number,
               Credential.issued_on, Credential.expires_on, Credential.state).order_by(Credential.id)
    ).all()
    return rows, creds


def test_demo_seed_is_deterministic_and_realistic(app, tmp_path):
    from portal import create_app, demo
    from flask_migrate import upgrade

    demo.seed(date(2026, 11, 29))
    first = _demo_fingerprint()
    counts = demo.counts()
    assert 140 <= counts["people"] <= 170
    assert counts["credentials"] >= 500
    assert counts["credential_types"] >= 25

    if db.engine.dialect.name == "sqlite":
        other_db = f"sqlite:///{tmp_path / 'second.db'}"
        other = create_app({"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": other_db})
        with other.app_context():
            upgrade(revision="heads")
            demo.seed(date(2026, 11, 29))
            second = _demo_fingerprint()
            db.session.remove()
        assert first == second


def test_demo_seed_spreads_states(app):
    import time_machine

    from portal import demo

    today = date(2026, 11, 29)
    # On the seed's day: its badges' windows and its checks' due dates are judged then.
    with time_machine.travel(datetime(2026, 11, 29, 9, tzinfo=UTC), tick=True):
        demo.seed(today)
        _assert_verification_spread(today)
    active = db.session.scalars(select(Credential).where(Credential.state == "active")).all()
    days = [(c.expires_on - today).days for c in active if c.expires_on]
    assert any(d < -30 for d in days), "expired"
    assert any(-30 <= d < 0 for d in days), "in grace"
    assert any(0 <= d <= 90 for d in days), "expiring soon"
    assert any(d > 90 for d in days), "valid"
    assert any(c.expires_on is None for c in active), "non-expiring"
    assert db.session.scalar(select(db.func.count()).where(Credential.state == "superseded")) > 0
    # The employee's rejected upload was told about when HR rejected it, not again by the seed's sender.
    from portal.models import Document, Notification

    told = db.session.execute(select(Notification, Document).join(Document, Document.id == Notification.document_id)
                              .where(Notification.kind == "review", Notification.step == "rejected")).one()
    assert told.Notification.state == "sent" and told.Notification.sent_at == told.Document.reviewed_at


def _assert_verification_spread(today):
    """The real verifiers ran over demo material: every standing a page shows is there."""
    from collections import Counter

    from portal.models import Verification, VerificationImport
    from portal.services import verification

    ids = list(db.session.scalars(select(Credential.id).where(Credential.state == "active")))
    statuses = Counter(s.status for s in verification.standings(ids, today).values())
    assert {"verified", "integrity_only", "failed", "due", "not_checked"} <= set(statuses)
    assert statuses["not_checked"] < len(ids) * 3 // 4  # a realistic share is checked
    checks = Counter(db.session.execute(select(Verification.method, Verification.outcome)).all())
    assert checks[("pdf_signature", "verified")] and checks[("pdf_signature", "failed")]
    assert checks[("pdf_signature", "integrity_only")]  # signed under a root nobody trusted
    assert checks[("open_badge", "verified")] and checks[("open_badge", "failed")]
    assert checks[("identifier", "integrity_only")] and checks[("roster", "failed")]
    imports = db.session.scalars(select(VerificationImport).order_by(VerificationImport.id)).all()
    assert [i.kind for i in imports] == ["roster", "roster", "exclusion"]
    assert imports[1].alerts == 1  # today's roster: the one nurse now on probation
    assert imports[2].matched == 0 and len(imports[2].errors) == 1  # a near miss to check by hand


def test_demo_seed_cli_refuses_non_empty_database(runner, org):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0
    assert "not empty" in result.output
    result = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert result.exit_code == 0
    assert "skipped" in result.output


def test_migrations_have_one_head(app):
    """Branches from parallel work are merged, so `flask db upgrade` needs no options."""
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
