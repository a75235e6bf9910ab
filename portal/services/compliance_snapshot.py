"""Keep the stored compliance snapshot current, and read it in SQL.

Re-evaluation happens at once: a session hook notes which people a flush
touched (their credentials, CE hours logged, documents, assignments, job
role), or which groups a rule change touched (a role's or project's
requirements, a type's policy or validity, the default policy), and refreshes those people's rows
just before the transaction commits, in the same transaction. A nightly job
refreshes everyone, so that assignments starting or ending move with the
calendar. Bulk SQL statements bypass the hook; callers of those call
``refresh_people`` themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain, islice
from typing import Iterable

from flask import has_app_context
from sqlalchemy import Select, and_, case, delete, event, func, inspect, literal, or_, select
from sqlalchemy.orm import Session

from portal.database import note_bulk_write
from portal.extensions import db
from portal.models import (
    Assignment,
    CeActivity,
    Credential,
    CredentialType,
    Document,
    Person,
    Project,
    ReminderChange,
    ReminderPolicy,
    Requirement,
    RequirementSnapshot,
    today,
    utcnow,
)
from portal.policies.compliance import SEVERITY, Status
from portal.services import compliance_rollup
from portal.services.compliance import load_facts
from portal.services.renewal_slack import renewal_slack

RS = RequirementSnapshot
CHUNK = 2000


# --- reading the snapshot -------------------------------------------------

def _needs_attention(on: date):
    """SQL: the row is anything but compliant on ``on`` before a pending
    document is considered (missing, or past its warning, lapse or expiry day)."""
    return or_(RS.credential_id.is_(None), RS.warn_from <= on, RS.lapses_on <= on, RS.expired_from <= on)


def _state_case(on: date, value):
    # One flat CASE, evaluated once per row: a pending document covers any
    # state but compliant (the engine's apply_pending), then the timeline
    # decides in the order Timeline.status_on does.
    return case(
        (and_(RS.pending, _needs_attention(on)), value(Status.PENDING_REVIEW)),
        (RS.credential_id.is_(None), value(Status.MISSING)),
        (RS.expired_from <= on, value(Status.EXPIRED)),
        (RS.lapses_on <= on, value(Status.IN_GRACE)),
        (RS.warn_from <= on, value(Status.EXPIRING)),
        else_=value(Status.COMPLIANT),
    )


def status_expression(on: date):
    """SQL for the requirement state on ``on`` — the engine's Timeline.status_on
    and apply_pending, as date comparisons on the stored timeline."""
    return _state_case(on, lambda status: literal(str(status)))


def severity_expression(on: date):
    """SQL for the state's rank in SEVERITY (0 = worst), for ordering people by
    their most urgent requirement without comparing strings."""
    return _state_case(on, lambda status: literal(SEVERITY.index(status)))


def valid_expression(on: date):
    """SQL: the requirement is met on ``on`` (held and not yet lapsed)."""
    return and_(RS.credential_id.is_not(None), or_(RS.lapses_on.is_(None), RS.lapses_on > on))


@dataclass(frozen=True)
class StateCounts:
    """Requirement rows per state on a day, and how many of them are met."""

    by_status: dict[str, int]
    valid: int
    expiring_within: dict[int, int]  # held credentials expiring in the next N days (today included)


def state_counts(where, on: date, windows: tuple[int, ...] = ()) -> StateCounts:
    """Count the snapshot rows matching ``where`` per state on ``on``, in one pass.

    The same answer as grouping by ``status_expression``, but each count is a
    plain date comparison rather than a CASE and a sort per row (about half
    the time over an organisation). It relies on a timeline's days never
    going backwards, so a row past ``lapses_on`` is also past ``warn_from``:
    in grace = lapsed - expired, expiring = warned - lapsed. Rows with a
    document pending count as pending review once they need attention.
    """
    settled = RS.pending.is_(False)
    held = RS.credential_id.is_not(None)

    def rows(*conditions):
        return func.count().filter(and_(*conditions))

    columns = {
        "total": func.count(),
        "pending_review": rows(RS.pending, or_(RS.credential_id.is_(None), RS.warn_from <= on)),
        "missing": rows(settled, RS.credential_id.is_(None)),
        "expired": rows(settled, held, RS.expired_from <= on),
        "lapsed": rows(settled, held, RS.lapses_on <= on),
        "warned": rows(settled, held, RS.warn_from <= on),
        "unmet": rows(or_(RS.credential_id.is_(None), RS.lapses_on <= on)),
    }
    for days in windows:
        columns[f"within_{days}"] = rows(held, RS.expires_on >= on, RS.expires_on <= on + timedelta(days=days))
    row = db.session.execute(select(*(c.label(name) for name, c in columns.items())).where(*where)).one()
    n = row._mapping
    by_status = {
        str(Status.EXPIRED): n["expired"],
        str(Status.IN_GRACE): n["lapsed"] - n["expired"],
        str(Status.EXPIRING): n["warned"] - n["lapsed"],
        str(Status.MISSING): n["missing"],
        str(Status.PENDING_REVIEW): n["pending_review"],
    }
    by_status[str(Status.COMPLIANT)] = n["total"] - sum(by_status.values())
    return StateCounts(by_status={k: v for k, v in by_status.items() if v},
                       valid=n["total"] - n["unmet"],
                       expiring_within={days: n[f"within_{days}"] for days in windows})


# --- writing the snapshot -------------------------------------------------

def _chunks(ids: Iterable[int], size: int = CHUNK):
    it = iter(ids)
    while batch := list(islice(it, size)):
        yield batch


def _serialise_refreshes(person_ids: list[int]) -> None:
    """One refresh of a person at a time, until its transaction ends.

    On PostgreSQL two transactions refreshing the same person (two of their
    documents finishing together) would both delete the old rows and both
    insert new ones: the second insert breaks uq_requirement_states_person_type.
    Locking the people first (in id order, so two batches cannot deadlock)
    makes the second wait, and its delete then sees the first one's rows.
    SQLite already lets one writer in at a time.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(
        select(Person.id).where(Person.id.in_(person_ids)).order_by(Person.id).with_for_update(key_share=True)
    )


