"""Housekeeping tasks: the consumer's heartbeat (alive, and its Tesseract) for /healthz."""
from __future__ import annotations

import os
import socket

from huey import crontab

from jobs.context import with_app_context
from jobs.queue import huey


@huey.periodic_task(crontab(minute="*"))
@with_app_context
def heartbeat() -> None:
    from portal.services.heartbeat import beat, ocr_version

    # The consumer runs the readings, so its Tesseract is the one that counts.
    beat(f"{socket.gethostname()}:{os.getpid()}", ocr_version())


@huey.on_startup()
def _first_beat() -> None:
    # Report at once rather than up to a minute after the consumer starts.
    heartbeat.call_local()
