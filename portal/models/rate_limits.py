"""Rate-limit counters shared by every web worker (see portal.rate_limits)."""
from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table

from portal.models.base import Base

# A fixed window per key: its hits and when it ends (epoch seconds).
rate_limit_counters = Table(
    "rate_limit_counters", Base.metadata,
    Column("key", String(255), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_at", Float, nullable=False),
)
