"""When the daily scan and the weekly digests run: once per local date (ISO
week) after REMINDER_TIME in REMINDER_TIMEZONE, each run recorded as an audit
event so a restart or a second consumer never runs it twice."""
from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Notification, today, utcnow
from portal.policies import reminders as rules
from portal.services import audit, mailer
from portal.services.reminders.digests import run_weekly_digests, week_key
from portal.services.reminders.events import emit_webhooks
from portal.services.reminders.scan import ScanResult, scan


def run_daily(on: date | None = None, send: bool = True) -> ScanResult:
    """The daily job: scan, tell webhooks, then send what is due."""
    on = on or today()
    before = db.session.scalar(select(func.max(Notification.id))) or 0
    result = scan(on)
    emit_webhooks(before, on)
    if send:
        result.sent = mailer.send_pending(limit=None)
    return result


SCHEDULE_ENTITY = "ReminderSchedule"
SCAN_ACTION = "reminders.daily_scan"
DIGEST_ACTION = "reminders.weekly_digest"


def _ran(action: str, key: str) -> bool:
    return db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.entity_type == SCHEDULE_ENTITY, AuditEvent.entity_id == key,
        AuditEvent.action == action).limit(1)) is not None


def _record_run(action: str, key: str, after: dict) -> None:
    audit.record(action, None, entity_type=SCHEDULE_ENTITY, entity_id=key, after=after, actor="scheduler")
    db.session.commit()


def run_scheduled_scan(now: datetime | None = None) -> dict | None:
    """The periodic task's body (checked every few minutes): run the daily scan
    for the local date once REMINDER_TIME has come in REMINDER_TIMEZONE, if it
    has not run for that date (recorded as an audit event). None: not due."""
    config = current_app.config
    on = rules.scheduled_date(now or utcnow(), config["REMINDER_TIME"], config["REMINDER_TIMEZONE"])
    if on is None or _ran(SCAN_ACTION, on.isoformat()):
        return None
    result = run_daily(on).as_dict()
    _record_run(SCAN_ACTION, on.isoformat(), {"created": result["created"], "sent": result["sent"]})
    return result


def run_scheduled_digests(now: datetime | None = None) -> int | None:
    """Weekly digests on DIGEST_WEEKDAY (crontab numbering) at REMINDER_TIME
    local time, once per ISO week. None: not due."""
    config = current_app.config
    on = rules.scheduled_date(now or utcnow(), config["REMINDER_TIME"], config["REMINDER_TIMEZONE"],
                              cron_weekday=int(config.get("DIGEST_WEEKDAY", 1)))
    if on is None or _ran(DIGEST_ACTION, week_key(on)):
        return None
    written = run_weekly_digests(on)
    _record_run(DIGEST_ACTION, week_key(on), {"digests": written, "on": on.isoformat()})
    return written
