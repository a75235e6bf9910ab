"""Verification rules: identifier check digits, what a credential's standing is, when it is due again.

Pure functions (no Flask, no session), used by the verifiers, pages, jobs and
the compliance engine.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

# How a credential's verification standing reads on a page, worst first.
STATUSES = {
    "failed": "Verification failed",
    "due": "Due for re-verification",
    "not_checked": "Not checked at source",
    "unverifiable": "Unverifiable here",
    "integrity_only": "Integrity only",
    "verified": "Verified",
}
# A check that settles the question; the others keep an older conclusive one.
CONCLUSIVE = ("verified", "integrity_only", "failed")
# How strongly each outcome speaks, for choosing one of several checks run together.
WEIGHT = {"failed": 3, "verified": 2, "integrity_only": 1, "unverifiable": 0}


def decisive(outcomes: list[str]) -> int | None:
    """Index of the outcome that decides a run of checks (a failure outweighs the rest)."""
    if not outcomes:
        return None
    return max(range(len(outcomes)), key=lambda i: (WEIGHT.get(outcomes[i], -1), -i))


def status(outcome: str | None, next_due: date | None, on: date) -> str:
    """The standing shown beside a credential's state on ``on``."""
    if outcome is None:
        return "not_checked"
    if outcome != "failed" and next_due is not None and next_due <= on:
        return "due"
    return outcome


def next_due(checked_on: date, reverify_days: int | None, expires_on: date | None = None) -> date | None:
    """When a check made on ``checked_on`` must be made again.

    ``reverify_days`` comes from the type's policy (e.g. 30 for an exclusion
    list checked monthly, 120 for primary-source checks before a credentialing
    decision). None: the check stands until the credential changes. Never later
    than the day after expiry, when the standing of a renewal is what matters.
    """
    due = checked_on + timedelta(days=reverify_days) if reverify_days else None
    if expires_on is not None:
        after_expiry = expires_on + timedelta(days=1)
        due = after_expiry if due is None or after_expiry < due else due
    return due


def meets_requirement(outcome: str | None, required: bool) -> bool:
    """Where a policy requires verification, only a verified credential meets it."""
    return not required or outcome == "verified"


# --- identifiers -------------------------------------------------------------

def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def npi_valid(npi: str) -> bool:
    """A US National Provider Identifier: 10 digits, Luhn over the 80840 card-issuer prefix."""
    return bool(re.fullmatch(r"\d{10}", npi)) and luhn_valid("80840" + npi)


def npi_check_digit(first_nine: str) -> str:
    return next(d for d in "0123456789" if npi_valid(first_nine + d))


DEA_REGISTRANTS = "ABCDEFGHJKLMPRSTUX"


def dea_valid(number: str) -> bool:
    """A DEA registration number: registrant letter, name letter (or 9), 7 digits with a check digit."""
    match = re.fullmatch(rf"([{DEA_REGISTRANTS}])([A-Z9])(\d{{7}})", number.upper())
    if not match:
        return False
    d = [int(c) for c in match.group(3)]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


def compact_number(text: str | None) -> str:
    """A number as its check compares it: no spaces or dashes, upper case ("2b7q-44kd" -> "2B7Q44KD")."""
    return re.sub(r"[\s-]", "", text or "").upper()


def matches_pattern(number: str, patterns: list[str]) -> bool | None:
    """Whether a licence number has one of its issuer's shapes (None: the issuer gave none).

    Tried as written and compacted: some shapes keep the dash the issuer prints
    (Microsoft's ``^[0-9A-F]{6}-[0-9A-F]{6}$``), others ignore the spacing people add.
    """
    usable = [p for p in patterns or [] if isinstance(p, str) and p]
    if not usable:
        return None
    forms = {number.strip(), compact_number(number)}
    for pattern in usable:
        try:
            if any(re.fullmatch(pattern, form, flags=re.IGNORECASE) for form in forms):
                return True
        except re.error:
            continue
    return False
