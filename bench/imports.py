"""Import speed: a 10,000-person HRIS file and a 50,000-row credential
spreadsheet, previewed and applied through the same service the admin pages
use, on a fresh SQLite database in a temporary instance folder.

Prints the times; the target is well under 30 s for each on one machine.
"""
from __future__ import annotations

import io
import os
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

PEOPLE, CREDENTIAL_ROWS = 10_000, 50_000


def main() -> None:
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from portal import create_app
    from portal.extensions import db
    from portal.models import Credential, CredentialType, Issuer, Person, User
    from portal.services import imports

    app = create_app({"INSTANCE_PATH": INSTANCE, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{INSTANCE}/bench.db"})
    with app.app_context():
        upgrade(revision="heads")
        admin = User(email="bench@example.test", password_hash="x")
        admin.roles = ("admin",)
        issuer = Issuer(code="BENCH", name="Bench Issuer")
        types = [CredentialType(code=f"BENCH-{i}", name=f"Bench Credential {i}", issuer=issuer, validity_months=24)
                 for i in range(5)]
        db.session.add_all([admin, issuer, *types])
        db.session.commit()

        rows = []
        for label, kind, data in (("people", "people", people_csv(PEOPLE)),
                                  ("credentials", "credentials", credentials_csv(PEOPLE, CREDENTIAL_ROWS, 5))):
            upload = imports.save_upload(io.BytesIO(data.encode()), f"{label}.csv", kind, admin)
            mapping = imports.suggest_mapping(kind, imports.read_table(upload).headers)
            started = time.perf_counter()
            preview = imports.preview(upload, mapping)
            preview_s = time.perf_counter() - started
            started = time.perf_counter()
            applied = imports.apply(upload, mapping, admin)
            apply_s = time.perf_counter() - started
            rows.append((label, len(preview.rows), preview_s, apply_s, applied.preview.counts))
        people = db.session.scalar(select(func.count(Person.id)))
        credentials = db.session.scalar(select(func.count(Credential.id)))

    print(f"{'import':<14}{'rows':>8}{'preview s':>12}{'apply s':>10}  outcome")
    for label, count, preview_s, apply_s, counts in rows:
        flag = "ok" if max(preview_s, apply_s) < 30 else "SLOW (target < 30 s)"
        print(f"{label:<14}{count:>8,}{preview_s:>12.1f}{apply_s:>10.1f}  {counts}  {flag}")
    print(f"database now holds {people:,} people and {credentials:,} credentials")


if __name__ == "__main__":
    main()
