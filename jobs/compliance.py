"""Nightly refresh of the compliance snapshot.

Changes re-evaluate the people they touch at once; this moves everyone with
the calendar (project assignments starting or ending) and heals anything a
bulk SQL statement changed behind the session hooks' back.
"""
from __future__ import annotations

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


@huey.periodic_task(crontab(hour="0", minute="10"))
@huey.lock_task("compliance-refresh-everyone")
@with_app_context
def refresh_compliance_snapshot() -> int:
    from portal.database import refresh_planner_statistics
    from portal.services.compliance_snapshot import refresh_everyone

    rows = refresh_everyone()
    refresh_planner_statistics()  # commits, then analyses every table once
    return rows
