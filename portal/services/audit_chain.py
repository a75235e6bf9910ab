"""Tamper evidence for the audit trail: every event is a link in an HMAC chain.

The triggers stop an UPDATE or DELETE, but the app's own database role can
drop a trigger or TRUNCATE the table. So each new event gets the next
``chain_seq`` and ``chain_hash = HMAC(secret, previous hash + its content)``,
with a key derived from the app's secret, which the database does not hold:
a changed, deleted or inserted row breaks the chain at that point, and
``verify()`` (``flask audit verify``, the admin page *Audit chain*) reports
the first broken link. Truncating the end of the chain is caught by
comparing the head (shown on the page) with one noted elsewhere.

Links are added in the transaction that records the events. On PostgreSQL a
transaction-scoped advisory lock makes writers take their turn, so two
transactions never pick the same place; SQLite has one writer at a time.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from portal.models import AuditEvent

GENESIS = "0" * 64
_LOCK_ID = 0x63726564  # "cred": the advisory lock for appending to the chain


def _key() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"credwatch.audit-chain.v1", hashlib.sha256).digest()


def _content(e: AuditEvent) -> bytes:
    return json.dumps({
        "seq": e.chain_seq, "at": e.occurred_at.isoformat() if e.occurred_at else None,
        "actor_user_id": e.actor_user_id, "actor_label": e.actor_label, "action": e.action,
        "entity_type": e.entity_type, "entity_id": e.entity_id, "before": e.before, "after": e.after,
        "ip": e.ip_address, "reason": e.reason, "request_id": e.request_id,
    }, sort_keys=True, default=str, separators=(",", ":")).encode()


def link_hash(previous: str, e: AuditEvent) -> str:
    return hmac.new(_key(), previous.encode() + b"|" + _content(e), hashlib.sha256).hexdigest()


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditEvent.chain_seq, AuditEvent.chain_hash)
                          .where(AuditEvent.chain_seq.is_not(None))
                          .order_by(AuditEvent.chain_seq.desc()).limit(1)).first()
    return (row.chain_seq, row.chain_hash) if row else (0, GENESIS)


@event.listens_for(Session, "before_flush")
def _link_new_events(session: Session, _context, _instances) -> None:
    new = [o for o in session.new if isinstance(o, AuditEvent) and o.chain_seq is None]
    if not new:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    with session.no_autoflush:
        seq, previous = _head(session)
    for e in new:
        seq += 1
        e.chain_seq = seq
        e.chain_hash = link_hash(previous, e)
        previous = e.chain_hash


def link_rows(session: Session, rows: list[dict]) -> list[dict]:
    """Chain rows about to go in with one Core INSERT (after an ORM-recorded
    event in the same transaction, which took the turn)."""
    seq, previous = _head(session)
    for row in rows:
        row.setdefault("reason", None)
        row.setdefault("request_id", None)
        seq += 1
        row["chain_seq"] = seq
        row["chain_hash"] = previous = link_hash(previous, AuditEvent(**{**row, "chain_seq": seq}))
    return rows


@dataclass
class ChainReport:
    ok: bool
    checked: int
    unchained: int           # events from before the chain existed
    head_seq: int
    head_hash: str
    broken_at: int | None = None   # the chain_seq where it first breaks
    problem: str | None = None


def verify(session=None) -> ChainReport:
    """Walk the chain in order; report the first link that does not hold."""
    from portal.extensions import db

    session = session or db.session
    unchained = session.scalar(select(text("count(*)")).select_from(AuditEvent).where(
        AuditEvent.chain_seq.is_(None))) or 0
    previous, expected, checked = GENESIS, 1, 0
    rows = session.scalars(select(AuditEvent).where(AuditEvent.chain_seq.is_not(None))
                           .order_by(AuditEvent.chain_seq).execution_options(yield_per=1000))
    for e in rows:
        if e.chain_seq != expected:
            return ChainReport(False, checked, unchained, expected - 1, previous, expected,
                               f"event number {expected} is missing (the next one is {e.chain_seq})")
        if not hmac.compare_digest(link_hash(previous, e), e.chain_hash or ""):
            return ChainReport(False, checked, unchained, e.chain_seq, previous, e.chain_seq,
                               f"event number {e.chain_seq} (id {e.id}, {e.action}) was changed or replaced")
        previous, expected, checked = e.chain_hash, expected + 1, checked + 1
    return ChainReport(True, checked, unchained, expected - 1, previous)
