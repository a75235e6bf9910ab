"""Import speed: a 10,000-person HRIS file and a 50,000-row credential
spreadsheet, previewed and applied through the same service the admin pages
use, on a fresh SQLite database in a temporary instance folder (or
CREDWATCH_BENCH_DATABASE_URL for an existing, empty, PostgreSQL database).

The 40 job roles in the file each require two of the five credential types,
so applying also re-evaluates everyone's compliance snapshot. Each file is
then imported a second time: the preview finds every row unchanged and the
apply writes nothing (idempotency at scale).

Prints the times; the target is well under 30 s for each on one machine.
``--profile`` writes a cProfile file per step to the temp folder.
"""
from __future__ import annotations

import cProfile
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INSTANCE = tempfile.mkdtemp(prefix="credwatch-bench-imports-")
os.environ["CREDWATCH_INSTANCE_PATH"] = INSTANCE
os.environ.pop("DATABASE_URL", None)

from bench.imports_data import credentials_csv, people_csv  # noqa: E402

PEOPLE, CREDENTIAL_ROWS, TYPES, ROLES = 10_000, 50_000, 5, 40
PROFILE = "--profile" in sys.argv


def timed(label: str, fn, *args):
    """(result, wall seconds, CPU seconds): on a busy machine the wall time
    includes waiting for a core; the CPU time is what an idle machine would take."""
    profiler = cProfile.Profile() if PROFILE else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = fn(*args)
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{INSTANCE}/{label}.prof")
    return result, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.models import Credential, CredentialType, Issuer, JobRole, Person, Requirement, RequirementSnapshot, User
    from portal.services import imports

    url = os.environ.get("CREDWATCH_BENCH_DATABASE_URL") or f"sqlite:///{INSTANCE}/bench.db"
    app = create_app({"INSTANCE_PATH": INSTANCE, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision="heads")
        admin = User(email="bench@example.test", password_hash="x")
        admin.roles = ("admin",)
        issuer = Issuer(code="BENCH", name="Bench Issuer")
        types = [CredentialType(code=f"BENCH-{i}", name=f"Bench Credential {i}", issuer=issuer, validity_months=24)
                 for i in range(TYPES)]
        # The roles the HRIS file names ("Role 7" -> code ROLE-7), each with requirements.
        roles = [JobRole(code=f"ROLE-{i}", name=f"Role {i}") for i in range(ROLES)]
        requirements = [Requirement(credential_type=types[(i + k) % TYPES], job_role=role)
                        for i, role in enumerate(roles) for k in range(2)]
        db.session.add_all([admin, issuer, *types, *roles, *requirements])
        db.session.commit()

        rows = []
        files = (("people", people_csv(PEOPLE)), ("credentials", credentials_csv(PEOPLE, CREDENTIAL_ROWS, TYPES)))
        for attempt in ("first", "again"):
            for kind, data in files:
                label = f"{kind}-{attempt}"
                upload = imports.save_upload(io.BytesIO(data.encode()), f"{kind}.csv", kind, admin)
                mapping = imports.suggest_mapping(kind, upload.table().headers)
                preview, *preview_s = timed(f"{label}-preview", imports.preview, upload, mapping)
                applied, *apply_s = timed(f"{label}-apply", imports.apply, upload, mapping, admin)
                rows.append((label, len(preview.rows), preview_s, apply_s, applied.preview.counts))
        people = db.session.scalar(select(func.count(Person.id)))
        credentials = db.session.scalar(select(func.count(Credential.id)))
        snapshot = db.session.scalar(select(func.count(RequirementSnapshot.id)))

    print(f"{'import':<20}{'rows':>8}{'preview s (cpu)':>17}{'apply s (cpu)':>15}  outcome")
    for label, count, (preview_s, preview_cpu), (apply_s, apply_cpu), counts in rows:
        flag = "ok" if max(preview_s, apply_s) < 30 else "SLOW (target < 30 s)"
        counts = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        print(f"{label:<20}{count:>8,}{preview_s:>10.1f} ({preview_cpu:4.1f}){apply_s:>8.1f} ({apply_cpu:4.1f})"
              f"  {counts}  {flag}")
    print(f"database now holds {people:,} people, {credentials:,} credentials, {snapshot:,} snapshot rows")
    print("preview = read the file and plan every row; apply = read, plan again, write, commit")
    print(f"wall seconds (CPU seconds of this process); load average now {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    if PROFILE:
        print(f"profiles in {INSTANCE}/*.prof")
    else:
        shutil.rmtree(INSTANCE, ignore_errors=True)


if __name__ == "__main__":
    main()
