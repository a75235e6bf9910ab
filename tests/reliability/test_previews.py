"""A document whose pages take minutes to draw cannot freeze the portal."""
from __future__ import annotations

import io
import time

from portal.extensions import db
from portal.models import Document, Person
from portal.services import documents
from tests.reliability.conftest import wait_until
from tests.reliability.slow_pdf import slow_pdf


def _document(document_id):
    db.session.expire_all()
    return db.session.get(Document, document_id)


def test_a_slow_page_fails_its_preview_in_the_real_consumer_while_writes_go_on(app, org, consumer):
    # A drawing that held the write lock would hold it until this timeout ends,
    # so a write waiting well under it shows that drawing holds no lock; the
    # margin leaves room for a loaded machine (a write here refreshes compliance).
    consumer.start(CREDWATCH_PREVIEW_TIMEOUT="8")
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    document = documents.upload(io.BytesIO(slow_pdf()), "slow.pdf", org.employee, org.employee_user)
    # While the consumer reads and draws it, every write here goes through at once.
    slowest, deadline = 0.0, time.monotonic() + 90
    while _document(document.id).preview_state is None and time.monotonic() < deadline:
        started = time.monotonic()
        person = db.session.get(Person, org.employee.id)
        person.location = f"Ward {int(started * 1000) % 10000}"
        db.session.commit()
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.2)
    done = _document(document.id)
    assert done.state == "needs_review", consumer.log()[-2000:]
    assert done.preview_state == "failed", consumer.log()[-2000:]
    assert slowest < 5.0
    assert done.latest_extraction.fields["holder_name"] == "Erin Employee"


def test_the_review_page_does_not_draw_a_failed_preview_again(app, org, login):
    app.config["PREVIEW_TIMEOUT"] = 2
    started = time.monotonic()
    document = documents.upload(io.BytesIO(slow_pdf(seed=2)), "slow.pdf", org.employee, org.employee_user)
    assert time.monotonic() - started < 30
    document = _document(document.id)
    assert document.state == "needs_review" and document.preview_state == "failed"
    reviewer = login(org.reviewer_user)
    started = time.monotonic()
    assert reviewer.get(f"/documents/{document.id}/pages/1.png").status_code == 404
    assert time.monotonic() - started < 1.5
    assert reviewer.get(f"/review/{document.id}").status_code == 200


def test_an_ordinary_document_gets_its_preview(app, org, login):
    from portal.demo.documents import certificate_pdf
    from tests.review.conftest import bls

    document = documents.upload(io.BytesIO(certificate_pdf(bls())), "bls.pdf", org.employee, org.employee_user)
    document = _document(document.id)
    assert document.preview_state == "ready"
    assert documents.preview_path(document, 1).exists()
