"""Health of the parts an instance depends on."""
from __future__ import annotations

import shutil
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import WorkerHeartbeat, utcnow


def check_database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "engine": db.engine.dialect.name}
    except Exception as exc:  # any driver error means "down"
        db.session.rollback()
        return {"ok": False, "error": exc.__class__.__name__}


def check_queue() -> dict:
    stale_after = current_app.config["HEALTH_CONSUMER_STALE_SECONDS"]
    try:
        last_seen = db.session.scalar(
            select(WorkerHeartbeat.seen_at).order_by(WorkerHeartbeat.seen_at.desc()).limit(1)
        )
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": exc.__class__.__name__}
    if last_seen is None:
        return {"ok": False, "consumer_last_seen": None, "detail": "no consumer has reported yet"}
    age = (utcnow() - last_seen).total_seconds()
    return {
        "ok": age <= stale_after,
        "consumer_last_seen": last_seen.isoformat(),
        "seconds_since": round(age, 1),
        "backend": "redis" if current_app.config.get("REDIS_URL") else "sqlite",
    }


def check_ocr() -> dict:
    """The Tesseract of the consumers that reported lately (their heartbeat
    carries it): the web process does no OCR, and starts no process to ask."""
    since = utcnow() - timedelta(seconds=current_app.config["HEALTH_CONSUMER_STALE_SECONDS"])
    try:
        reports = db.session.execute(
            select(WorkerHeartbeat.worker, WorkerHeartbeat.ocr_version).where(WorkerHeartbeat.seen_at >= since)
        ).all()
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": exc.__class__.__name__}
    if not reports:
        return {"ok": False, "version": None, "detail": "no consumer has reported its Tesseract lately"}
    without = sorted(worker for worker, version in reports if not version)
    versions = sorted({version for _, version in reports if version})
    report = {"ok": not without, "version": versions[0] if versions else None}
    if without:
        report["detail"] = "no Tesseract on consumer " + ", ".join(without)
    return report


def check_storage() -> dict:
    """Free space where uploads are stored (an upload on a full disk is refused)."""
    from portal.services.documents import upload_root

    try:
        usage = shutil.disk_usage(upload_root())
    except OSError as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    minimum = int(current_app.config["HEALTH_MIN_FREE_BYTES"])
    return {"ok": usage.free >= minimum, "free_bytes": usage.free, "total_bytes": usage.total,
            "min_free_bytes": minimum}


def check_health() -> dict:
    report = {"database": check_database(), "queue": check_queue(), "ocr": check_ocr(),
              "storage": check_storage()}
    report["status"] = "ok" if all(part["ok"] for part in report.values()) else "degraded"
    if not report["database"]["ok"]:
        report["status"] = "down"
    return report
