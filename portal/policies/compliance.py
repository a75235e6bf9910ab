"""The compliance engine: what state each requirement of a person is in on a day.

Pure functions over plain facts, written once and used by pages, API,
exports and jobs. A requirement is a credential type demanded by a person's
job role or by a project they are assigned to. Its state on a day is:

- compliant       held, valid, and not yet inside its warning window
- expiring        held and valid, but inside the warning window: the
                  requirement's lead time or the policy's first reminder
- in_grace        lapsed, but within the policy's grace days
- expired         lapsed beyond grace
- missing         never held (or only superseded/revoked records)
- pending_review  not comfortably compliant, and a document for that type is
                  waiting for review

A credential is valid through its expiry date (expires 30 June: valid on 30
June, lapsed on 1 July). One with no expiry and no validity never lapses.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Callable, Iterable


class Status(StrEnum):
    COMPLIANT = "compliant"
    EXPIRING = "expiring"
    IN_GRACE = "in_grace"
    EXPIRED = "expired"
    MISSING = "missing"
    PENDING_REVIEW = "pending_review"


# Worst first: the order pages sort and roll-ups colour by.
SEVERITY = (Status.EXPIRED, Status.MISSING, Status.IN_GRACE, Status.PENDING_REVIEW,
            Status.EXPIRING, Status.COMPLIANT)


@dataclass(frozen=True)
class Policy:
    """The reminder policy facts the engine needs for one credential type."""

    offsets: tuple[int, ...] = (90, 60, 30, 14, 7, 0)
    grace_days: int = 30
    renewal_lead_days: int | None = None

    @property
    def first_reminder_days(self) -> int:
        return max(self.offsets, default=0)


@dataclass(frozen=True)
class Held:
    """A current (active) credential record."""

    credential_id: int
    credential_type_id: int
    expires_on: date | None
    expiry_predicted: bool = False


@dataclass(frozen=True)
class Need:
    """One reason a person needs a credential type."""

    credential_type_id: int
    source: tuple[str, int]  # ("role", job_role_id) or ("project", project_id)
    lead_days: int | None = None


@dataclass(frozen=True)
class RequirementState:
    credential_type_id: int
    status: Status
    credential_id: int | None
    expires_on: date | None
    expiry_predicted: bool
    days_left: int | None  # days until expiry (negative once lapsed); None: never expires
    valid_today: bool  # the credential itself is valid on the day asked about
    sources: tuple[tuple[str, int], ...] = ()
    lead_days: int = 0
    warn_days: int = 0
    grace_days: int = 0
    pending: bool = False

    @property
    def timeline(self) -> "Timeline | None":
        return timeline(self.expires_on, self.warn_days, self.grace_days)


@dataclass(frozen=True)
class Timeline:
    """The days on which a held credential changes state.

    expiring from ``warn_from``, in grace from ``lapses_on`` (the day after
    expiry), expired from ``expired_from`` (the day after grace ends). The
    stored snapshot keeps these dates so SQL can tell the state on any day
    by comparing dates, with the rule itself written only here.
    """

    warn_from: date
    lapses_on: date
    expired_from: date

    def status_on(self, on: date) -> Status:
        if on >= self.expired_from:
            return Status.EXPIRED
        if on >= self.lapses_on:
            return Status.IN_GRACE
        if on >= self.warn_from:
            return Status.EXPIRING
        return Status.COMPLIANT


def timeline(expires_on: date | None, warn_days: int, grace_days: int) -> Timeline | None:
    """None for a credential that never expires.

    The three days never go backwards (warn_from <= lapses_on <= expired_from),
    so each state is a band of days: the snapshot's roll-ups count on it.
    """
    if expires_on is None:
        return None
    return Timeline(
        warn_from=expires_on - timedelta(days=max(0, warn_days)),
        lapses_on=expires_on + timedelta(days=1),
        expired_from=expires_on + timedelta(days=max(0, grace_days) + 1),
    )


def credential_status(expires_on: date | None, on: date, warn_days: int, grace_days: int) -> Status:
    """The state of one held credential on ``on``."""
    line = timeline(expires_on, warn_days, grace_days)
    return Status.COMPLIANT if line is None else line.status_on(on)


def apply_pending(status: Status, pending: bool) -> Status:
    """A waiting document shows on anything not comfortably compliant."""
    return Status.PENDING_REVIEW if pending and status is not Status.COMPLIANT else status


def best_credential(held: Iterable[Held]) -> Held | None:
    """Of several current records of one type, the one that lasts longest."""
    return max(held, key=lambda h: (h.expires_on is None, h.expires_on or date.min), default=None)


def evaluate(
    needs: Iterable[Need],
    held: Iterable[Held],
    pending_type_ids: Iterable[int],
    policy_for: Callable[[int], Policy],
    on: date,
) -> list[RequirementState]:
    """Each required credential type's state for one person on ``on``.

    Several needs for the same type (role and project) merge into one state
    whose warning window is the widest of their lead times.
    """
    by_type: dict[int, list[Need]] = {}
    for need in needs:
        by_type.setdefault(need.credential_type_id, []).append(need)
    held_by_type: dict[int, list[Held]] = {}
    for record in held:
        held_by_type.setdefault(record.credential_type_id, []).append(record)
    pending = set(pending_type_ids)

    states = []
    for type_id, type_needs in by_type.items():
        policy = policy_for(type_id)
        lead = max((n.lead_days or 0 for n in type_needs), default=0)
        warn_days = max(lead, policy.first_reminder_days)
        sources = tuple(sorted({n.source for n in type_needs}))
        best = best_credential(held_by_type.get(type_id, ()))
        if best is None:
            status, days_left, valid = Status.MISSING, None, False
        else:
            status = credential_status(best.expires_on, on, warn_days, policy.grace_days)
            days_left = None if best.expires_on is None else (best.expires_on - on).days
            valid = best.expires_on is None or best.expires_on >= on
        status = apply_pending(status, type_id in pending)
        states.append(RequirementState(
            credential_type_id=type_id,
            status=status,
            credential_id=best.credential_id if best else None,
            expires_on=best.expires_on if best else None,
            expiry_predicted=best.expiry_predicted if best else False,
            days_left=days_left,
            valid_today=valid,
            sources=sources,
            lead_days=lead,
            warn_days=warn_days,
            grace_days=policy.grace_days,
            pending=type_id in pending,
        ))
    states.sort(key=lambda s: (SEVERITY.index(s.status), s.days_left if s.days_left is not None else 10**6))
    return states


@dataclass(frozen=True)
class Summary:
    """Counts of requirement states across people, and the headline numbers."""

    counts: dict[str, int] = field(default_factory=dict)
    people: int = 0
    people_compliant: int = 0
    valid: int = 0  # requirements whose credential is valid on the day

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: Status | str) -> int:
        return self.counts.get(str(status), 0)

    @property
    def percent_compliant(self) -> float:
        """Share of requirements met on the day (expiring ones are still met)."""
        return 100.0 if self.total == 0 else round(100.0 * self.valid / self.total, 1)

    @property
    def percent_people_compliant(self) -> float:
        return 100.0 if self.people == 0 else round(100.0 * self.people_compliant / self.people, 1)


def person_is_compliant(states: Iterable[RequirementState]) -> bool:
    """Every requirement is met today (expiring ones still count)."""
    return all(s.valid_today for s in states)


def summarise(states_by_person: dict[int, list[RequirementState]]) -> Summary:
    counts: Counter[str] = Counter()
    compliant_people = valid = 0
    for states in states_by_person.values():
        counts.update(str(s.status) for s in states)
        compliant_people += person_is_compliant(states)
        valid += sum(1 for s in states if s.valid_today)
    return Summary(counts=dict(counts), people=len(states_by_person),
                   people_compliant=compliant_people, valid=valid)


def expiring_within(states: Iterable[RequirementState], days: int) -> int:
    """How many held requirements lapse within ``days`` (and have not yet)."""
    return sum(1 for s in states if s.days_left is not None and 0 <= s.days_left <= days)


@dataclass(frozen=True)
class Stint:
    """A person's assignment to a project over a period (ends_on None: open)."""

    project_id: int
    starts_on: date
    ends_on: date | None

    def active_on(self, on: date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


def needs_on(
    role_needs: Iterable[Need], stints: Iterable[Stint], project_needs: dict[int, list[Need]], on: date
) -> list[Need]:
    """What a person needs on ``on``: their role's needs plus those of every
    project they are assigned to that day."""
    needs = list(role_needs)
    for stint in stints:
        if stint.active_on(on):
            needs.extend(project_needs.get(stint.project_id, ()))
    return needs


RECORD_STATES = ("valid", "expiring", "in_grace", "expired", "superseded", "revoked")


def record_status(record_state: str, expires_on: date | None, on: date, policy: Policy) -> str:
    """How one registry record reads on ``on``: valid, expiring, in_grace,
    expired, or the record's own superseded/revoked state."""
    if record_state in ("superseded", "revoked"):
        return record_state
    status = credential_status(expires_on, on, policy.first_reminder_days, policy.grace_days)
    return "valid" if status is Status.COMPLIANT else str(status)
