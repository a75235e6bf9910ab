"""Reminder and escalation ladders: which step is due for whom, and when.

Pure rules over plain values (no Flask, no session). ``pick(facts, on)`` is
the whole rule of who is told what on a day, over plain ``ScanFacts``; the
dry run is built on it. The daily scan (``portal.services.reminders.scan``)
is an optimisation of it — each step's window as one date-range query — and
a property test (tests/reminders/test_scan_agrees_with_the_rule.py) checks
that the two pick the same notifications. What is still worth sending at
send time is decided here too (``credential_notice_unwanted``...).

A credential expiring on E has, per audience, a ladder of steps. A step with
``days_before`` d falls due on E - d (negative d: after expiry). The
credential "lapses" on E + 1 and is in grace through E + grace_days.

- employee:   each policy offset (90, 60, 30, 14, 7, 0 days before), then
              "lapsed" (E + 1), "grace ends in a week" and "expired" (the day
              after grace ends)
- manager:    the policy's manager escalations, then lapsed / grace ends /
              expired
- hr:         the policy's HR escalations, then expired
- compliance: the policy's compliance escalations

Catch-up: a step stays current from the day it falls due until the day the
audience's next step falls due; the last step for ``catchup_days``. On any
day each recipient is sent only the current step, once: after days without
a scan they get the most recent step that came due, not a burst of every
missed one, and not nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from portal.policies import notification_keys as keys

AUDIENCES = ("employee", "manager", "hr", "compliance")
ESCALATION_AUDIENCES = ("manager", "hr", "compliance")
AUDIENCE_LABELS = {
    "employee": "the employee", "manager": "their manager", "hr": "HR", "compliance": "compliance",
}
# A missing requirement has no expiry: the employee is told when it is first
# seen missing, then the manager and HR that many days later if it still is.
MISSING_LADDER = (("employee", 0), ("manager", 14), ("hr", 30))
DEFAULT_CATCHUP_DAYS = 14
GRACE_WARNING_DAYS = 7


@dataclass(frozen=True)
class Step:
    audience: str
    days_before: int  # before expiry; 0 the day itself; negative after
    name: str  # stable: part of each notification's unique key

    @property
    def kind(self) -> str:
        return "reminder" if self.audience == "employee" else "escalation"

    @property
    def label(self) -> str:
        """How the step is stored on a notification: ``manager:d30``."""
        return f"{self.audience}:{self.name}"

    @property
    def after_expiry(self) -> bool:
        return self.days_before < 0


@dataclass(frozen=True)
class Window:
    """Days left (expires_on - on) for which ``step`` is the current step:
    ``low < days_left <= high``."""

    step: Step
    low: int
    high: int

    def contains(self, days_left: int) -> bool:
        return self.low < days_left <= self.high


def _offset_name(days_before: int) -> str:
    return f"d{days_before}" if days_before >= 0 else f"a{-days_before}"


def after_expiry_steps(audience: str, grace_days: int) -> list[Step]:
    """The notices through and at the end of the grace period."""
    grace_days = max(int(grace_days), 0)
    steps = []
    if audience in ("employee", "manager"):
        steps.append(Step(audience, -1, "lapsed"))
        if grace_days - GRACE_WARNING_DAYS > 1:
            steps.append(Step(audience, -(grace_days - GRACE_WARNING_DAYS), "grace-ends"))
    if audience in ("employee", "manager", "hr"):
        steps.append(Step(audience, -(grace_days + 1), "expired"))
    return steps


def ladder(offsets: Iterable[int], grace_days: int,
           escalation: Iterable[Mapping]) -> dict[str, list[Step]]:
    """Each audience's steps, in the order they fall due."""
    by_audience: dict[str, dict[int, Step]] = {a: {} for a in AUDIENCES}
    for offset in offsets or ():
        d = int(offset)
        if d >= 0:
            by_audience["employee"][d] = Step("employee", d, _offset_name(d))
    for entry in escalation or ():
        audience = entry.get("notify")
        if audience not in ESCALATION_AUDIENCES:
            continue
        d = int(entry.get("days_before", 0))
        by_audience[audience][d] = Step(audience, d, _offset_name(d))
    for audience in AUDIENCES:
        for step in after_expiry_steps(audience, grace_days):
            by_audience[audience][step.days_before] = step  # the named step wins
    return {
        audience: sorted(steps.values(), key=lambda s: -s.days_before)
        for audience, steps in by_audience.items()
    }


