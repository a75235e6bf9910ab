"""Rate-limit counters in the portal's own database, shared by every worker.

Flask-Limiter's ``memory://`` store is per process: with two gunicorn
workers a "10 per minute" sign-in limit let 20 tries through. Without Redis
the counters live in ``rate_limit_counters`` (fixed windows: a key, its hit
count and when the window ends), so every worker and every instance on the
same database agrees. With ``REDIS_URL`` the Redis store is used instead.

Registered with ``limits`` under the scheme ``credwatch-sql://``; the
storage options hand it the app's own engine (``storage_options``), so the
counters use its connection pool and its SQLite or PostgreSQL settings (WAL
and ``synchronous=NORMAL``, the busy timeout, ``jit=off``), not a second
pool per worker with the driver's defaults (on SQLite that cost a pre-ping
and a full sync on every hit).
"""
from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.exc import SQLAlchemyError

from portal.models.rate_limits import rate_limit_counters as counters


class SQLStorage(Storage):
    STORAGE_SCHEME = ["credwatch-sql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.engine = options.pop("engine")

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def _insert(self, conn):
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(counters)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.engine.begin() as conn:
            stmt = self._insert(conn).values(key=key, hits=amount, expires_at=now + expiry)
            # One statement: a new window when the old one has ended, else one more hit.
            expired = counters.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(index_elements=[counters.c.key], set_={
                "hits": case((expired, amount), else_=counters.c.hits + amount),
                "expires_at": case((expired, now + expiry), else_=counters.c.expires_at),
            }).returning(counters.c.hits)
            return int(conn.execute(stmt).scalar_one())

    def _row(self, key: str):
        with self.engine.connect() as conn:
            return conn.execute(select(counters.c.hits, counters.c.expires_at)
                                .where(counters.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row and row.expires_at > time.time() else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(counters).where(counters.c.key == key))


def storage_options(app) -> dict:
    """``RATELIMIT_STORAGE_OPTIONS`` for ``credwatch-sql://``: the app's engine."""
    from portal.extensions import db

    with app.app_context():
        return {"engine": db.engine}


__all__ = ["SQLStorage", "storage_options"]
