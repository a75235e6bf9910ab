"""Browser tests: a live portal in a thread, real headless Chromium, real jobs.

Reusable by every area. In a test module::

    import pytest
    pytestmark = pytest.mark.e2e

    def test_something(live_server, page, sign_in, shot, org):
        sign_in(page, org.employee_user)            # signs in through the login form
        page.goto(live_server.url("/me"))           # or live_server.url_for("me.credentials")
        shot(page, "my-credentials")                # tests/artifacts/<test>/01-my-credentials.png

Fixtures:

``live_server``
    The test's ``app`` (same migrated SQLite file or PostgreSQL database as
    the test itself, so rows made with ``tests.support.factories`` are seen by
    the browser) served by Werkzeug on a free loopback port in a daemon
    thread. ``.base_url``, ``.url(path)``, ``.url_for(endpoint, **values)``.
    Jobs run with ``huey.immediate = True`` (inside the request that enqueued
    them) unless the test also asks for ``huey_consumer``.

``huey_consumer`` / ``paused_huey_consumer``
    A real consumer: ``huey.immediate`` off, a private SQLite queue file for
    this test (never the shared Redis database, which other test runs use),
    and one worker thread that dequeues and executes tasks exactly as
    ``huey_consumer`` would, with ``jobs.context`` bound to the test's app.
    Use it when a page must show a job's progress ("queued -> reading ->
    waiting for review"). ``huey_consumer.wait_idle(timeout)`` waits until the
    queue is empty and no task is running (a condition, not a sleep). The
    paused one's worker starts at ``.start()``: jobs wait until then.

``browser`` (session) / ``context`` / ``page``
    Debian's ``/usr/bin/chromium`` through Playwright for Python (never a
    downloaded browser). ``context``/``page`` are fresh per test, 1280x900.
    ``phone_page`` is a 390x844 touch context for phone layouts.

``sign_in(page, user, password=factories.PASSWORD)``
    Signs in through the real login form and waits for the landing page.

``shot(page, name, full_page=True)``
    Saves a numbered PNG under ``tests/artifacts/<test name>/`` and returns
    its path (artifacts are not committed).

Skips cleanly (with the reason) when Chromium or Playwright is missing.
"""
from __future__ import annotations

import itertools
import logging
import re
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import url_for
from werkzeug.serving import make_server

from tests.support import factories

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


# --------------------------------------------------------------------------- server


@dataclass
class LiveServer:
    app: object
    host: str
    port: int
    _server: object = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def url_for(self, endpoint: str, **values) -> str:
        with self.app.test_request_context():
            return self.url(url_for(endpoint, **values))

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture
def live_server(app):
    """The test's app served on 127.0.0.1:<free port> in a thread."""
    # Request lines would be logged to pytest's captured (soon closed) streams.
    werkzeug_log = logging.getLogger("werkzeug")
    saved_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app=app, host="127.0.0.1", port=server.server_port, _server=server, _thread=thread)
    yield live
    live.stop()
    werkzeug_log.setLevel(saved_level)


# --------------------------------------------------------------------------- jobs


class ThreadConsumer:
    """One worker thread doing what ``huey_consumer`` does: dequeue, execute."""

    def __init__(self, huey):
        self.huey = huey
        self._stop = threading.Event()
        self._busy = threading.Event()
        self.executed: list[str] = []
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, name="huey-test-consumer", daemon=True)

    def start(self) -> "ThreadConsumer":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            task = self.huey.dequeue()
            if task is None:
                self._stop.wait(0.05)
                continue
            self._busy.set()
            try:
                self.huey.execute(task)
                self.executed.append(task.name)
            except BaseException as exc:  # a failing task must not kill the consumer
                self.errors.append(exc)
            finally:
                self._busy.clear()

    def wait_idle(self, timeout: float = 60) -> None:
        """Block until the queue is empty and no task is running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._busy.is_set() and self.huey.pending_count() == 0:
                # re-check after the worker had a chance to pick up a racing enqueue
                self._stop.wait(0.1)
                if not self._busy.is_set() and self.huey.pending_count() == 0:
                    return
            self._stop.wait(0.05)
        raise TimeoutError(f"jobs still running after {timeout} s")

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)


@contextmanager
def _thread_consumer(app, tmp_path, start: bool):
    from huey.storage import SqliteStorage

    import jobs.context
    import jobs.main  # noqa: F401  (registers every task module)
    from jobs.queue import huey

    saved_app = jobs.context._app
    huey.immediate = False
    original_storage = huey.storage
    huey.storage = SqliteStorage(huey.name, filename=str(tmp_path / "huey-test.db"))
    jobs.context._app = app
    consumer = ThreadConsumer(huey)
    if start:
        consumer.start()
    yield consumer
    consumer.stop()
    huey.storage = original_storage
    jobs.context._app = saved_app
    huey.immediate = True  # the app fixture's setting; it turns it off at teardown
    if consumer.errors:
        raise consumer.errors[0]


@pytest.fixture
def huey_consumer(app, tmp_path):
    """Real queued jobs for this test: private SQLite queue + a worker thread."""
    with _thread_consumer(app, tmp_path, start=True) as consumer:
        yield consumer


@pytest.fixture
def paused_huey_consumer(app, tmp_path):
    """As ``huey_consumer``, but its worker starts when the test calls
    ``.start()``: until then jobs wait in the queue, so a page can be seen
    showing work that waits (as behind a busy worker)."""
    with _thread_consumer(app, tmp_path, start=False) as consumer:
        yield consumer


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    ctx = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    yield page
    page.close()


@pytest.fixture
def phone_page(browser, live_server):
    ctx = browser.new_context(
        base_url=live_server.base_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    yield page
    ctx.close()


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, user) signs in through the login form."""

    def _sign_in(page, user, password: str = factories.PASSWORD):
        page.goto(live_server.url("/login"))
        page.get_by_label("Email address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return _sign_in


@pytest.fixture
def shot(request):
    """shot(page, name) saves tests/artifacts/<test>/<nn>-<name>.png."""
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    counter = itertools.count(1)

    def _shot(page, name: str, full_page: bool = True) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^\w.-]+", "-", name)
        path = folder / f"{next(counter):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return _shot