def windows(steps: list[Step], catchup_days: int = DEFAULT_CATCHUP_DAYS) -> list[Window]:
    """Each step's current window, for steps in the order they fall due."""
    result = []
    for i, step in enumerate(steps):
        low = steps[i + 1].days_before if i + 1 < len(steps) else step.days_before - max(catchup_days, 1)
        result.append(Window(step, low, step.days_before))
    return result


def current_step(steps: list[Step], expires_on: date, on: date,
                 catchup_days: int = DEFAULT_CATCHUP_DAYS) -> Step | None:
    """The step an audience should have been sent by ``on`` (None: none now)."""
    days_left = (expires_on - on).days
    for window in windows(steps, catchup_days):
        if window.contains(days_left):
            return window.step
    return None


def due_steps(ladders: dict[str, list[Step]], expires_on: date, on: date,
              catchup_days: int = DEFAULT_CATCHUP_DAYS,
              pending_review: bool = False) -> dict[str, Step]:
    """Audience -> current step for one credential on ``on``.

    A renewal waiting for review pauses the employee's own reminders (they
    have done their part); escalations continue until a renewal is confirmed.
    """
    due = {}
    for audience, steps in ladders.items():
        if audience == "employee" and pending_review:
            continue
        step = current_step(steps, expires_on, on, catchup_days)
        if step is not None:
            due[audience] = step
    return due


def missing_step(audience_days: int, first_seen: date | None, on: date) -> bool:
    """Whether a missing-requirement step ``audience_days`` after first notice is due."""
    if audience_days == 0:
        return True
    return first_seen is not None and (on - first_seen).days >= audience_days


# --------------------------------------------------------------------------- schedule

def parse_time_of_day(value: str) -> time:
    hour, _, minute = str(value).strip().partition(":")
    return time(int(hour), int(minute or 0))


def scheduled_date(now: datetime, time_of_day: str, tz_name: str,
                   cron_weekday: int | None = None) -> date | None:
    """The local date whose scheduled run is due at ``now`` (UTC), or None.

    A run is due once the wall clock in ``tz_name`` has reached
    ``time_of_day`` on that local date (and, with ``cron_weekday`` — 0 Sunday,
    1 Monday... as in crontab — only on that weekday). Checked every few
    minutes, this follows daylight-saving changes: 07:00 stays 07:00 local
    whether that is 06:00 or 05:00 UTC; on a spring-forward day a time that
    does not exist runs at the first check after it; on a fall-back day the
    caller's record of the date keeps the repeated hour from running twice.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    local = now.astimezone(ZoneInfo(tz_name))
    if cron_weekday is not None and (local.weekday() + 1) % 7 != int(cron_weekday) % 7:
        return None
    if local.time().replace(tzinfo=None) < parse_time_of_day(time_of_day):
        return None
    return local.date()


# --------------------------------------------------------------------------- wording

def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def when_phrase(expires_on: date, on: date) -> str:
    """'expires in 30 days', 'expires tomorrow', 'expired 3 days ago'..."""
    days_left = (expires_on - on).days
    if days_left > 1:
        return f"expires in {_days(days_left)}"
    if days_left == 1:
        return "expires tomorrow"
    if days_left == 0:
        return "expires today"
    return f"expired {_days(-days_left)} ago"


def grace_left(expires_on: date, on: date, grace_days: int) -> int:
    """Days of grace left on ``on`` (0 once grace is over)."""
    return max(grace_days - (on - expires_on).days + 1, 0) if on > expires_on else grace_days


def subject(step: Step, type_name: str, holder_name: str, expires_on: date, on: date,
            grace_days: int) -> str:
    """Say what and when: 'Your RN license expires in 30 days'."""
    whose = "Your" if step.audience == "employee" else f"{holder_name}’s"
    days_left = (expires_on - on).days
    if days_left >= 0:
        return f"{whose} {type_name} {when_phrase(expires_on, on)}"
    left = grace_left(expires_on, on, grace_days)
    if left > 0:
        return f"{whose} {type_name} has expired — {_days(left)} of grace left"
    return f"{whose} {type_name} has expired and its grace period is over"


def missing_subject(audience: str, type_name: str, holder_name: str) -> str:
    if audience == "employee":
        return f"Please upload your {type_name}: your role requires it"
    return f"{holder_name} has no {type_name} on record"




# --------------------------------------------------------------------------- the rule the scan optimises
#
# ``pick(facts, on)`` is the whole "who is told what today" rule over plain
# values: the dry run is built on it, and a property test checks that the SQL
# scan (``portal.services.reminders.scan``) writes exactly what it picks.

ROLE_FOR_AUDIENCE = {"hr": "reviewer", "compliance": "compliance"}
SEEN_KIND = "missing-seen"


@dataclass(frozen=True)
class PolicyFacts:
    """A reminder policy and the credential types it governs (``type_ids`` None: every type not excluded)."""

    type_ids: frozenset[int] | None
    excluded: frozenset[int]
    offsets: tuple[int, ...]
    grace_days: int
    escalation: tuple[Mapping, ...]
    allow_digest: bool

    def governs(self, type_id: int | None) -> bool:
        return type_id in self.type_ids if self.type_ids is not None else type_id not in self.excluded

    @cached_property
    def _ladders(self) -> dict[str, list[Step]]:
        return ladder(self.offsets, self.grace_days, self.escalation)

    def ladders(self) -> dict[str, list[Step]]:
        """Each audience's steps (built once per policy: the sender asks per row)."""
        return self._ladders


