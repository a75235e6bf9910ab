"""Consumer entry point: ``huey_consumer jobs.main.huey``.

Importing this module registers every task module with the Huey instance.
"""
import importlib
import pkgutil

import jobs
from jobs.queue import huey

_SKIP = {"main", "queue", "context"}

for _module in pkgutil.iter_modules(jobs.__path__):
    if _module.name not in _SKIP:
        importlib.import_module(f"jobs.{_module.name}")

__all__ = ["huey"]
