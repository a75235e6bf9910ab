"""Run task bodies inside a Flask app context.

In the consumer, one app is built per process and reused. When a task runs
in-process (``huey.immediate`` in tests, or ``call_local()``), the caller's app
context is used, so the task sees the same database as the test.
"""
from __future__ import annotations

import threading
from functools import wraps

from flask import has_app_context

_app = None
_app_lock = threading.Lock()


def consumer_app():
    """The consumer's one app; its worker threads start together, so the
    first to arrive builds it and the others wait for it."""
    global _app
    with _app_lock:
        if _app is None:
            from portal import create_app

            _app = create_app()
    return _app


def with_app_context(fn):
    @wraps(fn)
    def wrapped(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with consumer_app().app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                from portal.extensions import db

                db.session.remove()

    return wrapped
