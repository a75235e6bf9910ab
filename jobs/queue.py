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
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("credwatch", url=redis_url, utc=True)
    instance = Path(os.environ.get("CREDWATCH_INSTANCE_PATH", ROOT / "instance"))
    instance.mkdir(parents=True, exist_ok=True)
    path = os.environ.get("CREDWATCH_HUEY_SQLITE_PATH", str(instance / "huey.db"))
    return SqliteHuey("credwatch", filename=path, utc=True, timeout=30)


huey = make_huey()