def refresh_people(person_ids: Iterable[int] | Select, on: date | None = None, tallies: bool = True,
                   changed: Iterable[int] | None = None) -> int:
    """Re-evaluate these people and replace their snapshot rows and roll-ups
    (moving their departments' tallies too, unless ``tallies`` is false
    because the caller rebuilds them all). Returns rows written.

    ``changed``: the people among them whose own records changed (their
    credentials or documents; None: all of them). They, and everyone whose
    snapshot rows come out different, are noted for the reminder scan
    (``ReminderChange``), which reads only the people changed since it last ran."""
    on = on or today()
    if isinstance(person_ids, Select):
        person_ids = db.session.scalars(person_ids).all()
    changed = None if changed is None else set(changed)
    written = 0
    slack = None  # the renew-now rule, read with the first batch for every batch
    for batch in _chunks(sorted(set(person_ids))):
        slack = slack or renewal_slack()
        _serialise_refreshes(batch)
        # Assignments up to the forecast's horizon: today's states need only
        # today's, the roll-up's forecast the ones starting or ending later.
        facts = load_facts(batch, on, compliance_rollup.forecast_horizon(on))
        before = None if changed is None else _scanned_rows(batch)
        db.session.execute(delete(RS).where(RS.person_id.in_(batch)))
        rows = []
        rows_by_person: dict[int, list[dict]] = {}
        now = utcnow()
        for person_id, states in facts.states_on(on).items():
            rows_by_person[person_id] = []
            for s in states:
                line = s.timeline
                rows.append({
                    "person_id": person_id,
                    "credential_type_id": s.credential_type_id,
                    "credential_id": s.credential_id,
                    "expires_on": s.expires_on,
                    "expiry_predicted": s.expiry_predicted,
                    "pending": s.pending,
                    "warn_from": line.warn_from if line else None,
                    "lapses_on": line.lapses_on if line else None,
                    "expired_from": line.expired_from if line else None,
                    "lead_days": s.lead_days,
                    "warn_days": s.warn_days,
                    "grace_days": s.grace_days,
                    "sources": [list(src) for src in s.sources],
                    "evaluated_on": on,
                    "refreshed_at": now,
                })
                rows_by_person[person_id].append(rows[-1])
        if rows:
            db.session.execute(RS.__table__.insert(), rows)  # Core: no ORM bookkeeping per row
        compliance_rollup.apply(batch, rows_by_person, on, tallies=tallies,
                                restaffed=compliance_rollup.restaffed_figures_of(facts, on),
                                risks=compliance_rollup.risks_of(facts, on), slack=slack)
        if before is None:
            note_reminder_changes(batch, now)
        else:
            after = {person_id: {_scanned(row) for row in found} for person_id, found in rows_by_person.items()}
            note_reminder_changes([p for p in batch if p in changed or before.get(p, set()) != after.get(p, set())],
                                  now)
        written += len(rows)
    note_bulk_write(RS.__tablename__, written)
    return written


# What the reminder scan reads of a snapshot row: a refresh that leaves these
# as they were (the nightly one, mostly) is no change to it.
SCANNED_COLUMNS = ("credential_type_id", "credential_id", "expires_on", "lapses_on", "pending")


def _scanned(row: dict) -> tuple:
    return tuple(row[name] for name in SCANNED_COLUMNS)


def _scanned_rows(person_ids: list[int]) -> dict[int, set[tuple]]:
    found: dict[int, set[tuple]] = {}
    for person_id, *values in db.session.execute(
            select(RS.person_id, *(getattr(RS, name) for name in SCANNED_COLUMNS)).where(RS.person_id.in_(person_ids))):
        found.setdefault(person_id, set()).add(tuple(values))
    return found


