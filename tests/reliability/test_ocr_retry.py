"""Readings that failed for want of OCR are read again once the consumer's Tesseract works."""
from __future__ import annotations

import io
import sys
from pathlib import Path

from portal.extensions import db
from portal.models import AuditEvent, Document, Extraction
from portal.services import documents
from tests.reliability.conftest import wait_until
from tests.review.conftest import bls


def _document(document_id):
    db.session.expire_all()
    return db.session.get(Document, document_id)


def _scan():
    from portal.demo.documents import certificate_png

    return certificate_png(bls(), scanned=True, seed=7)  # needs OCR


def _sweep_in(consumer):
    """Enqueue the sweep (it runs in the consumer, with its Tesseract) and wait until it ran."""
    from jobs.documents import sweep_documents

    def runs():
        return sum("jobs.documents.sweep_documents" in line and "executed in" in line
                   for line in consumer.log().splitlines())

    before = runs()
    sweep_documents()
    assert wait_until(lambda: runs() > before, timeout=60), consumer.log()[-2000:]


def test_a_reading_without_tesseract_is_read_again_once_the_consumer_has_it(app, org, consumer):
    consumer.start(PATH=str(Path(sys.executable).parent))  # no tesseract on this consumer's PATH
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    document = documents.upload(io.BytesIO(_scan()), "scan.png", org.employee, org.employee_user)
    assert wait_until(lambda: _document(document.id).state == "failed", timeout=90), consumer.log()[-2000:]
    assert _document(document.id).last_error_code == "ocr_unavailable"

    _sweep_in(consumer)  # its own Tesseract check fails: nothing is retried
    assert _document(document.id).state == "failed"
    consumer.stop()

    consumer.start()  # Tesseract is installed now
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    _sweep_in(consumer)
    assert wait_until(lambda: _document(document.id).state == "needs_review", timeout=120), consumer.log()[-3000:]
    read = _document(document.id)
    assert read.attempts == 2 and read.last_error_code is None
    assert [e.error_code for e in db.session.query(Extraction).filter_by(document_id=document.id)
            .order_by(Extraction.id)] == ["ocr_unavailable", None]  # the failed reading is kept
    retried = db.session.query(AuditEvent).filter_by(action="document.retried",
                                                     entity_id=str(document.id)).one()
    assert retried.after == {"state": "queued", "reading": 2, "of": documents.MAX_ATTEMPTS}


def test_a_reading_that_keeps_timing_out_is_retried_a_bounded_number_of_times(app, org, reviewer_client,
                                                                              monkeypatch):
    from jobs.documents import sweep_documents

    monkeypatch.setattr(documents, "EXTRACT_TIMEOUT", 0.3)  # too short for OCR: a real timeout each time
    document = documents.upload(io.BytesIO(_scan()), "scan.png", org.employee, org.employee_user)
    assert _document(document.id).last_error_code == "timeout"
    for _ in range(documents.MAX_ATTEMPTS + 1):
        sweep_documents.call_local()  # this process has Tesseract; tasks run in it (immediate)
    done = _document(document.id)
    assert (done.state, done.last_error_code, done.attempts) == ("failed", "timeout", documents.MAX_ATTEMPTS)
    assert db.session.query(AuditEvent).filter_by(action="document.retried",
                                                  entity_id=str(document.id)).count() == documents.MAX_ATTEMPTS - 1
    page = reviewer_client.get(f"/review/{document.id}").get_data(as_text=True)
    assert f"read {documents.MAX_ATTEMPTS} times" in page
