"""The one Huey instance: SqliteHuey in instance/ by default, RedisHuey with REDIS_URL.

Huey deletes a task when a worker takes it and never re-delivers one lost in a
crash, so tasks here only carry ids: the database owns each job's state, and
periodic sweepers re-enqueue work a dead worker left behind.
"""
from __future__ import annotations

import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey

ROOT = Path(__file__).resolve().parent.parent


def make_huey():
    # Nobody reads a task's return value (state is in the database), so none
    # is stored: with results on, the result store grew by a row per email.
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("credwatch", url=redis_url, utc=True, results=False)
    instance = Path(os.environ.get("CREDWATCH_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    path = os.environ.get("CREDWATCH_HUEY_SQLITE_PATH", str(instance / "huey.db"))
    return SqliteHuey("credwatch", filename=path, utc=True, timeout=30, results=False)


huey = make_huey()


def run_later(task, *args, delay: float) -> None:
    """Put ``task(*args)`` straight on the schedule, ``delay`` seconds ahead.

    Not ``task.schedule()``: Huey sends that through the queue and the worker
    that takes it files it in the schedule, so an idle worker of a consumer
    that is exiting (RedisHuey's BRPOP is served the moment the push lands)
    would take it and die with it. The schedule is read by schedulers only,
    and the exiting one has stopped. Used to put interrupted work back."""
    from huey.utils import normalize_time

    huey.add_schedule(task.task_class(args, {}, eta=normalize_time(delay=delay, utc=huey.utc)))
