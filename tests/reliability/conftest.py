"""Real processes for the reliability tests: the Procfile's consumer and web commands.

``procfile_command(name)`` is the Procfile's line for ``web`` or ``worker``,
split into arguments, so a test runs what operators run.

``consumer`` starts ``huey_consumer`` (the Procfile's worker line by
default) as a child process on the test's database and instance folder and
the queue the test process enqueues into (the same SQLite queue file, or
the same Redis database when ``REDIS_URL`` is set). Tasks the test enqueues
with ``huey.immediate`` off run there. ``consumer.start(extra_args)``,
``.stop()``, ``.kill()``, ``.terminate()``; ``.log()`` is what it printed.
"""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def procfile_command(name: str) -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            words = shlex.split(line.split(":", 1)[1])
            return [w for w in words if "=" not in w or w.startswith("-")]  # drop VAR=value prefixes
    raise LookupError(name)


def process_env(app, **extra) -> dict:
    from jobs.queue import huey

    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CREDWATCH_INSTANCE_PATH": app.instance_path,
        "CREDWATCH_SESSION_COOKIE_SECURE": "false",
        "CREDWATCH_REMEMBER_COOKIE_SECURE": "false",
        "PYTHONUNBUFFERED": "1",
    })
    if not os.environ.get("REDIS_URL") and hasattr(huey.storage, "filename"):
        env["CREDWATCH_HUEY_SQLITE_PATH"] = huey.storage.filename
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


class Consumer:
    def __init__(self, app, tmp_path):
        self.app = app
        self.log_path = tmp_path / "consumer.log"
        self.proc: subprocess.Popen | None = None

    def start(self, args: list[str] | None = None, **env) -> "Consumer":
        args = args or procfile_command("worker")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=process_env(self.app, **env), stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.1)
        return False

    def signal(self, sig) -> int | None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                return self.proc.wait()
        return None

    def kill(self):
        return self.signal(signal.SIGKILL)

    def terminate(self):
        return self.signal(signal.SIGTERM)

    def stop(self):
        return self.signal(signal.SIGINT)


@pytest.fixture
def consumer(app, tmp_path):
    from jobs.queue import huey

    huey.immediate = False
    huey.flush()
    started = Consumer(app, tmp_path)
    yield started
    started.kill()
    huey.flush()
    huey.immediate = True


def wait_until(condition, timeout: float = 30, every: float = 0.2):
    """Poll ``condition`` (a callable) until it returns something true; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


from tests.e2e.conftest import live_server  # noqa: E402,F401  (the threaded live server)


def browser_session(live, user, password=None):
    """A ``requests`` session signed in through the login form of ``live``,
    with the page's CSRF token in its headers (as htmx sends it)."""
    import re

    import requests

    from tests.support import factories

    http = requests.Session()
    page = http.get(live.url("/login")).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    answer = http.post(live.url("/login"), data={"email": user.email, "password": password or factories.PASSWORD},
                       headers={"X-CSRFToken": token}, allow_redirects=False)
    assert answer.status_code == 302, answer.text[:300]
    page = http.get(live.url("/me")).text
    http.headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return http
