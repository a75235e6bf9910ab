"""Sign-in limits hold across gunicorn workers, behind a proxy, without locking owners out."""
from __future__ import annotations

import re
import socket
import subprocess
import time

import pytest
import requests

from tests.reliability.conftest import ROOT, process_env, procfile_command
from tests.support import factories


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path):
    """The Procfile's web command (two workers) on the test database."""
    port = _free_port()
    args = [a.replace("$PORT", str(port)) for a in procfile_command("web")]
    env = process_env(app, CREDWATCH_LOGIN_RATE_LIMIT="10 per minute", CREDWATCH_TRUSTED_PROXIES="1")
    env.pop("CREDWATCH_RATELIMIT_STORAGE_URI", None)
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/login", timeout=20)
            break
        except requests.RequestException:
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def _attempts(base, email, forwarded_for, count):
    http = requests.Session()
    page = http.get(base + "/login", headers={"X-Forwarded-For": forwarded_for}).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    codes = []
    for _ in range(count):
        codes.append(http.post(base + "/login", data={"email": email, "password": "wrong-password"},
                               headers={"X-CSRFToken": token, "X-Forwarded-For": forwarded_for,
                                        "Connection": "close"},  # a new connection: any worker
                               allow_redirects=False).status_code)
    return codes, http, token


def test_ten_per_minute_holds_across_two_workers_and_proxied_addresses(app, org, gunicorn):
    codes, _, _ = _attempts(gunicorn, org.employee_user.email, "203.0.113.7", 12)
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429], codes
    # Another address behind the same proxy has its own budget, and the
    # owner can still sign in: failures elsewhere do not lock the account.
    http = requests.Session()
    page = http.get(gunicorn + "/login", headers={"X-Forwarded-For": "198.51.100.9"}).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    ok = http.post(gunicorn + "/login", data={"email": org.employee_user.email, "password": factories.PASSWORD},
                   headers={"X-CSRFToken": token, "X-Forwarded-For": "198.51.100.9"}, allow_redirects=False)
    assert ok.status_code == 302
