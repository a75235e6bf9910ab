"""Shared fixtures in the style of Flask's tutorial: app, client, runner.

The database is real: a migrated SQLite file per test by default, or, when
CREDWATCH_TEST_DATABASE_URL points at PostgreSQL, a database of our own made
for this session (and dropped after), emptied between tests. Tests never
touch the demo database in instance/.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from flask.testing import FlaskClient

# Anything that reads the instance path at import (the Huey instance) gets a
# throwaway folder, never the developer's instance/.
os.environ["CREDWATCH_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="credwatch-test-")

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


def _empty_postgres(app) -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def app(database_template, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    if database_template["kind"] == "sqlite":
        db_path = instance / "test.db"
        shutil.copy(database_template["path"], db_path)
        url = f"sqlite:///{db_path}"
    else:
        url = database_template["url"]
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": url,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "SERVER_NAME": None,
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    app.test_client_class = CsrfAwareClient
    from jobs.queue import huey

    huey.immediate = True
    with app.app_context():
        yield app
        db.session.remove()
        if database_template["kind"] == "postgresql":
            _empty_postgres(app)
        db.engine.dispose()
    huey.immediate = False


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
