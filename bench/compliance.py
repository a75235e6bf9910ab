"""Benchmark: the team page for a manager over 500 people and the
organisation roll-up, on an organisation of 20,000 people and 100,000
credentials.

Prints p50/p95 per page and the SQL statements each page runs (which must
not grow with team size). Not a timed test: it reports, it does not fail,
except when the query count differs between a small and a large team.

    .venv/bin/python bench/compliance.py [--people 20000,100000] [--runs 30]

With two sizes it prints each page's p95 at both and the ratio, against the
targets (organisation pages p95 <= 200 ms and <= 1.3x; a manager's
500-person pages <= 1.2x).

Seeded databases are cached under /tmp/credwatch-bench-cache (SQLite: a
file per size, copied for each run; PostgreSQL: with
CREDWATCH_BENCH_DATABASE_URL=postgresql://.../NAME, a database NAME_<size>
per size, created and seeded when missing), so only the first run pays the
seeding. Delete them to reseed.
"""
from __future__ import annotations

import argparse
import gc
import shutil
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CREDWATCH_INSTANCE_PATH", tempfile.mkdtemp(prefix="credwatch-bench-"))

from sqlalchemy import event, func, insert, select, update  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Assignment,
    Credential,
    CredentialType,
    Department,
    Issuer,
    JobRole,
    Person,
    Project,
    ReminderPolicy,
    Requirement,
    User,
)

PASSWORD = "bench-password"
TEAM_LEADS, STAFF_PER_LEAD = 5, 99  # a director's line: 5 + 5 * 99 = 500 people


