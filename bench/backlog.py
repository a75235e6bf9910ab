"""Benchmark: a backlog of uploads drained by consumers with 1, 2 and 4 workers.

    .venv/bin/python bench/backlog.py [--uploads 5000] [--workers 1,2,4] [--worker-type thread,process]

For each worker type and count, --uploads distinct born-digital certificates
are uploaded the way the portal uploads them (``documents.upload``: the file
stored, the row committed, the reading enqueued) while no consumer runs, so
the whole backlog waits. Then ``huey_consumer jobs.main.huey -w N -k TYPE
--no-periodic`` is started and timed until no document is queued or being
read. Each reading is the real one: the isolated reader, the fields stored,
the review previews drawn. Prints the drain time, documents per second, the
speed-up against one worker of the same type and its share of the ideal N x,
the CPU per document (consumer and readers: if it stays flat as N grows, the
queue adds no contention of its own) and the load average before and after
(other work on the machine takes cores from the consumer).

A machine with C cores cannot drain faster than about C x one worker (this
one has 2): the figures say how close the queue comes to that, and where
more consumers stop helping.

The queue is SqliteHuey in a throwaway instance, or RedisHuey with
``CREDWATCH_BENCH_REDIS_URL`` (a Redis database of its own: it is flushed);
the database SQLite there, or ``CREDWATCH_BENCH_DATABASE_URL`` (an existing,
empty PostgreSQL database). Not a timed test: it reports.
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INSTANCE = Path(tempfile.mkdtemp(prefix="credwatch-bench-queue-"))
os.environ["CREDWATCH_INSTANCE_PATH"] = str(INSTANCE)
REDIS_URL = os.environ.get("CREDWATCH_BENCH_REDIS_URL")
if REDIS_URL:
    os.environ["REDIS_URL"] = REDIS_URL  # jobs.queue picks the queue at import
else:
    os.environ.pop("REDIS_URL", None)

from sqlalchemy import func, select  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Document, Person  # noqa: E402
from tests.intake.conftest import make_pdf  # noqa: E402  (the tests' hand-written PDFs: no PDF library needed)

WAITING = ("queued", "reading")


def certificate(batch: str, number: int) -> bytes:
    """A one-page certificate whose holder and number make every file distinct."""
    path = INSTANCE / "draft.pdf"
    make_pdf(path, [[
        (72, 60, 18, "Harbor Valley Board of Safety"),
        (72, 130, 14, "Certificate of Completion"),
        (72, 190, 11, "Holder Name:"), (200, 190, 11, f"Person {batch}-{number}"),
        (72, 215, 11, "Certificate No.:"), (200, 215, 11, f"HVB-{batch}-{number:06d}"),
        (72, 240, 11, "Issue Date:"), (200, 240, 11, "06/15/2026"),
        (72, 265, 11, "Expiration Date:"), (200, 265, 11, "06/30/2028"),
    ]])
    return path.read_bytes()


def upload_backlog(batch: str, count: int) -> list[int]:
    """``count`` uploads through the portal's own path, for one person (distinct files)."""
    from portal.services import documents

    person = Person(employee_id=f"Q{batch}", first_name="Queue", last_name=batch, email=f"q{batch}@bench.test")
    db.session.add(person)
    db.session.commit()
    return [documents.upload(io.BytesIO(certificate(batch, i)), f"cert-{i}.pdf", person, None).id
            for i in range(count)]


def waiting(ids: list[int]) -> int:
    db.session.rollback()  # a fresh snapshot each poll
    return db.session.scalar(select(func.count()).where(Document.id.in_(ids), Document.state.in_(WAITING)))


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def drain(ids: list[int], workers: int, worker_type: str, env: dict) -> tuple[float, float]:
    """Seconds from starting a consumer until none of ``ids`` waits, and the
    CPU seconds the consumer and its readers used (counted once it exits)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    consumer = subprocess.Popen(
        [str(Path(sys.executable).with_name("huey_consumer")), "jobs.main.huey", "--workers", str(workers),
         "--worker-type", worker_type, "--no-periodic", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while waiting(ids):
            if consumer.poll() is not None:
                raise SystemExit(f"the consumer exited with {consumer.returncode}")
            time.sleep(0.25)
        seconds = time.perf_counter() - started
    finally:
        consumer.terminate()
        consumer.wait(timeout=120)
    return seconds, _children_cpu() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=5000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--worker-type", default="thread,process")
    args = parser.parse_args()
    url = os.environ.get("CREDWATCH_BENCH_DATABASE_URL") or f"sqlite:///{INSTANCE / 'credwatch.db'}"
    env = dict(os.environ, DATABASE_URL=url, CREDWATCH_INSTANCE_PATH=str(INSTANCE))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOADS_PER_HOUR": 0, "UPLOAD_BYTES_PER_DAY": 0})
    from jobs.queue import huey

    print(f"queue: {type(huey).__name__}; database: {url.split('@')[-1]}; {os.cpu_count()} cores; "
          f"{args.uploads} uploads per run")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        huey.flush()
        for worker_type in args.worker_type.split(","):
            single = None
            for workers in map(int, args.workers.split(",")):
                started = time.perf_counter()
                ids = upload_backlog(f"{worker_type[0]}{workers}", args.uploads)
                uploaded = time.perf_counter() - started
                load_before = os.getloadavg()[0]
                seconds, cpu = drain(ids, workers, worker_type, env)
                failed = db.session.scalar(select(func.count()).where(Document.id.in_(ids),
                                                                      Document.state == "failed"))
                single = single or seconds
                speedup = single / seconds
                print(f"{worker_type:<7} x{workers}: uploaded in {uploaded:6.1f} s, drained in {seconds:7.1f} s "
                      f"({len(ids) / seconds:6.1f} documents/s), {speedup:4.2f}x one worker "
                      f"= {speedup / workers:4.0%} of the ideal {workers}x; {failed} failed; "
                      f"{cpu / len(ids) * 1000:.0f} ms CPU per document; load {load_before:.1f} -> "
                      f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(INSTANCE, ignore_errors=True)
