"""A worker killed mid-reading leaves the document "reading"; the sweeper recovers it once."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from huey.storage import SqliteStorage
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Document, Extraction, utcnow
from portal.services import documents
from tests.support import factories

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A worker process: it takes the document (queued -> reading, committed) the
# way the task does, then hangs as if stuck in a parser until it is killed.
WORKER = textwrap.dedent("""
    import sys
    from portal import create_app
    from portal.services import documents
    app = create_app({"INSTANCE_PATH": sys.argv[1], "SQLALCHEMY_DATABASE_URI": sys.argv[2]})
    with app.app_context():
        taken = documents.begin_reading(int(sys.argv[3]))
        print("reading" if taken else "not taken", flush=True)
        sys.stdin.read()   # hang until killed
""")


def _queued_document(org, pdf_bytes):
    stored = documents.store(io.BytesIO(pdf_bytes()))
    document = factories.document(org.employee, org.employee_user, state="queued", sha256=stored.sha256,
                                  queued_at=utcnow(), size_bytes=stored.size)
    db.session.commit()
    return document


def _kill_worker_while_reading(app, document_id):
    # Keep the runner's PYTHONPATH: on a moved test clock it carries the hook
    # that gives this worker the same "now" as the test.
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, CREDWATCH_INSTANCE_PATH=app.instance_path)
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-c", WORKER, app.instance_path,
                             app.config["SQLALCHEMY_DATABASE_URI"], str(document_id)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "reading"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def private_queue(app, tmp_path):
    """Enqueued tasks go to a private SQLite queue and are not run."""
    from jobs.queue import huey

    huey.immediate = False
    saved = huey.storage
    huey.storage = SqliteStorage(huey.name, filename=str(tmp_path / "queue.db"))
    yield huey
    huey.storage = saved
    huey.immediate = True


def test_a_killed_worker_is_recovered_exactly_once(app, org, pdf_bytes):
    document = _queued_document(org, pdf_bytes)
    _kill_worker_while_reading(app, document.id)
    db.session.expire_all()
    assert document.state == "reading" and document.attempts == 1

    assert documents.sweep()["recovered"] == [], "a fresh reading is left alone"
    later = utcnow() + documents.STUCK_AFTER + timedelta(minutes=1)
    first = documents.sweep(now=later)
    second = documents.sweep(now=later)
    assert first["recovered"] == [document.id] and second["recovered"] == []

    db.session.expire_all()
    # huey.immediate: the re-enqueued task read it at once
    assert document.state == "needs_review" and document.attempts == 2
    assert db.session.scalar(select(func.count(Extraction.id)).where(Extraction.document_id == document.id)) == 1


def test_two_sweeps_enqueue_one_task(app, org, pdf_bytes, private_queue):
    document = factories.document(org.employee, state="reading", attempts=1,
                                  started_at=utcnow() - timedelta(hours=1))
    db.session.commit()
    documents.sweep()
    documents.sweep()
    assert private_queue.pending_count() == 1
    db.session.expire_all()
    assert document.state == "queued"


def test_a_document_that_keeps_killing_workers_goes_to_review_as_could_not_read(app, org):
    document = factories.document(org.employee, state="reading", attempts=documents.MAX_ATTEMPTS,
                                  started_at=utcnow() - timedelta(hours=1))
    db.session.commit()
    assert documents.sweep()["failed"] == [document.id]
    db.session.expire_all()
    assert document.state == "failed" and document.last_error_code == "worker_lost"


def test_a_task_lost_from_the_queue_is_enqueued_again(app, org, private_queue):
    document = factories.document(org.employee, state="queued", queued_at=utcnow() - timedelta(hours=2))
    recent = factories.document(org.employee, state="queued", queued_at=utcnow())
    db.session.commit()
    assert documents.sweep()["requeued"] == [document.id]
    assert private_queue.pending_count() == 1
    assert recent.id not in documents.sweep()["requeued"]


def test_the_sweeper_task_runs_the_sweep(app, org, pdf_bytes):
    from jobs.documents import sweep_documents

    document = _queued_document(org, pdf_bytes)
    db.session.execute(Document.__table__.update().where(Document.id == document.id).values(
        state="reading", started_at=utcnow() - timedelta(hours=1), attempts=1))
    db.session.commit()
    sweep_documents.call_local()
    db.session.expire_all()
    assert document.state == "needs_review"


@pytest.fixture(autouse=True)
def review_day():
    """The real clock here: the worker process this test starts keeps it too."""
    yield
