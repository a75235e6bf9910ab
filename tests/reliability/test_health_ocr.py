"""/healthz reports the consumer's Tesseract, from its heartbeat, and starts no process."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from portal.extensions import db
from portal.models import WorkerHeartbeat
from tests.reliability.conftest import wait_until

_spawned: list[str] = []
_counting = False


def _count_spawns(event, args):
    if _counting and event in ("subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec"):
        _spawned.append(event)


sys.addaudithook(_count_spawns)  # audit hooks cannot be removed; the flag turns it off


def test_many_healthz_calls_start_no_process(client, app):
    from jobs.system import heartbeat

    global _counting
    heartbeat.call_local()
    _spawned.clear()
    _counting = True
    try:
        for _ in range(20):
            assert client.get("/healthz").get_json()["ocr"]["ok"] is True
    finally:
        _counting = False
    assert _spawned == []


def test_the_ocr_status_is_the_consumers_own(app, consumer):
    """A consumer without Tesseract makes /healthz say so, though the web
    process (this one) has it."""
    assert shutil.which("tesseract"), "the web process has Tesseract"
    venv_bin = str(Path(sys.executable).parent)
    consumer.start(PATH=venv_bin)  # the consumer finds no tesseract on its PATH
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()

    def reported():
        db.session.expire_all()
        return db.session.query(WorkerHeartbeat).count()

    assert wait_until(reported, timeout=60), consumer.log()[-2000:]
    ocr = app.test_client().get("/healthz").get_json()["ocr"]
    assert ocr["ok"] is False, ocr
    assert "no Tesseract on consumer" in ocr["detail"]
