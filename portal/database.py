"""Engine settings that make the embedded SQLite default safe to share.

The web process and the job consumer write to the same SQLite file. WAL lets
readers run beside a writer, and a busy timeout makes a writer wait for the
lock instead of failing at once with "database is locked".
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def configure_engine_options(app: Flask) -> None:
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if is_sqlite(app):
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    else:
        options.setdefault("pool_pre_ping", True)


def install_sqlite_pragmas(app: Flask) -> None:
    if not is_sqlite(app):
        return
    with app.app_context():
        from portal.extensions import db

        engine = db.engine

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def refresh_planner_statistics() -> None:
    """ANALYZE, so the query planner knows table sizes and index selectivity.

    Without statistics SQLite walks ``(state, expires_on)`` for every active
    credential where the person index answers in a fraction of the time; the
    nightly job and the demo seed run this after large changes.
    """
    from portal.extensions import db

    db.session.commit()
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("ANALYZE")
