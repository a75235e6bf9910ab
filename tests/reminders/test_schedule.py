"""The daily scan follows REMINDER_TIME in REMINDER_TIMEZONE across
daylight-saving changes, once per local date (explicit datetimes, no sleeping)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.policies.reminders import scheduled_date
from portal.services import reminders
from tests.support import factories

UTC = timezone.utc


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("now,expected", [
    (utc(2026, 3, 28, 5, 59), None),                  # Sat, CET (UTC+1): 06:59 local
    (utc(2026, 3, 28, 6, 0), date(2026, 3, 28)),     # 07:00 CET
    (utc(2026, 3, 30, 4, 59), None),                  # Mon, CEST (UTC+2): 06:59 local
    (utc(2026, 3, 30, 5, 0), date(2026, 3, 30)),     # 07:00 CEST: an hour earlier in UTC
    (utc(2026, 10, 26, 5, 59), None),                 # back to CET
    (utc(2026, 10, 26, 6, 0), date(2026, 10, 26)),
    (utc(2026, 3, 29, 22, 30), None),                 # 00:30 Monday local: not 07:00 yet
])
def test_seven_in_the_morning_in_berlin(now, expected):
    assert scheduled_date(now, "07:00", "Europe/Berlin") == expected


def test_a_time_that_does_not_exist_runs_at_the_first_check_after_it():
    # New York springs forward at 02:00 on 8 March 2026: 02:30 never happens
    assert scheduled_date(utc(2026, 3, 8, 6, 55), "02:30", "America/New_York") is None  # 01:55 EST
    assert scheduled_date(utc(2026, 3, 8, 7, 0), "02:30", "America/New_York") == date(2026, 3, 8)  # 03:00 EDT


def test_digest_weekday_uses_crontab_numbering_in_local_time():
    monday_local = utc(2026, 3, 29, 23, 0)  # Sunday 23:00 UTC is Monday 01:00 in Berlin
    assert scheduled_date(monday_local, "00:30", "Europe/Berlin", cron_weekday=1) == date(2026, 3, 30)
    assert scheduled_date(monday_local, "00:30", "UTC", cron_weekday=1) is None  # still Sunday in UTC


def _runs_between(app, start, end, step=timedelta(minutes=5)):
    """Run the periodic check every ``step`` like the consumer would; return when it ran."""
    ran = []
    now = start
    while now < end:
        result = reminders.run_scheduled_scan(now)
        if result is not None:
            ran.append((now, result["on"]))
        now += step
    return ran


def test_the_scan_runs_once_per_local_day_at_local_seven_across_the_change(app, org):
    factories.default_policy()
    db.session.commit()
    app.config.update(REMINDER_TIME="07:00", REMINDER_TIMEZONE="Europe/Berlin")
    ran = _runs_between(app, utc(2026, 3, 28, 0, 0), utc(2026, 3, 31, 0, 0))
    assert ran == [
        (utc(2026, 3, 28, 6, 0), "2026-03-28"),
        (utc(2026, 3, 29, 5, 0), "2026-03-29"),  # the night the clocks went forward
        (utc(2026, 3, 30, 5, 0), "2026-03-30"),
    ]
    recorded = db.session.scalars(select(AuditEvent.entity_id).where(
        AuditEvent.action == reminders.SCAN_ACTION).order_by(AuditEvent.id)).all()
    assert recorded == ["2026-03-28", "2026-03-29", "2026-03-30"]


def test_the_repeated_hour_of_a_fall_back_night_does_not_run_twice(app, org):
    factories.default_policy()
    db.session.commit()
    # 02:30 happens twice in Berlin on 25 October 2026: 00:30 UTC (CEST) and 01:30 UTC (CET)
    app.config.update(REMINDER_TIME="02:30", REMINDER_TIMEZONE="Europe/Berlin")
    ran = _runs_between(app, utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 12, 0))
    assert ran == [(utc(2026, 10, 25, 0, 30), "2026-10-25")]


def test_a_consumer_down_at_the_time_runs_the_scan_when_it_is_back(app, org):
    factories.default_policy()
    db.session.commit()
    app.config.update(REMINDER_TIME="07:00", REMINDER_TIMEZONE="Europe/Berlin")
    assert reminders.run_scheduled_scan(utc(2026, 3, 30, 11, 17))["on"] == "2026-03-30"
    assert reminders.run_scheduled_scan(utc(2026, 3, 30, 11, 22)) is None


def test_the_periodic_task_calls_the_schedule(app, org):
    import jobs.reminders

    factories.default_policy()
    db.session.commit()
    app.config.update(REMINDER_TIME="00:00", REMINDER_TIMEZONE="UTC")  # always due today
    first = jobs.reminders.daily_scan.call_local()
    assert first is not None and first["on"] == datetime.now(UTC).date().isoformat()
    assert jobs.reminders.daily_scan.call_local() is None  # once per local date


def test_weekly_digests_once_per_iso_week(app, org):
    factories.default_policy()
    db.session.commit()
    app.config.update(REMINDER_TIME="07:00", REMINDER_TIMEZONE="Europe/Berlin", DIGEST_WEEKDAY="1")
    assert reminders.run_scheduled_digests(utc(2026, 3, 29, 6, 0)) is None  # Sunday
    assert reminders.run_scheduled_digests(utc(2026, 3, 30, 5, 0)) is not None  # Monday 07:00 CEST
    assert reminders.run_scheduled_digests(utc(2026, 3, 30, 9, 0)) is None
