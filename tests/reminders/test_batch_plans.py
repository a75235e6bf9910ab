"""A sending batch reads its holders' rows by the person index, with or without planner statistics."""
from __future__ import annotations

import pytest
from sqlalchemy.dialects import sqlite

from portal.extensions import db
from portal.services.reminders import content


def test_the_held_credentials_of_a_batch_are_found_by_person(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL is measured by bench/reminders.py")
    statement = content.held_credentials([3, 5, 8]).compile(dialect=sqlite.dialect(),
                                                            compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:  # a fresh test database: no ANALYZE has run
        plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}"))
    assert "USING INDEX ix_credentials_person" in plan and "state_expires" not in plan, plan
