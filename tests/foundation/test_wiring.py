"""Blueprints, task modules and mail kinds are listed by name in one place each,
and nothing that should be in a list is left out of it."""
from __future__ import annotations

import importlib
import pkgutil

import jobs
import portal.blueprints
from jobs.main import TASK_MODULES
from portal.blueprints import BLUEPRINTS
from portal.services import mailer
from portal.services.mail_types import MAIL_TYPES

NOT_TASK_MODULES = {"main", "queue", "context"}


def test_every_blueprint_module_is_listed():
    found = {m.name for m in pkgutil.iter_modules(portal.blueprints.__path__)
             if hasattr(importlib.import_module(f"portal.blueprints.{m.name}"), "bp")}
    assert found == set(BLUEPRINTS)


def test_every_task_module_is_listed():
    found = {m.name for m in pkgutil.iter_modules(jobs.__path__)} - NOT_TASK_MODULES
    assert found == set(TASK_MODULES)


def test_the_mail_types_are_registered_at_start_up(app):
    assert {t.kind for t in MAIL_TYPES} <= set(mailer.MAIL_TYPES)
    assert mailer.mail_type("reminder").context is not None


def test_every_endpoint_the_navigation_and_landings_name_is_registered(app):
    """Pages link to each other and the bar lists its entries without asking
    whether an area is installed: every area is, so a name here must be a view."""
    from portal import navigation
    from portal.policies.access import LANDING_ENDPOINTS

    named = ({i.endpoint for i in navigation._ITEMS} | navigation.SETUP_SECTIONS | navigation.USER_MENU
             | {endpoint for _, endpoint in LANDING_ENDPOINTS})
    assert len(navigation._ITEMS) >= 10
    assert named - set(app.view_functions) == set()
