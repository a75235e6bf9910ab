from __future__ import annotations

from portal.extensions import db
from portal.models import WorkerHeartbeat, utcnow
from datetime import timedelta


def test_healthz_reports_each_part(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"]["ok"] is True
    assert set(body) >= {"database", "queue", "ocr", "status"}


def test_healthz_queue_is_down_without_a_consumer(client):
    body = client.get("/healthz").get_json()
    assert body["queue"]["ok"] is False
    assert body["status"] == "degraded"


def test_healthz_queue_ok_after_heartbeat_task(client, app):
    from jobs.system import heartbeat

    heartbeat.call_local()
    body = client.get("/healthz").get_json()
    assert body["queue"]["ok"] is True


def test_healthz_stale_heartbeat_is_not_ok(client, app):
    db.session.add(WorkerHeartbeat(worker="old:1", seen_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert client.get("/healthz").get_json()["queue"]["ok"] is False


def test_healthz_ocr_finds_tesseract(client, app):
    from jobs.system import heartbeat

    heartbeat.call_local()  # the consumer's beat carries its Tesseract
    ocr = client.get("/healthz").get_json()["ocr"]
    assert ocr["ok"] is True, ocr
    assert "tesseract" in ocr["version"].lower()


def test_heartbeat_from_many_threads_at_once_never_fails(app):
    import threading

    from portal.services.heartbeat import beat

    errors = []

    def run():
        with app.app_context():
            try:
                beat("host:1")
            except Exception as exc:  # pragma: no cover - the failure we test for
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.session.query(WorkerHeartbeat).filter_by(worker="host:1").count() == 1


def test_long_gone_consumers_are_forgotten(app):
    from portal.services.heartbeat import beat

    db.session.add(WorkerHeartbeat(worker="gone:1", seen_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    beat("here:2")
    assert {w.worker for w in db.session.query(WorkerHeartbeat)} == {"here:2"}


def test_consumer_threads_starting_together_build_one_app(monkeypatch):
    """Every worker thread of a fresh consumer asks for the app at once."""
    import threading

    import jobs.context as context

    monkeypatch.setattr(context, "_app", None)
    apps, errors = [], []

    def start():
        try:
            apps.append(context.consumer_app())
        except Exception as exc:  # pragma: no cover - the failure we test for
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len({id(a) for a in apps}) == 1


def test_the_wsgi_entry_point_serves_the_app(tmp_path):
    """What gunicorn loads (Procfile: portal.wsgi:app), in a process of its own
    because it freezes the garbage collector's view of that process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import gc, portal.wsgi as w\n"
        "assert gc.get_freeze_count() > 0\n"
        "print(w.app.test_client().get('/login').status_code)\n"
    )
    env = {**os.environ, "CREDWATCH_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path}/wsgi.db"}
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "200"
