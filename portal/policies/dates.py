"""Calendar arithmetic the rules share."""
from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def predicted_expiry(issued_on: date | None, validity_months: int | None) -> date | None:
    """When a credential issued on ``issued_on`` lapses, by its type's validity.

    Issuers print the day before the anniversary (issued 1 March 2024 for two
    years: expires 28 February 2026), so that is what we predict.
    """
    if issued_on is None or validity_months is None:
        return None
    anniversary = add_months(issued_on, validity_months)
    if anniversary.day < issued_on.day:
        # No such day that month (29 Feb, 31st): the anniversary is the 1st
        # of the next month, so the last valid day is the month's last day.
        return anniversary
    return anniversary - timedelta(days=1)
