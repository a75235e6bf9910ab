"""Engine settings for the embedded SQLite default and for PostgreSQL.

The web process and the job consumer write to the same SQLite file. WAL lets
readers run beside a writer, and a busy timeout makes a writer wait for the
lock instead of failing at once with "database is locked".

On PostgreSQL, JIT compilation is switched off for our sessions: the
planner cannot estimate a recursive reporting-line query and guesses
hundreds of thousands of rows, which triggers JIT that costs ~200 ms to
compile a query that runs in 5. Pages here are short queries, where JIT
never pays.
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import ARRAY, Integer, Select, any_, bindparam, event, select, text
from sqlalchemy.orm import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def configure_engine_options(app: Flask) -> None:
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if is_sqlite(app):
        options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        return
    options.setdefault("pool_pre_ping", True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        connect_args = options.setdefault("connect_args", {})
        connect_args["options"] = " ".join(filter(None, (connect_args.get("options"), "-c jit=off")))


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


# A write of at least this many rows in one statement set changes a table's
# shape enough for the planner's old picture of it to mislead.
BULK_ROWS_FOR_STATISTICS = 500
# SQLite: rows ANALYZE reads per index (approximate statistics, bounded cost
# on a registry of millions).
SQLITE_ANALYSIS_LIMIT = 2000


def refresh_planner_statistics() -> None:
    """Commit, then ANALYZE every table, so the query planner knows table
    sizes and index selectivity.

    Without statistics SQLite walks ``(state, expires_on)`` for every active
    credential where the person index answers in a fraction of the time, and
    a reminder batch reads the whole registry. Bulk writes (imports, API
    bulk upserts, snapshot refreshes) analyse the tables they wrote when they
    commit (``note_bulk_write``); the nightly job and the demo seed run this
    for everything.
    """
    from portal.extensions import db

    db.session().info.pop("bulk_writes", None)  # analysed below with the rest, once
    db.session.commit()
    _analyse(db.engine, [])


def _analyse(engine, tables: list[str]) -> None:
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            for table in tables or [""]:
                conn.exec_driver_sql(f"ANALYZE {table}".strip())
        else:
            conn.exec_driver_sql("ANALYZE " + ", ".join(tables) if tables else "ANALYZE")


def note_bulk_write(table: str, rows: int) -> None:
    """Remember that this transaction wrote ``rows`` rows of ``table`` in
    bulk: once it commits, the tables written in bulk are analysed."""
    from portal.extensions import db

    written = db.session().info.setdefault("bulk_writes", {})
    written[table] = written.get(table, 0) + rows


@event.listens_for(Session, "after_commit")
def _analyse_after_bulk_commit(session: Session) -> None:
    written = session.info.pop("bulk_writes", None)
    if not written:
        return
    tables = sorted(table for table, rows in written.items() if rows >= BULK_ROWS_FOR_STATISTICS)
    if tables:
        _analyse(session.get_bind(), tables)


@event.listens_for(Session, "after_rollback")
def _forget_bulk_writes(session: Session) -> None:
    session.info.pop("bulk_writes", None)


def unindexed(column):
    """``column`` as an expression no index answers (``n + 0``, ``s || ''``).

    Without planner statistics (a fresh database, after a bulk import) both
    engines answer a test such as ``state = 'active'`` next to a list of
    people from the (state, expires_on) index, reading every active record
    of the registry, where the person index reads a few. Wrapping the column
    leaves the person index as the only one that fits."""
    from sqlalchemy import literal

    return column + 0 if isinstance(column.type, Integer) else column.concat(literal(""))


def settled_ids(ids: Select) -> Select:
    """The same ids, in a form the query planner can count.

    PostgreSQL cannot estimate a recursive query (a reporting line) and
    guesses it holds hundreds of thousands of people, so every query that
    filters by it scans whole tables instead of using the person indexes.
    Read the ids once and hand them back as one array parameter, whose
    length the planner sees. SQLite plans the recursive query well and
    takes it as it is.
    """
    from portal.extensions import db

    if db.engine.dialect.name != "postgresql":
        return ids
    column = ids.selected_columns[0]
    # The same guess makes it hash every person for each step of the
    # recursion; without hash joins it walks the manager index instead, so
    # reading a line costs its size, not the organisation's.
    db.session.execute(text("SET LOCAL enable_hashjoin = off"))
    try:
        members = db.session.scalars(ids).all()
    finally:
        db.session.execute(text("SET LOCAL enable_hashjoin TO DEFAULT"))
    return select(column).where(column == any_(bindparam("settled_ids", members, type_=ARRAY(Integer))))