def note_reminder_changes(person_ids: list[int], at) -> None:
    """Record that what the reminder scan reads of these people changed at ``at``."""
    if not person_ids:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(ReminderChange)
    db.session.execute(statement.on_conflict_do_update(index_elements=["person_id"],
                                                       set_={"changed_at": statement.excluded.changed_at}),
                       [{"person_id": p, "changed_at": at} for p in person_ids])


def refresh_everyone(on: date | None = None) -> int:
    """Re-evaluate everyone, then sum the roll-ups afresh (cheaper than
    moving the tallies batch by batch). Only people whose snapshot rows
    change are noted for the reminder scan."""
    on = on or today()
    written = refresh_people(select(Person.id), on, tallies=False, changed=())
    compliance_rollup.rebuild_tallies(on)
    return written


# --- re-evaluation on change ------------------------------------------------

def _pending(session: Session) -> dict:
    return session.info.setdefault(
        "compliance_dirty", {"people": set(), "roles": set(), "projects": set(), "types": set(),
                             "credentials": set(), "all": False}
    )


def _keys(obj, attribute: str, keep_none: bool = False) -> set:
    """The object's value of ``attribute`` and, when this flush changed it,
    the value it had: a credential, assignment or requirement moved from
    one person (role, project, type) to another leaves both out of date."""
    values = {getattr(obj, attribute), *inspect(obj).attrs[attribute].history.deleted}
    if not keep_none:
        values.discard(None)
    return values


def _note(dirty: dict, obj) -> None:
    if isinstance(obj, (Credential, Document, Assignment)):
        dirty["people"].update(_keys(obj, "person_id"))
    elif isinstance(obj, CeActivity):
        # CE hours logged change a credential's slack on the renew-now list,
        # which the holder's roll-up counts.
        dirty["credentials"].update(_keys(obj, "credential_id"))
    elif isinstance(obj, Person):
        if obj.id is not None:
            dirty["people"].add(obj.id)
    elif isinstance(obj, Requirement):
        dirty["roles"].update(_keys(obj, "job_role_id"))
        dirty["projects"].update(_keys(obj, "project_id"))
    elif isinstance(obj, ReminderPolicy):
        types = _keys(obj, "credential_type_id", keep_none=True)
        # The organisation's default policy (no type) governs every type.
        dirty["all"] = dirty["all"] or None in types
        dirty["types"].update(types - {None})
    elif isinstance(obj, CredentialType):
        if obj.id is not None:
            dirty["types"].add(obj.id)
    elif isinstance(obj, Project):
        if obj.id is not None:
            dirty["projects"].add(obj.id)


def mark_dirty(people: Iterable[int] = (), types: Iterable[int] | None = None, everyone: bool = False) -> None:
    """Refresh these people's (types', everyone's) states with the current commit, for
    changes the ORM hook does not see (a verification standing kept beside the credential)."""
    dirty = _pending(db.session())
    dirty["people"].update(people)
    dirty["types"].update(types or ())
    dirty["all"] = dirty["all"] or everyone


def _is_app_session(session: Session) -> bool:
    return has_app_context() and session is db.session()


@event.listens_for(Session, "after_flush")
def _collect_changes(session: Session, _context) -> None:
    if session.info.get("compliance_refreshing") or not _is_app_session(session):
        return
    dirty = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, (Credential, Document, Assignment, Person, Requirement, ReminderPolicy,
                            CredentialType, Project, CeActivity)):
            dirty = dirty or _pending(session)
            _note(dirty, obj)


def _affected_people(dirty: dict) -> Select | set[int]:
    if dirty["all"]:
        return select(Person.id)
    clauses = []
    if dirty["roles"]:
        clauses.append(Person.job_role_id.in_(dirty["roles"]))
    if dirty["projects"]:
        clauses.append(Person.id.in_(select(Assignment.person_id).where(Assignment.project_id.in_(dirty["projects"]))))
    if dirty["types"]:
        types = list(dirty["types"])
        clauses.append(Person.id.in_(select(RS.person_id).where(RS.credential_type_id.in_(types))))
        clauses.append(Person.id.in_(select(Credential.person_id).where(Credential.credential_type_id.in_(types))))
    if dirty["credentials"]:
        clauses.append(Person.id.in_(select(Credential.person_id).where(Credential.id.in_(list(dirty["credentials"])))))
    if not clauses:
        return set(dirty["people"])
    if dirty["people"]:
        clauses.append(Person.id.in_(list(dirty["people"])))
    return select(Person.id).where(or_(*clauses))


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    if session.info.get("compliance_refreshing") or not _is_app_session(session):
        return
    # before_commit runs before commit's own flush: flush now so the changes
    # still in memory are noted and evaluated too.
    session.flush()
    dirty = session.info.pop("compliance_dirty", None)
    if not dirty or not any((dirty["people"], dirty["roles"], dirty["projects"], dirty["types"], dirty["credentials"],
                             dirty["all"])):
        return
    session.info["compliance_refreshing"] = True
    try:
        refresh_people(_affected_people(dirty), changed=dirty["people"])
        session.flush()
    finally:
        session.info.pop("compliance_refreshing", None)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop("compliance_dirty", None)
