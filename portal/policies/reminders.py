"""Reminder and escalation ladders: which step is due for whom, and when.

Pure rules over plain values (no Flask, no session). The daily scan turns
each step's window into one date-range query; tests and the dry run ask the
same functions about single credentials.

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

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

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


__all__ = [
    "AUDIENCES", "ESCALATION_AUDIENCES", "MISSING_LADDER", "Step", "Window", "after_expiry_steps",
    "current_step", "due_steps", "grace_left", "ladder", "missing_step", "missing_subject", "parse_time_of_day",
    "scheduled_date", "subject",
    "when_phrase", "windows",
]
