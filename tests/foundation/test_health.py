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


def test_healthz_ocr_finds_tesseract(client):
    ocr = client.get("/healthz").get_json()["ocr"]
    assert ocr["ok"] is True, ocr
    assert "tesseract" in ocr["version"].lower()