def seed(people_target: int, rng: random.Random) -> dict:
    today = date.today()
    db.session.execute(insert(Issuer), [
        {"code": f"ISS{i}", "name": f"Issuer {i}", "aliases": [], "license_number_patterns": [],
         "renewal_url": f"https://issuer{i}.example/renew"}
        for i in range(10)])
    issuers = list(db.session.scalars(select(Issuer.id)))
    db.session.execute(insert(CredentialType), [
        {"code": f"T{i}", "name": f"Credential {i}", "issuer_id": issuers[i % len(issuers)], "aliases": [],
         "validity_months": None if i % 10 == 9 else rng.choice((12, 24, 36)),
         "ce_hours": 20.0 if i % 4 == 0 else None, "renewal_lead_days": rng.choice((0, 14, 30, 45))}
        for i in range(30)])
    types = list(db.session.scalars(select(CredentialType.id)))
    db.session.add(ReminderPolicy(credential_type_id=None))
    db.session.execute(insert(JobRole), [{"code": f"R{i}", "name": f"Role {i}"} for i in range(12)])
    roles = list(db.session.scalars(select(JobRole.id)))
    role_types = {role: rng.sample(types, rng.randint(3, 5)) for role in roles}
    db.session.execute(insert(Requirement), [
        {"credential_type_id": t, "job_role_id": role, "lead_days": rng.choice((None, None, 30, 60))}
        for role, ts in role_types.items() for t in ts])
    db.session.execute(insert(Department), [{"name": f"Department {i}"} for i in range(40)])
    departments = list(db.session.scalars(select(Department.id)))

    # CEO -> directors -> leads -> staff, built level by level with bulk inserts.
    number = [0]

    def people_rows(count, manager_id, department_id):
        rows = []
        for _ in range(count):
            number[0] += 1
            rows.append({"employee_id": f"B{number[0]:06d}", "first_name": f"First{number[0]}",
                         "last_name": f"Last{number[0]}", "email": f"p{number[0]}@bench.example",
                         "job_role_id": rng.choice(roles), "department_id": department_id,
                         "manager_id": manager_id, "active": True, "notification_channel": "email"})
        return rows

    db.session.execute(insert(Person), people_rows(1, None, None))
    ceo = db.session.scalar(select(Person.id))
    directors_needed = max(1, people_target // (1 + TEAM_LEADS * (1 + STAFF_PER_LEAD)))
    for d in range(directors_needed):
        dept = departments[d % len(departments)]
        db.session.execute(insert(Person), people_rows(1, ceo, dept))
        director = db.session.scalar(select(Person.id).order_by(Person.id.desc()).limit(1))
        db.session.execute(insert(Person), people_rows(TEAM_LEADS, director, dept))
        leads = list(db.session.scalars(select(Person.id).where(Person.manager_id == director)))
        for lead in leads:
            db.session.execute(insert(Person), people_rows(STAFF_PER_LEAD, lead, dept))
    db.session.commit()

    everyone = db.session.execute(select(Person.id, Person.job_role_id)).all()
    credentials = []
    for person_id, role_id in everyone:
        for type_id in role_types[role_id]:
            roll = rng.random()
            if roll < 0.08:
                continue  # missing
            expires = today + timedelta(days=rng.randint(-400, 900))
            credentials.append({"person_id": person_id, "credential_type_id": type_id, "state": "active",
                                "issued_on": expires - timedelta(days=730), "expires_on": expires,
                                "source": "import", "verified": True, "expiry_predicted": False, "version": 1})
            if rng.random() < 0.3:
                credentials.append({"person_id": person_id, "credential_type_id": type_id, "state": "superseded",
                                    "issued_on": expires - timedelta(days=1460),
                                    "expires_on": expires - timedelta(days=731), "source": "import",
                                    "verified": True, "expiry_predicted": False, "version": 1})
        extra = rng.choice(types)
        credentials.append({"person_id": person_id, "credential_type_id": extra, "state": "active",
                            "issued_on": today - timedelta(days=100), "expires_on": today + timedelta(days=600),
                            "source": "import", "verified": True, "expiry_predicted": False, "version": 1})
    for start in range(0, len(credentials), 5000):
        db.session.execute(insert(Credential), credentials[start:start + 5000])

    projects = []
    for i in range(20):
        project = Project(code=f"PRJ{i}", name=f"Project {i}", starts_on=today - timedelta(days=100),
                          ends_on=today + timedelta(days=300))
        db.session.add(project)
        projects.append(project)
    db.session.flush()
    for project in projects:
        db.session.add(Requirement(credential_type_id=rng.choice(types), project_id=project.id, lead_days=30))
    assignments = [{"project_id": rng.choice(projects).id, "person_id": pid, "starts_on": today - timedelta(days=30),
                    "ends_on": today + timedelta(days=rng.randint(30, 400))}
                   for pid, _ in rng.sample(everyone, min(3000, len(everyone)))]
    db.session.execute(insert(Assignment), assignments)

    director = db.session.scalar(select(Person.id).where(Person.manager_id == ceo).limit(1))
    lead = db.session.scalar(select(Person.id).where(Person.manager_id == director).limit(1))
    small_lead_staff = db.session.scalar(select(Person.id).where(Person.manager_id == lead).limit(1))
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    users = {}
    for key, person_id, user_roles in (("manager500", director, "employee manager"),
                                  ("manager_small", small_lead_staff, "employee manager"),
                                  ("compliance", ceo, "employee compliance")):
        email = f"{key}@bench.example"
        db.session.add(User(email=email, password_hash=password_hash, roles_text=user_roles, person_id=person_id))
        users[key] = email
    # A small team for the query-count comparison: 4 people (with their
    # credentials) moved under one staff member of another director.
    other_director = db.session.scalar(select(Person.id).where(Person.manager_id == ceo).offset(1).limit(1))
    other_lead = db.session.scalar(select(Person.id).where(Person.manager_id == other_director).limit(1))
    movers = list(db.session.scalars(select(Person.id).where(Person.manager_id == other_lead).limit(4)))
    db.session.execute(update(Person).where(Person.id.in_(movers)).values(manager_id=small_lead_staff))
    db.session.commit()
    # Bulk inserts bypass the snapshot's session hook: refresh everyone, as
    # the nightly job or an import would.
    from portal.services.compliance_snapshot import refresh_everyone

    started = time.perf_counter()
    rows = refresh_everyone()
    db.session.commit()
    print(f"compliance snapshot: {rows:,} rows in {time.perf_counter() - started:.1f} s")
    return {"users": users, "people": len(everyone), "credentials": len(credentials)}


def login(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302 and client.get_cookie("session") is not None, email
    return client


def measure(client, url, runs, headers):
    client.get(url, headers=headers)  # warm up
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
    return statistics.median(timings), p95


def count_queries(engine, client, url):
    client.get(url)  # a client's first request after sign-in does a little more
    statements = []

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return len(statements)


CACHE = Path(tempfile.gettempdir()) / "credwatch-bench-cache"


def database_for(people: int) -> tuple[str, bool]:
    """The URL of a database seeded with ``people`` (and whether it still
    needs seeding), from the cache."""
    base = os.environ.get("CREDWATCH_BENCH_DATABASE_URL")
    if base:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(base)
        name = f"{url.database}_{people}"
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        target = url.set(database=name).render_as_string(hide_password=False)
        if exists:
            probe = create_engine(target)
            with probe.connect() as conn:
                seeded = conn.execute(text("SELECT to_regclass('people') IS NOT NULL")).scalar() and \
                    conn.execute(text("SELECT count(*) FROM users")).scalar() > 0
            probe.dispose()
            return target, not seeded
        return target, True
    CACHE.mkdir(exist_ok=True)
    cached = CACHE / f"compliance-{people}.db"
    work = Path(tempfile.mkdtemp(prefix="credwatch-bench-db-")) / "bench.db"
    if cached.exists():
        shutil.copyfile(cached, work)
        return f"sqlite:///{work}", False
    return f"sqlite:///{work}", True


def bench_size(people: int, runs: int) -> dict[str, float]:
    url, needs_seed = database_for(people)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                      "RATELIMIT_ENABLED": False, "TESTING": False})
    with app.app_context():
        from flask_migrate import upgrade

        from portal.models import today
        from portal.services import compliance_rollup

        upgrade(revision="heads")
        started = time.perf_counter()
        if needs_seed:
            made = seed(people, random.Random(20000))
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
            if db.engine.dialect.name == "sqlite":
                db.session.remove()
                db.engine.dispose()
                shutil.copyfile(url.removeprefix("sqlite:///"), CACHE / f"compliance-{people}.db")
            print(f"seeded {made['people']:,} people and {made['credentials']:,} credentials "
                  f"in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")
        if compliance_rollup.tally_for(None, today(), whole_org=True) is None:
            started = time.perf_counter()
            compliance_rollup.rebuild()
            db.session.commit()
            print(f"roll-ups rebuilt from the snapshot in {time.perf_counter() - started:.1f} s")
        counts = {name: db.session.scalar(select(func.count()).select_from(model))
                  for name, model in (("people", Person), ("credentials", Credential))}
        print(f"{db.engine.dialect.name}: {counts['people']:,} people, {counts['credentials']:,} credentials")
        engine = db.engine
        db.session.remove()
    # Requests run outside this app context: inside it, every request would
    # share its ``g``, and with it the first signed-in user (Flask-Login keeps
    # the user there), so each client would see the first one's pages.
    users = {key: f"{key}@bench.example" for key in ("manager500", "manager_small", "compliance")}
    gc.freeze()  # as portal/wsgi.py does in each server process
    manager = login(app, users["manager500"])
    small = login(app, users["manager_small"])
    compliance = login(app, users["compliance"])
    pages = (
        ("team page, manager over 500 people", manager, "/team", runs),
        ("team matrix, filtered (HTMX fragment), 500", manager, "/team?state=expired", runs),
        ("forecast, manager over 500 people", manager, "/team/forecast", max(5, runs // 3)),
        ("renew now, manager over 500 people", manager, "/team/renewals", runs),
        ("organisation roll-up (compliance)", compliance, "/team", runs),
        ("organisation, most urgent first", compliance, "/team?sort=worst", runs),
        ("organisation, filtered to expired (HTMX)", compliance, "/team?state=expired", runs),
        ("organisation forecast", compliance, "/team/forecast", max(5, runs // 3)),
        ("renew now, organisation (first 200)", compliance, "/team/renewals", max(5, runs // 3)),
    )
    print(f"{'page':45} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    p95s = {}
    for label, client, page_url, page_runs in pages:
        headers = {"HX-Request": "true"} if "HTMX" in label else {}
        p50, p95 = measure(client, page_url, page_runs, headers)
        p95s[label] = p95
        print(f"{label:45} {p50:8.0f} {p95:8.0f} {count_queries(engine, client, page_url):8d}")
    small_count = count_queries(engine, small, "/team")
    large_count = count_queries(engine, manager, "/team")
    print(f"queries for /team: team of 4 -> {small_count}, team of 500 -> {large_count}")
    p95s["_same_queries"] = float(small_count == large_count)
    engine.dispose()
    return p95s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", default="20000", help="one size, or two separated by a comma")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(n) for n in args.people.split(",")]
    results = {people: bench_size(people, args.runs) for people in sizes}
    ok = all(r.pop("_same_queries") for r in results.values())
    if len(sizes) == 2:
        small, large = sizes
        print(f"\n{'page':45} {f'p95 {small:,}':>11} {f'p95 {large:,}':>12} {'ratio':>6}  target")
        for label, p95 in results[large].items():
            ratio = p95 / results[small][label]
            if label.startswith("organisation") or label.startswith("renew now, organisation"):
                target, held = "p95 <= 200 ms, <= 1.3x", p95 <= 200 and ratio <= 1.3
            else:
                target, held = "<= 1.2x", ratio <= 1.2
            print(f"{label:45} {results[small][label]:11.0f} {p95:12.0f} {ratio:6.2f}  {target}"
                  f" {'held' if held else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
