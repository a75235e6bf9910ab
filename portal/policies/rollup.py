"""Compliance roll-ups: one person's snapshot rows summed into the figures
organisation pages show, so those pages add up a few stored tallies instead
of reading every requirement row.

A tally is a plain dict of counts judged on one day (``on``): requirement
rows per state, met, expiring within 30/60/90 days, people, people short,
people with a row in each state, and the twelve forecast months (requirement
rows lapsing in each month, people first short in each month, credentials
expiring in each month, and the forecast's own figures: requirements in
force, met and people short on each month's judging day; for a person whose
assignments start or end within the forecast those come from the engine,
month by month, not from their rows), and the compliant rows already too late
to renew with slack to spare (the renew-now list's count). Tallies of people add up, and subtract: a
department's tally is the sum of its people's, the organisation's the sum of
its departments'. The rules here mirror the snapshot's SQL
(``portal.services.compliance_snapshot``, ``portal.services.forecast``), so a
page reading tallies shows exactly what it shows when reading the rows.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

from portal.policies.compliance import SEVERITY, Status
from portal.policies.forecast import cumulative_figures, evaluation_dates

FORECAST_MONTHS = 12
EXPIRY_WINDOWS = (30, 60, 90)
STATES = tuple(str(status) for status in SEVERITY)


def month_index(day: date | None, dates: list[date]) -> int | None:
    """The first forecast month whose judging day is on or after ``day``
    (None when unknown or past the horizon), as ``forecast._month_index``."""
    if day is None or day > dates[-1]:
        return None
    for index, judged_on in enumerate(dates):
        if day <= judged_on:
            return index
    return None


def row_state(row: Mapping, on: date) -> str:
    """A snapshot row's state on ``on`` (``compliance_snapshot.status_expression``)."""
    held = row["credential_id"] is not None

    def reached(column: str) -> bool:
        return row[column] is not None and row[column] <= on

    needs_attention = not held or reached("warn_from") or reached("lapses_on") or reached("expired_from")
    if row["pending"] and needs_attention:
        return str(Status.PENDING_REVIEW)
    if not held:
        return str(Status.MISSING)
    if reached("expired_from"):
        return str(Status.EXPIRED)
    if reached("lapses_on"):
        return str(Status.IN_GRACE)
    if reached("warn_from"):
        return str(Status.EXPIRING)
    return str(Status.COMPLIANT)


def empty_tally() -> dict:
    return {
        "people": 0, "people_with_requirements": 0, "people_short": 0, "requirements": 0, "valid": 0,
        "states": {state: 0 for state in STATES},
        "people_in_state": {state: 0 for state in STATES},
        "expiring_within": {str(days): 0 for days in EXPIRY_WINDOWS},
        # compliant rows whose renewal is already too late to start with slack to spare
        "renew_late": 0,
        # forecast: index 0 = never held (-1 in the forecast's terms), 1..12 = months
        "lapsing": [0] * (FORECAST_MONTHS + 1),
        "short_from": [0] * (FORECAST_MONTHS + 1),
        "expiring": [0] * FORECAST_MONTHS,
        "forecast": {"required": [0] * FORECAST_MONTHS, "met": [0] * FORECAST_MONTHS,
                     "short": [0] * FORECAST_MONTHS},
    }


def person_tally(rows: Iterable[Mapping], on: date, restaffed: Sequence[list[int]] | None = None,
                 renew_late: int = 0) -> dict:
    """One active person's tally on ``on`` from their snapshot rows (and,
    when their assignments change within the forecast, the engine's
    forecast figures for them: required, met and short on each month;
    ``renew_late``: how many of their compliant rows are on the renew-now
    list already, their renewal taking longer than the days left)."""
    dates = evaluation_dates(on, FORECAST_MONTHS)
    tally = empty_tally()
    tally["people"] = 1
    tally["renew_late"] = renew_late
    first_short = None
    for row in rows:
        state = row_state(row, on)
        held = row["credential_id"] is not None
        lapsed = row["lapses_on"] is not None and row["lapses_on"] <= on
        tally["requirements"] += 1
        tally["states"][state] += 1
        tally["people_in_state"][state] = 1
        if held and not lapsed:
            tally["valid"] += 1
        expires = row["expires_on"]
        if held and expires is not None and expires >= on:
            for days in EXPIRY_WINDOWS:
                if expires <= on + timedelta(days=days):
                    tally["expiring_within"][str(days)] += 1
            expiry_month = month_index(expires, dates)
            if expiry_month is not None:
                tally["expiring"][expiry_month] += 1
        held_until = -1 if not held else month_index(row["lapses_on"], dates)
        if held_until is not None:
            tally["lapsing"][held_until + 1] += 1
            first_short = held_until if first_short is None else min(first_short, held_until)
    if tally["requirements"]:
        tally["people_with_requirements"] = 1
    if tally["valid"] < tally["requirements"]:
        tally["people_short"] = 1
    if first_short is not None:
        tally["short_from"][first_short + 1] = 1
    if restaffed is None:
        restaffed = forecast_figures(tally)
    tally["forecast"] = dict(zip(("required", "met", "short"), (list(figures) for figures in restaffed)))
    return tally


def forecast_figures(tally: dict) -> tuple[list[int], list[int], list[int]]:
    """Requirements in force, met and people short on each forecast month
    for people whose requirements stay as their rows have them; the month
    lists hold "never held" first, then each month."""
    lapses = {index - 1: n for index, n in enumerate(tally["lapsing"])}
    short_from = {index - 1: n for index, n in enumerate(tally["short_from"])}
    return cumulative_figures(tally["requirements"], lapses, short_from, FORECAST_MONTHS)


def combine(total: dict, part: dict, sign: int = 1) -> dict:
    """``total`` plus (or, with ``sign=-1``, minus) ``part``, in place."""
    for key, value in part.items():
        if isinstance(value, dict):
            combine(total[key], value, sign)
        elif isinstance(value, list):
            total[key] = [a + sign * b for a, b in zip(total[key], value)]
        else:
            total[key] += sign * value
    return total


def state_bit(state: str) -> int:
    """The bit a person's roll-up sets for having a row in ``state``."""
    return 1 << STATES.index(state)


def state_bits(tally: dict) -> int:
    """The states a person has a row in, as bits (``state_bit``)."""
    return sum(state_bit(state) for state in STATES if tally["states"][state])


def worst_rank(tally: dict) -> int | None:
    """The person's most urgent state as its rank in SEVERITY (0 = worst)."""
    for rank, state in enumerate(STATES):
        if tally["states"][state]:
            return rank
    return None