@dataclass(frozen=True)
class PersonFacts:
    id: int
    active: bool
    email: str | None
    manager_id: int | None
    channel: str = "email"


@dataclass(frozen=True)
class StaffFacts:
    """A staff account that may be told (HR: reviewer role, compliance: compliance role)."""

    user_id: int
    person_id: int | None
    email: str | None
    roles: frozenset[str]
    active: bool  # the account is active and its person, if any, has not left


@dataclass(frozen=True)
class RequiredFacts:
    """A requirement a person has (a compliance-snapshot row); ``credential_id`` None: missing."""

    person_id: int
    type_id: int
    credential_id: int | None
    expires_on: date | None
    lapses_on: date | None
    pending: bool  # a document for it is waiting for review
    evaluated_on: date


@dataclass(frozen=True)
class CredentialFacts:
    id: int
    person_id: int
    type_id: int
    state: str
    expires_on: date | None


@dataclass(frozen=True)
class OpenDocumentFacts:
    """A document not yet decided, and the type it counts for
    (``portal.services.open_documents.TYPE_ID``: the type it names, else the
    type of the credential it renews)."""

    person_id: int
    type_id: int | None


@dataclass(frozen=True)
class WrittenFacts:
    """A notification already stored (only what the rule reads)."""

    id: int
    unique_key: str
    kind: str
    step: str | None
    person_id: int | None
    type_id: int | None
    due_on: date | None


@dataclass
class ScanFacts:
    policies: list[PolicyFacts]  # overrides first, the organisation default last
    people: dict[int, PersonFacts]
    staff: list[StaffFacts]
    required: list[RequiredFacts]
    credentials: list[CredentialFacts]
    open_documents: list[OpenDocumentFacts]
    written: list[WrittenFacts]
    catchup_days: int = DEFAULT_CATCHUP_DAYS


@dataclass(frozen=True)
class Pick:
    """One notification the scan writes on a day."""

    unique_key: str
    kind: str
    step: str
    audience: str
    person_id: int
    credential_id: int | None
    type_id: int
    recipient_person_id: int | None
    recipient_email: str
    state: str
    due_on: date
    expires_on: date | None = None


