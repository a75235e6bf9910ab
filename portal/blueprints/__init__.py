"""Blueprints, one per area, registered by name: the list is the map of the site.

A new area adds its module's name here (tests/foundation/test_wiring.py fails
for a module with a ``bp`` that is not listed).
"""
from __future__ import annotations

import importlib

from flask import Flask

BLUEPRINTS = (
    "account", "audit", "auth", "ce", "documents", "errors", "health", "home", "integrations", "me",
    "notifications", "outbox", "registry", "renew", "review", "setup", "team", "verification",
)


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(f"{__name__}.{name}").bp)
