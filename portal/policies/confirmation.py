"""What must be looked at before a document becomes a registry record.

Pure checks over facts the service gathers. Each finding names the field it
concerns and how it is cleared:

- ``error``: the values contradict themselves; correct them.
- ``stop``: plausible but suspicious; the reviewer may accept it knowingly,
  with a reason (audited).
- ``look``: a value the reader could not be sure of (an ambiguous numeric
  date); a tick that the reviewer looked at the document clears it.
- ``history``: the record would replace a newer one; it can only be kept as
  history behind it, never made the current record.
- ``notice``: shown beside the field, nothing to clear.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Sequence

from portal.policies import names
from portal.policies.date_reading import AmbiguousDate, spelled
from portal.policies.dates import add_months

ERROR, STOP, LOOK, HISTORY, NOTICE = "error", "stop", "look", "history", "notice"
# An expiry this far beyond issue + validity is not a renewal cycle we know.
VALIDITY_SLACK_MONTHS = 3


@dataclass(frozen=True)
class Replaced:
    """A record the confirmation would supersede."""
    label: str  # "BLS Provider valid to 21 Jan 2027"
    expires_on: date | None


@dataclass(frozen=True)
class Facts:
    today: date
    holder_name: str = ""
    person_given: str = ""
    person_surname: str = ""
    person_former_names: Sequence[str] = ()
    issue_date: date | None = None
    expiry_date: date | None = None
    type_name: str | None = None
    validity_months: int | None = None
    license_number: str | None = None
    number_patterns: Sequence[str] = ()
    issuer_name: str | None = None
    replaces: Sequence[Replaced] = ()
    same_number_people: Sequence[str] = ()  # names of other people holding this number
    ambiguous_dates: Sequence[AmbiguousDate] = ()
    # an edit of a record already kept as history behind a newer one: being expired is what history is
    kept_as_history: bool = False


@dataclass(frozen=True)
class Check:
    code: str
    field: str
    severity: str
    message: str

    @property
    def overridable(self) -> bool:
        return self.severity in (STOP, LOOK)

    @property
    def needs_reason(self) -> bool:
        return self.severity == STOP


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)

    def blocking(self, overridden: set[str], as_history: bool) -> list[Check]:
        """Checks still in the way of this confirmation."""
        out = []
        for check in self.checks:
            if check.severity == ERROR or (check.overridable and check.code not in overridden):
                out.append(check)
            elif check.severity == HISTORY and not as_history:
                out.append(check)
        return out

    @property
    def offers_history(self) -> bool:
        return any(c.severity == HISTORY for c in self.checks)

    def for_field(self, name: str) -> list[Check]:
        return [c for c in self.checks if c.field == name]


def check_holder(facts: Facts) -> list[Check]:
    if not facts.holder_name.strip() or not facts.person_surname:
        return []
    person = f"{facts.person_given} {facts.person_surname}".strip()
    result = names.compare(facts.holder_name, facts.person_given, facts.person_surname, facts.person_former_names)
    if result.verdict == names.MISMATCH:
        return [Check("holder_mismatch", "holder_name", STOP,
                      f"The document is in the name of {facts.holder_name.strip()}, not {person}.")]
    if result.verdict == names.PROBABLE:
        return [Check("holder_probable", "holder_name", NOTICE, f"{result.reason} ({person})")]
    if "former name" in result.reason:
        return [Check("holder_former", "holder_name", NOTICE, result.reason)]
    return []


def check_dates(facts: Facts) -> list[Check]:
    found = []
    issued, expires = facts.issue_date, facts.expiry_date
    if issued and expires and expires < issued:
        found.append(Check("issued_after_expiry", "expiry_date", ERROR,
                           f"It expires ({spelled(expires)}) before it was issued ({spelled(issued)})."))
    if issued and issued > facts.today:
        found.append(Check("issued_in_future", "issue_date", ERROR,
                           f"The issue date {spelled(issued)} is in the future."))
    if expires and expires < facts.today and not facts.kept_as_history:
        found.append(Check("expired", "expiry_date", STOP,
                           f"This credential expired on {spelled(expires)}."))
    if expires and facts.validity_months:
        start = issued or facts.today
        limit = add_months(start, facts.validity_months + VALIDITY_SLACK_MONTHS)
        if expires > limit:
            found.append(Check("expiry_beyond_validity", "expiry_date", STOP,
                               f"{spelled(expires)} is further out than a {facts.type_name or 'credential'} "
                               f"lasts ({facts.validity_months} months"
                               f"{' from ' + spelled(issued) if issued else ' from today'})."))
    return found


def check_ambiguous(facts: Facts) -> list[Check]:
    return [Check(f"ambiguous_{a.field}", a.field, LOOK, a.message) for a in facts.ambiguous_dates]


def check_replacement(facts: Facts) -> list[Check]:
    """Never let an older certificate supersede a newer record."""
    newest = facts.expiry_date or date.max
    later = [r for r in facts.replaces if (r.expires_on or date.max) > newest]
    if not later:
        return []
    keeper = max(later, key=lambda r: r.expires_on or date.max)
    return [Check("older_than_current", "expiry_date", HISTORY,
                  f"It expires before the record it would replace ({keeper.label}). "
                  "It can only be added to history behind that record.")]


def _fits(number: str, pattern: str) -> bool:
    try:
        return re.fullmatch(pattern, number, flags=re.IGNORECASE) is not None
    except re.error:  # a broken pattern in the catalogue says nothing about the number
        return True


def check_number(facts: Facts) -> list[Check]:
    number = (facts.license_number or "").strip()
    if not number:
        return []
    found = []
    patterns = [p for p in facts.number_patterns if p]
    if patterns and not any(_fits(number, p) for p in patterns):
        found.append(Check("number_pattern", "license_number", STOP,
                           f"{number} does not look like a number {facts.issuer_name or 'this issuer'} issues."))
    if facts.same_number_people:
        found.append(Check("number_elsewhere", "license_number", STOP,
                           f"{number} is already recorded for {', '.join(facts.same_number_people)}."))
    return found


def evaluate(facts: Facts) -> Outcome:
    return Outcome(check_holder(facts) + check_dates(facts) + check_ambiguous(facts) + check_replacement(facts)
                   + check_number(facts))