@dataclass
class _Day:
    """What the rule knows while picking one day: the facts, plus what it has picked so far."""

    facts: ScanFacts
    on: date
    keys: set[str] = field(default_factory=set)
    closed: dict[tuple[int, int], int] = field(default_factory=dict)
    # (person, type) -> its open "seen" records and first notices, which escalations count from
    seen_on: dict[tuple[int, int], list[WrittenFacts]] = field(default_factory=dict)
    # indexes, so a day over a whole organisation stays linear
    required_pairs: set[tuple[int, int]] = field(default_factory=set)
    missing_pairs: set[tuple[int, int]] = field(default_factory=set)
    held: dict[tuple[int, int], list[CredentialFacts]] = field(default_factory=dict)
    documents: dict[int, list[OpenDocumentFacts]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for row in self.facts.required:
            self.required_pairs.add((row.person_id, row.type_id))
            if row.credential_id is None:
                self.missing_pairs.add((row.person_id, row.type_id))
        for credential in self.facts.credentials:
            self.held.setdefault((credential.person_id, credential.type_id), []).append(credential)
        for document in self.facts.open_documents:
            self.documents.setdefault(document.person_id, []).append(document)


def _recipients(audience: str, holder: PersonFacts, facts: ScanFacts):
    """(recipient person id, email, key token) for each person ``audience`` means for ``holder``."""
    if audience == "employee":
        if holder.email is not None:
            yield holder.id, holder.email, keys.person_token(holder.id)
        return
    if audience == "manager":
        boss = facts.people.get(holder.manager_id) if holder.manager_id else None
        if boss is not None and boss.active and boss.email is not None:
            yield boss.id, boss.email, keys.person_token(boss.id)
        return
    role = ROLE_FOR_AUDIENCE[audience]
    for staff in facts.staff:
        if staff.active and role in staff.roles:
            yield staff.person_id, staff.email, keys.user_token(staff.user_id)


def policy_for(policies: Iterable[PolicyFacts], type_id: int | None) -> PolicyFacts | None:
    """The policy that governs a credential type (``policies`` overrides first, the default last)."""
    return next((p for p in policies if p.governs(type_id)), None)


def has_open_document(documents: Iterable[OpenDocumentFacts], person_id: int, type_id: int) -> bool:
    """An upload or renewal counting for this type is waiting for a decision."""
    return any(d.person_id == person_id and d.type_id == type_id for d in documents)


def newer_on_record(credential: CredentialFacts, held: Iterable[CredentialFacts]) -> bool:
    """A later active record of the same type (a renewal not yet marked superseded)."""
    if credential.expires_on is None:
        return False
    return any(other.id != credential.id and other.person_id == credential.person_id
               and other.type_id == credential.type_id and other.state == "active"
               and (other.expires_on is None or other.expires_on > credential.expires_on) for other in held)


def _required_picks(day: _Day, policy: PolicyFacts, window: Window) -> list[Pick]:
    step, on, facts = window.step, day.on, day.facts
    picks = []
    for row in facts.required:
        holder = facts.people.get(row.person_id)
        if (row.credential_id is None or holder is None or not holder.active or row.lapses_on is None
                or not policy.governs(row.type_id)):
            continue
        days_left = (row.lapses_on - on).days - 1
        if not window.contains(days_left) or (step.audience == "employee" and row.pending):
            continue
        for rid, email, token in _recipients(step.audience, holder, facts):
            key = keys.credential_step(step.kind, row.credential_id, token, step.label)
            if key not in day.keys:
                picks.append(Pick(key, step.kind, step.label, step.audience, row.person_id, row.credential_id,
                                  row.type_id, rid, email, "pending", on, row.expires_on))
    return picks


def _optional_picks(day: _Day, policy: PolicyFacts, window: Window) -> list[Pick]:
    """Credentials nobody requires of the holder: the holder's own reminders."""
    step, on, facts = window.step, day.on, day.facts
    picks = []
    for credential in facts.credentials:
        holder = facts.people.get(credential.person_id)
        if (credential.state != "active" or credential.expires_on is None or holder is None
                or not holder.active or holder.email is None or not policy.governs(credential.type_id)
                or (credential.person_id, credential.type_id) in day.required_pairs):
            continue
        if not window.contains((credential.expires_on - on).days):
            continue
        if newer_on_record(credential, day.held[(credential.person_id, credential.type_id)]) or has_open_document(
                day.documents.get(credential.person_id, ()), credential.person_id, credential.type_id):
            continue
        key = keys.credential_step("reminder", credential.id, keys.person_token(holder.id), step.label)
        if key in day.keys:
            continue
        state = "skipped" if policy.allow_digest and holder.channel == "digest" else "pending"
        picks.append(Pick(key, "reminder", step.label, "employee", credential.person_id, credential.id,
                          credential.type_id, holder.id, holder.email, state, on, credential.expires_on))
    return picks


def _seen_picks(day: _Day) -> list[Pick]:
    """The day each requirement was first seen missing (never sent): escalations count from it."""
    picks = []
    for row in day.facts.required:
        holder = day.facts.people.get(row.person_id)
        if row.credential_id is not None or holder is None or not holder.active:
            continue
        key = keys.missing_seen(row.person_id, row.type_id)
        if key in day.keys:
            continue
        first_seen = min(row.evaluated_on, day.on)
        picks.append(Pick(key, SEEN_KIND, "seen", "employee", row.person_id, None, row.type_id, None,
                          holder.email or "", "skipped", first_seen))
    return picks


def _missing_picks(day: _Day, audience: str, days: int) -> list[Pick]:
    facts, on = day.facts, day.on
    name = keys.missing_step_name(audience, days)
    picks = []
    for row in facts.required:
        holder = facts.people.get(row.person_id)
        if row.credential_id is not None or holder is None or not holder.active:
            continue
        subject = (row.person_id, row.type_id)
        closed = day.closed.get(subject, 0)
        if audience == "employee":
            if row.pending:
                continue
        elif not any(
                w.due_on is not None and w.due_on <= on - timedelta(days=days)
                and ((w.kind == SEEN_KIND and w.step == "seen")
                     or (w.kind == "missing" and w.step == "employee:missing" and closed == 0))
                for w in day.seen_on.get(subject, ())):
            continue
        for rid, email, token in _recipients(audience, holder, facts):
            key = keys.missing_step(row.person_id, row.type_id, keys.episode_tag(closed), token, name)
            if key not in day.keys:
                picks.append(Pick(key, "missing", name, audience, row.person_id, None, row.type_id,
                                  rid, email, "pending", on))
    return picks


def pick(facts: ScanFacts, on: date) -> list[Pick]:
    """Every notification due on ``on`` that is not written yet, in the order the scan writes them.

    First, episodes of a requirement seen missing that is now held are closed
    (their "seen" key freed); then each policy's ladders, audience by audience
    and step by step; then the missing-requirement records and ladder.
    """
    day = _Day(facts, on)
    for written in facts.written:
        if written.kind == SEEN_KIND and written.step == "seen" and (
                written.person_id, written.type_id) not in day.missing_pairs:
            subject = (written.person_id, written.type_id)
            day.closed[subject] = day.closed.get(subject, 0) + 1
            day.keys.add(written.unique_key + keys.CLOSED_SUFFIX + str(written.id))
            continue
        if written.kind == SEEN_KIND and written.step == "closed":
            subject = (written.person_id, written.type_id)
            day.closed[subject] = day.closed.get(subject, 0) + 1
        day.keys.add(written.unique_key)
        if written.kind in (SEEN_KIND, "missing"):
            day.seen_on.setdefault((written.person_id, written.type_id), []).append(written)
    picks: list[Pick] = []

    def take(found: list[Pick]) -> None:
        for p in found:
            if p.unique_key not in day.keys:
                day.keys.add(p.unique_key)
                picks.append(p)
                if p.kind in (SEEN_KIND, "missing"):
                    day.seen_on.setdefault((p.person_id, p.type_id), []).append(
                        WrittenFacts(0, p.unique_key, p.kind, p.step, p.person_id, p.type_id, p.due_on))

    for policy in facts.policies:
        for audience, steps in policy.ladders().items():
            for window in windows(steps, facts.catchup_days):
                take(_required_picks(day, policy, window))
                if audience == "employee":
                    take(_optional_picks(day, policy, window))
    take(_seen_picks(day))
    for audience, days in MISSING_LADDER:
        take(_missing_picks(day, audience, days))
    return picks


# --------------------------------------------------------------------------- still worth sending

def credential_notice_unwanted(kind: str, credential: CredentialFacts | None, holder: PersonFacts | None,
                               newer: bool, open_document: bool) -> str | None:
    """Why a reminder or escalation written earlier should not go out now (None: send it)."""
    if credential is None or credential.state != "active":
        return "The credential was renewed or withdrawn before this was sent."
    if holder is None or not holder.active:
        return "The holder has left."
    if newer:
        return "A renewed credential is on record."
    if kind == "reminder" and open_document:
        return "A renewal is waiting for review."
    return None


def missing_notice_unwanted(holder: PersonFacts | None, now_held: bool) -> str | None:
    """Why a missing-requirement notice should not go out now (None: send it)."""
    if holder is None or not holder.active:
        return "The holder has left."
    if now_held:
        return "The credential is now on record."
    return None


__all__ = [
    "AUDIENCES", "ESCALATION_AUDIENCES", "MISSING_LADDER", "Step", "Window", "after_expiry_steps",
    "current_step", "due_steps", "grace_left", "ladder", "missing_step", "missing_subject", "parse_time_of_day",
    "scheduled_date", "subject",
    "when_phrase", "windows",
    "CredentialFacts", "OpenDocumentFacts", "PersonFacts", "Pick", "PolicyFacts", "RequiredFacts", "ScanFacts",
    "StaffFacts", "WrittenFacts", "credential_notice_unwanted", "has_open_document", "missing_notice_unwanted",
    "newer_on_record", "pick", "policy_for",
]
