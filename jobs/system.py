"""Housekeeping tasks: the consumer's heartbeat for /healthz."""
from __future__ import annotations

import os
import socket

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


@huey.periodic_task(crontab(minute="*"))
@with_app_context
def heartbeat() -> None:
    from portal.services.heartbeat import beat

    beat(f"{socket.gethostname()}:{os.getpid()}")


@huey.on_startup()
def _first_beat() -> None:
    # Report at once rather than up to a minute after the consumer starts.
    heartbeat.call_local()
