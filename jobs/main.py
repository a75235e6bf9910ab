"""Consumer entry point: ``huey_consumer jobs.main.huey``.

Importing this module registers the task modules listed here with the Huey
instance; a new task module adds its name (tests/foundation/test_wiring.py
fails for one that is not listed).
"""
import importlib

from jobs.queue import huey

TASK_MODULES = ("compliance", "documents", "reminders", "system", "verification", "webhooks")

for _name in TASK_MODULES:
    importlib.import_module(f"jobs.{_name}")

__all__ = ["TASK_MODULES", "huey"]
