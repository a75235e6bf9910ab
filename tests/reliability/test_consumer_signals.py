"""Stopping the consumer while it reads a document never leaves it "reading"."""
from __future__ import annotations

import io
import signal

from portal.extensions import db
from portal.models import Document
from portal.services import documents
from tests.reliability.conftest import procfile_command, wait_until
from tests.review.conftest import bls


def _state(document_id):
    db.session.expire_all()
    return db.session.get(Document, document_id).state


def _scan():
    from portal.demo.documents import certificate_png

    return certificate_png(bls(), scanned=True, seed=7)  # OCR: a few seconds to read


def _start(consumer, args=None):
    consumer.start(args)
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()


def test_sigterm_lets_the_running_reading_finish(app, org, consumer):
    _start(consumer)
    document = documents.upload(io.BytesIO(_scan()), "scan.png", org.employee, org.employee_user)
    assert wait_until(lambda: _state(document.id) == "reading", timeout=60, every=0.05)
    consumer.signal(signal.SIGTERM)  # what systemd and container runtimes send
    assert _state(document.id) == "needs_review", consumer.log()[-2000:]


def test_an_interrupted_reading_is_queued_again_and_read_by_the_next_consumer(app, org, consumer):
    args = procfile_command("worker")
    at = args.index("--graceful-signal")
    del args[at:at + 2]  # huey's default: SIGTERM interrupts running tasks
    _start(consumer, args)
    document = documents.upload(io.BytesIO(_scan()), "scan.png", org.employee, org.employee_user)
    assert wait_until(lambda: _state(document.id) == "reading", timeout=60, every=0.05)
    consumer.signal(signal.SIGTERM)
    assert _state(document.id) == "queued", consumer.log()[-2000:]
    _start(consumer)
    assert wait_until(lambda: _state(document.id) == "needs_review", timeout=90), consumer.log()[-2000:]
