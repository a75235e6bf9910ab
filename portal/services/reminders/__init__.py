"""Reminders and escalations: each module one job.

- ``scan``: the daily scan, the SQL form of ``portal.policies.reminders.pick``
- ``facts``: the policies and organisation facts the scan and the rule read
- ``content``: what each email says, and whether it is still worth sending
- ``digests``: the weekly digests
- ``events``: webhook events for what the scan wrote
- ``schedule``: when the scan and the digests run (and ``run_daily``)

Their mail types are registered by name in ``portal.services.mail_types``.
"""
# What callers use from the package (the CLI, the jobs, the demo, tests).
from portal.services.reminders.digests import run_weekly_digests
from portal.services.reminders.scan import scan
from portal.services.reminders.schedule import SCAN_ACTION, run_daily, run_scheduled_digests, run_scheduled_scan

__all__ = ["SCAN_ACTION", "run_daily", "run_scheduled_digests", "run_scheduled_scan", "run_weekly_digests", "scan"]
