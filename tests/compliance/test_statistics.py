"""Planner statistics are refreshed when a transaction that wrote many rows
in bulk commits (an HRIS upsert, an import), not after small edits; without
them SQLite and PostgreSQL read whole tables where an index answers."""
from __future__ import annotations

from sqlalchemy import text

from portal import database
from portal.extensions import db
from portal.services import people_sync
from tests.support import factories


def _analyses(table: str) -> int:
    """How many times ``table`` has been analysed (SQLite: whether it has
    statistics at all, after ``_forget_statistics``)."""
    if db.engine.dialect.name == "sqlite":
        has_stats = db.session.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar()
        return int(bool(has_stats) and bool(db.session.execute(
            text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}).scalar()))
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    return db.session.execute(text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = :t"),
                              {"t": table}).scalar()


def _forget_statistics():
    if db.engine.dialect.name == "sqlite" and db.session.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar():
        db.session.execute(text("DELETE FROM sqlite_stat1"))
    db.session.commit()
    return _analyses("people")


def _hire(n: int, prefix: str):
    return [{"employee_id": f"{prefix}{i:05d}", "first_name": "Bulk", "last_name": str(i)} for i in range(n)]


def test_a_bulk_upsert_analyses_the_tables_it_wrote_when_it_commits(app):
    before = _forget_statistics()
    people_sync.apply_people(_hire(database.BULK_ROWS_FOR_STATISTICS, "B"), "test")
    db.session.flush()
    assert _analyses("people") == before  # not before the commit
    db.session.commit()
    assert _analyses("people") == before + 1


def test_small_writes_and_rolled_back_ones_analyse_nothing(app):
    before = _forget_statistics()
    people_sync.apply_people(_hire(3, "S"), "test")
    db.session.commit()
    factories.person("Pat")
    db.session.commit()
    assert _analyses("people") == before
    people_sync.apply_people(_hire(database.BULK_ROWS_FOR_STATISTICS, "R"), "test")
    db.session.rollback()
    db.session.commit()
    assert _analyses("people") == before
