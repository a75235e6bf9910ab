"""Shared fixtures in the style of Flask's tutorial: app, client, runner.

One app serves the whole session (``session_app``); each test gets it
through ``app`` with nothing left by the test before: a fresh database (a
copy of the migrated SQLite file by default, or, when
CREDWATCH_TEST_DATABASE_URL points at PostgreSQL, a database of our own made
for this session, dropped after, emptied between tests), instance folder,
config, job queue and rate-limit counters. Tests never touch the demo
database in instance/.

A test holds one app context (its ``db.session``); every request of the test
client runs in an app context of its own, as in production.
"""
from __future__ import annotations

import contextvars
import copy
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient

# Anything that reads the instance path at import (the Huey instance) gets a
# throwaway folder, never the developer's instance/.
os.environ["CREDWATCH_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="credwatch-test-")
# One limiter serves every app this process builds, and the last one built
# gives it its store. Every app built here (the session's, and those a test
# or the job context builds) counts in memory, so the session's app never
# counts in another app's database; each test starts with no counts.
os.environ["CREDWATCH_RATELIMIT_STORAGE_URI"] = "memory://"

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from tests.support import factories  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts"


def _create_postgres_database(base_url: str) -> str:
    import psycopg

    name = f"credwatch_test_{uuid.uuid4().hex[:10]}"
    plain = base_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return re.sub(r"/[^/?]+(\?|$)", f"/{name}\\1", base_url, count=1)


def _drop_postgres_database(url: str, base_url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(base_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated empty database: a SQLite file to copy, or a PostgreSQL URL."""
    base_url = os.environ.get("CREDWATCH_TEST_DATABASE_URL")
    instance = tmp_path_factory.mktemp("template-instance")
    if base_url:
        from portal.config import normalise_database_url

        base_url = normalise_database_url(base_url)
        url = _create_postgres_database(base_url)
        _migrate(url, instance)
        yield {"kind": "postgresql", "url": url}
        _drop_postgres_database(url, base_url)
    else:
        path = instance / "template.db"
        _migrate(f"sqlite:///{path}", instance)
        yield {"kind": "sqlite", "path": path}


# What every test's app differs in from a deployment.
TEST_CONFIG = {
    "TESTING": True,
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_SECURE": False,
    "SERVER_NAME": None,
}
# What create_app made in the instance folder and later tests expect to find.
KEPT_IN_INSTANCE = {"secret_key"}


@dataclass
class SessionApp:
    """The session's one app, and what each test starts from."""

    app: Flask
    config: dict
    sqlite_path: Path | None


@pytest.fixture(scope="session")
def session_app(database_template, tmp_path_factory) -> SessionApp:
    """One app for the whole session: building it is most of a test's setup.

    Tests still share nothing: the ``app`` fixture hands each one a fresh
    database, instance folder, config, job queue and rate-limit counters.
    """
    instance = tmp_path_factory.mktemp("instance")
    if database_template["kind"] == "sqlite":
        sqlite_path = instance / "test.db"
        url = f"sqlite:///{sqlite_path}"
    else:
        sqlite_path, url = None, database_template["url"]
    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url, **TEST_CONFIG})
    app.test_client_class = CsrfAwareClient
    return SessionApp(app, copy.deepcopy(dict(app.config)), sqlite_path)


@pytest.fixture
def app(session_app, database_template):
    app = session_app.app
    _fresh_instance(Path(app.instance_path))
    with app.app_context():
        db.engine.dispose()  # no connection may outlive the file it was opened on
    if session_app.sqlite_path:
        shutil.copy(database_template["path"], session_app.sqlite_path)
    _fresh_extension_state()
    from jobs.queue import huey

    huey.immediate = True  # a new in-memory queue, with no locks held
    with app.app_context():
        yield app
        db.session.remove()
        if database_template["kind"] == "postgresql":
            _empty_postgres()
        db.engine.dispose()
    huey.immediate = False
    _restore_config(app, session_app.config)


def _fresh_instance(instance: Path) -> None:
    # Uploads, the outbox and the SQLite files (with their -wal and -shm) of
    # the test before.
    for entry in instance.iterdir():
        if entry.name in KEPT_IN_INSTANCE:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _fresh_extension_state() -> None:
    from portal.extensions import limiter
    from portal.services.verification import http

    limiter.reset()
    http.clear_cache()


def _restore_config(app: Flask, baseline: dict) -> None:
    """Undo what a test set in ``app.config``."""
    for key in set(app.config) - set(baseline):
        del app.config[key]
    for key, value in baseline.items():
        if key not in app.config or app.config[key] != value:
            app.config[key] = copy.deepcopy(value)


def _empty_postgres() -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


class CsrfAwareClient(FlaskClient):
    """A test client that sends the page's CSRF token, as a browser form would.

    ``client.post(..., csrf=False)`` sends none, to test that the portal refuses.
    """

    _token_pattern = re.compile(r'name="csrf-token" content="([^"]+)"')

    def csrf_token(self) -> str:
        page = self.get("/", follow_redirects=True)
        match = self._token_pattern.search(page.get_data(as_text=True))
        assert match, "the layout must carry a csrf-token meta tag"
        return match.group(1)

    def run_wsgi_app(self, environ, buffered: bool = False):
        # As in production, each request (and each redirect it follows) runs
        # in an app context of its own: ``g`` and the database session are
        # new. The test's session commits what the test wrote first, so the
        # request sees it, and reads afresh afterwards (commit expires it).
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().run_wsgi_app, environ, buffered)

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS") and not _is_api_call(args, kwargs):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def _is_api_call(args, kwargs) -> bool:
    path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
    return isinstance(path, str) and path.startswith("/api/")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def org(app):
    """A small organisation: a manager with a report, an outsider, HR, admin."""
    return factories.small_org()


def _login(app, user) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def login(app):
    """login(user) -> a client signed in as that user."""
    return lambda user: _login(app, user)


@pytest.fixture
def employee_client(app, org):
    return _login(app, org.employee_user)


@pytest.fixture
def manager_client(app, org):
    return _login(app, org.manager_user)


@pytest.fixture
def reviewer_client(app, org):
    return _login(app, org.reviewer_user)


@pytest.fixture
def admin_client(app, org):
    return _login(app, org.admin_user)


@pytest.fixture
def compliance_client(app, org):
    return _login(app, org.compliance_user)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: ...`` then ``q.count`` SQL statements."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        counter = QueryCounter()

        def on_execute(conn, cursor, statement, *args):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", on_execute)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", on_execute)

    return counting
