"""Two documents of one person finishing together (PostgreSQL's race) leave nothing stuck."""
from __future__ import annotations

import io
import threading
import time
from datetime import date

from portal.extensions import db
from portal.models import Document, RequirementSnapshot
from portal.services import documents
from portal.services.compliance_snapshot import refresh_people
from tests.reliability.conftest import procfile_command, wait_until
from tests.review.conftest import bls


def test_two_transactions_refreshing_one_person_at_once_both_commit(app, org):
    person_id = org.employee.id
    refresh_people([person_id])
    db.session.commit()
    assert db.session.query(RequirementSnapshot).filter_by(person_id=person_id).count() > 0
    start, errors = threading.Barrier(2), []

    def refresh():
        with app.app_context():
            try:
                start.wait()
                refresh_people([person_id])
                time.sleep(0.5)  # still open while the other one refreshes
                db.session.commit()
            except Exception as exc:  # noqa: BLE001  (the test reports it)
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def test_documents_of_one_person_finishing_together_in_a_real_consumer(app, org, consumer):
    args = procfile_command("worker")
    args[args.index("--workers") + 1] = "4"
    consumer.start(args)
    assert consumer.wait_for_log("consumer started", timeout=60), consumer.log()
    from portal.demo.documents import certificate_pdf

    ids = [documents.upload(io.BytesIO(certificate_pdf(bls(number=f"RACE-{i:04d}", issued=date(2025, 3, i + 1)))),
                            f"bls-{i}.pdf", org.employee, org.employee_user).id for i in range(6)]

    def states():
        db.session.expire_all()
        return sorted(d.state for d in db.session.query(Document).filter(Document.id.in_(ids)))

    assert wait_until(lambda: states() == ["needs_review"] * 6, timeout=120), (states(), consumer.log()[-3000:])
    assert "UniqueViolation" not in consumer.log()
