#!/usr/bin/env python3
"""Print the clock offset (seconds) that moves the test run to another day.

    scripts/test-clock.py DAY

DAY is an ISO date (``2028-02-29``), ``+N`` days from today, ``leap-day``
(the next 29 February), or ``dst`` (the next last Sunday of March, when
Europe's clocks go forward). The time of day is kept, so the shifted clock
ticks on from the same hour. ``scripts/run-tests.sh`` exports the figure as
``CREDWATCH_TEST_CLOCK_OFFSET`` for ``tests/support/clock/sitecustomize.py``.
"""
from __future__ import annotations

import sys
import time
from datetime import UTC, date, datetime, timedelta


def target_day(spec: str, today: date) -> date:
    if spec.startswith("+"):
        return today + timedelta(days=int(spec[1:]))
    if spec == "leap-day":
        return next(d for d in (_leap_day(y) for y in range(today.year, today.year + 9)) if d and d > today)
    if spec == "dst":
        return next(d for d in (_spring_forward(y) for y in (today.year, today.year + 1)) if d > today)
    return date.fromisoformat(spec)


def _leap_day(year: int) -> date | None:
    try:
        return date(year, 2, 29)
    except ValueError:
        return None


def _spring_forward(year: int) -> date:
    last = date(year, 3, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    day = target_day(argv[1], now.date())
    moved = datetime.combine(day, now.timetz())
    print(f"{moved.timestamp() - time.time():.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
