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
A transaction takes its turn and reads the head once: later flushes and bulk
rows in it carry on from the head it keeps in ``session.info``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from portal.models import AuditEvent

GENESIS = "0" * 64
_LOCK_ID = 0x63726564  # "cred": the advisory lock for appending to the chain
_HEAD = "audit_chain_head"  # session.info: (seq, hash) of this transaction's last link


@lru_cache(maxsize=4)
def _derived_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"credwatch.audit-chain.v1", hashlib.sha256).digest()


def _key() -> bytes:
    return _derived_key(current_app.config["SECRET_KEY"])


def _content(e: AuditEvent) -> bytes:
    return json.dumps({
        "seq": e.chain_seq, "at": e.occurred_at.isoformat() if e.occurred_at else None,
        "actor_user_id": e.actor_user_id, "actor_label": e.actor_label, "action": e.action,
        "entity_type": e.entity_type, "entity_id": e.entity_id, "before": e.before, "after": e.after,
        "ip": e.ip_address, "reason": e.reason, "request_id": e.request_id,
    }, sort_keys=True, default=str, separators=(",", ":")).encode()


def link_hash(previous: str, e: AuditEvent) -> str:
    return hmac.new(_key(), previous.encode() + b"|" + _content(e), hashlib.sha256).hexdigest()


def _take_turn(session: Session) -> tuple[int, str]:
    """The head to link onto: this transaction's last link, or, at its
    first event, the stored head, read once the turn is taken."""
    head = session.info.get(_HEAD)
    if head is not None:
        return head
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    with session.no_autoflush:
        row = session.execute(select(AuditEvent.chain_seq, AuditEvent.chain_hash)
                              .where(AuditEvent.chain_seq.is_not(None))
                              .order_by(AuditEvent.chain_seq.desc()).limit(1)).first()
    return (row.chain_seq, row.chain_hash) if row else (0, GENESIS)


def _link(session: Session, events) -> None:
    """Give ``events`` (objects with the event's attributes) the next places."""
    seq, previous = _take_turn(session)
    for e in events:
        seq += 1
        e.chain_seq = seq
        e.chain_hash = previous = link_hash(previous, e)
    session.info[_HEAD] = (seq, previous)


@event.listens_for(Session, "before_flush")
def _link_new_events(session: Session, _context, _instances) -> None:
    new = [o for o in session.new if isinstance(o, AuditEvent) and o.chain_seq is None]
    if new:
        _link(session, new)


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction) -> None:
    # Committed, rolled back or a savepoint ended (not a flush's own inner
    # transaction): the next event reads the head again, so a rolled-back
    # savepoint's links are not built on.
    if transaction.parent is None or transaction.nested:
        session.info.pop(_HEAD, None)


def link_rows(session: Session, rows: list[dict]) -> list[dict]:
    """Chain rows about to go in with one Core INSERT, in this transaction."""
    for row in rows:
        row.setdefault("reason", None)
        row.setdefault("request_id", None)
    events = [SimpleNamespace(**row) for row in rows]
    _link(session, events)
    for row, e in zip(rows, events):
        row["chain_seq"], row["chain_hash"] = e.chain_seq, e.chain_hash
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
