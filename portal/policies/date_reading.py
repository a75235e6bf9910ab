"""Dates a reviewer cannot misread.

A numeric date such as 09/02/2028 is 9 February in the UK and 2 September in
the US. The review page therefore spells every date out beside its input,
says which order the document's dates were read in and why, and marks a
date whose reading rested on a guess about the locale alone so that the
reviewer looks at it before confirming.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

ORDER_WORDS = {"DMY": "day first (day/month/year)", "MDY": "month first (month/day/year)",
               "YMD": "year first (year-month-day)"}


def spelled(day: date | None) -> str:
    """"9 February 2028": a date nobody reads in the wrong order."""
    return f"{day.day} {day:%B %Y}" if day else "no date"


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value is None:
        return value
    try:
        text = str(value).strip()
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def swapped(day: date | None) -> date | None:
    """The other reading of a numeric date (day and month exchanged), if there is one."""
    if day is None or day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month)


@dataclass(frozen=True)
class AmbiguousDate:
    field: str
    read: date
    printed: str | None
    other: date | None  # the reading in the other order

    @property
    def message(self) -> str:
        printed = f"“{self.printed}”" if self.printed else "The printed date"
        other = f" or {spelled(self.other)}" if self.other else ""
        return (f"{printed} could be {spelled(self.read)}{other}: only the country's usual order decided. "
                "Look at the document and tick when the date is right.")


@dataclass(frozen=True)
class DateReading:
    order: str | None      # "DMY" | "MDY" | "YMD"
    reason: str | None
    ambiguous: tuple[str, ...]

    @property
    def order_words(self) -> str | None:
        return ORDER_WORDS.get(self.order or "")


def reading(fields: Mapping[str, Any] | None) -> DateReading:
    """How the pipeline read the document's dates (old extractions have none of this)."""
    fields = fields or {}
    return DateReading(fields.get("date_order"), fields.get("date_order_reason"),
                       tuple(fields.get("ambiguous") or ()))


def ambiguous_dates(fields: Mapping[str, Any] | None, entered: Mapping[str, Any],
                    printed: Mapping[str, str | None]) -> list[AmbiguousDate]:
    """Ambiguous dates the reviewer kept as read (a changed date has been looked at)."""
    fields = fields or {}
    found = []
    for name in reading(fields).ambiguous:
        read = as_date(fields.get(name))
        if read is None or as_date(entered.get(name)) != read:
            continue
        found.append(AmbiguousDate(name, read, printed.get(name), swapped(read)))
    return found
