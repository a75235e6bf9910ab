"""Renewal recommendations and learned validity: pure rules.

"Renew now" ranks a person's (or a team's) required credentials by how
little slack is left: days until expiry minus how long a renewal takes at the
issuer, minus time for CE hours still to earn. Each recommendation carries
its reasons in words, so the page can say *why*.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from statistics import median
from typing import Iterable

from portal.policies.compliance import RequirementState, Status

# Statuses that need a renewal (missing needs a first credential, pending
# review has a document on its way: neither is a renewal to chase).
RENEWABLE = (Status.EXPIRING, Status.IN_GRACE, Status.EXPIRED)
# A credential whose slack is under this many days is recommended even if the
# engine still calls it compliant (its renewal takes longer than the window).
SLACK_THRESHOLD_DAYS = 30
# Rough pace at which people earn CE hours when they have to (hours a week).
CE_HOURS_PER_WEEK = 4.0


@dataclass(frozen=True)
class RenewalFacts:
    """What the ranking needs to know about one requirement beyond its state."""

    renewal_lead_days: int = 0  # how long a renewal takes at the issuer
    ce_hours_required: float | None = None  # per cycle, from the type
    ce_hours_logged: float = 0.0  # logged against this credential's cycle
    projects: tuple[str, ...] = ()  # names of projects that depend on it
    escalation_steps: tuple[str, ...] = ()  # escalations already sent, e.g. ("manager",)
    renewal_url: str | None = None


@dataclass(frozen=True)
class Recommendation:
    person_id: int
    credential_type_id: int
    credential_id: int | None
    status: Status
    expires_on: date | None
    expiry_predicted: bool
    days_left: int | None
    slack_days: int  # days left minus renewal lead and CE time; negative: already late
    reasons: tuple[str, ...] = field(default_factory=tuple)
    renewal_url: str | None = None
    ce_hours_outstanding: float = 0.0
    escalated: bool = False
    projects: tuple[str, ...] = ()


def ce_hours_to_earn(required: float | None, logged: float) -> float:
    if not required:
        return 0.0
    return max(0.0, round(required - logged, 1))


def ce_days_needed(hours: float) -> int:
    """Days to allow for earning ``hours`` of CE at a steady pace."""
    if hours <= 0:
        return 0
    return int(round(hours / CE_HOURS_PER_WEEK * 7))


def _plural(n: float, word: str) -> str:
    n_text = f"{n:g}"
    return f"{n_text} {word}" if n == 1 else f"{n_text} {word}s"


def slack_days(days_left: int, renewal_lead_days: int | None, ce_hours_outstanding: float) -> int:
    """Days left once the issuer's renewal time and CE time are allowed for."""
    return days_left - max(0, renewal_lead_days or 0) - ce_days_needed(ce_hours_outstanding)


def needs_renewal(status: Status, slack: int) -> bool:
    """Whether a held, expiring credential belongs on the renew-now list."""
    if status is Status.PENDING_REVIEW:
        return False  # a document is on its way
    return status in RENEWABLE or slack <= SLACK_THRESHOLD_DAYS


def recommend(person_id: int, state: RequirementState, facts: RenewalFacts) -> Recommendation | None:
    """A recommendation for one requirement, or None if it needs no renewal yet."""
    if state.credential_id is None or state.days_left is None:
        return None  # missing or never expires: nothing to renew
    outstanding = ce_hours_to_earn(facts.ce_hours_required, facts.ce_hours_logged)
    lead = max(0, facts.renewal_lead_days or 0)
    slack = slack_days(state.days_left, lead, outstanding)
    if not needs_renewal(state.status, slack):
        return None

    reasons = []
    if state.days_left < 0:
        reasons.append(f"Lapsed {_plural(-state.days_left, 'day')} ago"
                       + (" (in grace)" if state.status is Status.IN_GRACE else ""))
    elif state.days_left == 0:
        reasons.append("Expires today")
    else:
        reasons.append(f"{_plural(state.days_left, 'day')} left")
    if lead:
        if state.days_left >= 0 and state.days_left <= lead:
            reasons.append(f"Renewal takes about {_plural(lead, 'day')} at the issuer: already too late to "
                           "renew before expiry")
        else:
            reasons.append(f"Renewal takes about {_plural(lead, 'day')} at the issuer")
    if outstanding:
        reasons.append(f"{_plural(outstanding, 'CE hour')} still to earn")
    if facts.projects:
        reasons.append("Needed for " + ", ".join(facts.projects))
    if facts.escalation_steps:
        reasons.append("Escalated to " + ", ".join(dict.fromkeys(facts.escalation_steps)))
    if state.expiry_predicted:
        reasons.append("Expiry predicted from the credential type's validity")

    return Recommendation(
        person_id=person_id,
        credential_type_id=state.credential_type_id,
        credential_id=state.credential_id,
        status=state.status,
        expires_on=state.expires_on,
        expiry_predicted=state.expiry_predicted,
        days_left=state.days_left,
        slack_days=slack,
        reasons=tuple(reasons),
        renewal_url=facts.renewal_url,
        ce_hours_outstanding=outstanding,
        escalated=bool(facts.escalation_steps),
        projects=tuple(facts.projects),
    )


def rank(recommendations: Iterable[Recommendation]) -> list[Recommendation]:
    """Least slack first; at equal slack, escalated ones, then those more
    projects depend on."""
    return sorted(
        recommendations,
        key=lambda r: (r.slack_days, not r.escalated, -len(r.projects), r.person_id, r.credential_type_id),
    )


# --------------------------------------------------------------------------- learned validity

# A suggestion needs this many confirmed records, most of them agreeing.
MIN_RECORDS = 3
MIN_AGREEMENT = 0.6


@dataclass(frozen=True)
class ValiditySuggestion:
    months: int
    records: int  # confirmed records with both dates
    agreeing: int  # of which show exactly ``months``
    median_months: float

    @property
    def agreement(self) -> float:
        return self.agreeing / self.records if self.records else 0.0


def validity_months(issued_on: date, expires_on: date) -> int | None:
    """Whole months a record was valid for, reading the printed expiry as the
    day before the anniversary (issued 1 Mar 2024, expires 28 Feb 2026: 24)."""
    if expires_on < issued_on:
        return None
    day_after = date.fromordinal(expires_on.toordinal() + 1)
    months = (day_after.year - issued_on.year) * 12 + (day_after.month - issued_on.month)
    # Tolerate a few days either side of the anniversary (issuers round).
    if day_after.day - issued_on.day > 15:
        months += 1
    elif issued_on.day - day_after.day > 15:
        months -= 1
    return months if months > 0 else None


def learn_validity(pairs: Iterable[tuple[date, date]]) -> ValiditySuggestion | None:
    """The typical validity of a credential type from confirmed
    ``(issued_on, expires_on)`` pairs, or None when there is too little or
    too scattered evidence."""
    months = [m for m in (validity_months(i, e) for i, e in pairs) if m]
    if len(months) < MIN_RECORDS:
        return None
    value, agreeing = Counter(months).most_common(1)[0]
    if agreeing / len(months) < MIN_AGREEMENT:
        return None
    return ValiditySuggestion(months=value, records=len(months), agreeing=agreeing,
                              median_months=float(median(months)))
