"""Benchmark: the daily reminder scan at a registry's size, then sending
5,000 notifications to the outbox, and 1,000 of them again by SMTP to a
loopback server (one connection per message against shared connections).

Targets (issue 15): the next day's scan <= 2 s at 1,000,000 credentials on
SQLite and <= 5 s at 10,000,000 on PostgreSQL, measured from a database
without planner statistics (none is gathered after seeding; on PostgreSQL
autovacuum is switched off for the bench's tables, so it cannot gather them
either). Prints wall times, the SQL statements each part ran and each
target with its figure. Not a timed test: it reports.

    .venv/bin/python bench/reminders.py [--credentials 1000000 | --people 20000] [--per-person 10]
                                        [--send 5000] [--smtp 1000] [--dry-run]
                                        [--stop-after seed|first-day] [--resume-after seed|first-day]

To measure again without seeding again (10,000,000 credentials take
minutes): ``--stop-after seed`` (or ``first-day``) into one PostgreSQL
database, copy it for each run (``createdb -T seeded copy``), and run
``--resume-after`` the same step on the copy. A copy made after a schema
change migrates on resume: building an index records the table's row
count, which a fresh seed does not, so a final figure comes from a fresh seed.

Seeding is set-based (INSERT ... SELECT over a generated series), the
compliance snapshot's rows included: they are computed in SQL from the
timeline the engine gives a sample of people, and checked against it. The
clock is simulated: seeded the day before, scanned at 06:00 on the day and
on the next day. Uses a throwaway SQLite database and outbox under /tmp (or
CREDWATCH_BENCH_DATABASE_URL for an existing, empty, PostgreSQL database
that you create and drop, e.g. ``createdb -h 127.0.0.1 -U postgres
credwatch_bench_scan``).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_OWN_INSTANCE = "CREDWATCH_INSTANCE_PATH" not in os.environ
os.environ.setdefault("CREDWATCH_INSTANCE_PATH", tempfile.mkdtemp(prefix="credwatch-bench-"))

import time_machine  # noqa: E402
from sqlalchemy import Boolean, Date, bindparam, event, func, insert, select, text, update  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import (  # noqa: E402
    Credential,
    CredentialType,
    Issuer,
    JobRole,
    Notification,
    Person,
    ReminderPolicy,
    Requirement,
    RequirementSnapshot,
    User,
)
from portal.models.base import UTCDateTime  # noqa: E402

TODAY = date(2026, 3, 2)
SEEDED_AT = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)  # the day before: an import, say
TARGETS = {"sqlite": (1_000_000, 2.0), "postgresql": (10_000_000, 5.0)}
RS = RequirementSnapshot
SNAPSHOT_COLUMNS = ("person_id", "credential_type_id", "credential_id", "expires_on", "expiry_predicted", "pending",
                    "warn_from", "lapses_on", "expired_from", "lead_days", "warn_days", "grace_days", "sources",
                    "evaluated_on")


def _series(dialect: str, count: int) -> tuple[str, str]:
    """(WITH clause, FROM clause) for n = 0 .. count - 1."""
    if dialect == "postgresql":
        return "", f"generate_series(0, {count - 1}) AS s(n)"
    return f"WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < {count - 1}) ", "s"


def _plus_days(dialect: str, day: str, days: str) -> str:
    if dialect == "postgresql":
        return f"({day} + ({days}))"
    return f"date({day}, ({days}) || ' days')"


def _json(dialect: str, value) -> str:
    quoted = "'" + json.dumps(value).replace("'", "''") + "'"
    return f"CAST({quoted} AS JSON)" if dialect == "postgresql" else quoted


def _run(sql: str, **values) -> None:
    types = {"at": UTCDateTime(), "today": Date(), "yes": Boolean(), "no": Boolean()}
    statement = text(sql).bindparams(*(bindparam(name, type_=types.get(name)) for name in values))
    db.session.execute(statement, values)


# a required pair (person n // types, type n % types) is missing for 1 in 50
MISSING = "(({n}) * 31 + 7) % 50 = 0 AND ({n}) % {types} < {required}"


def seed(employees: int, per_person: int) -> dict:
    dialect = db.engine.dialect.name
    with_, series = _series(dialect, employees)
    db.session.execute(insert(Issuer), [{"code": "ISS", "name": "Issuer", "aliases": [],
                                         "license_number_patterns": [], "renewal_url": "https://issuer.example/renew"}])
    issuer_id = db.session.scalar(select(Issuer.id))
    types = per_person
    required = types // 2
    db.session.execute(insert(CredentialType), [
        {"code": f"T{i}", "name": f"Credential {i}", "issuer_id": issuer_id, "validity_months": 24,
         "aliases": []} for i in range(types)])
    type_ids = list(db.session.scalars(select(CredentialType.id).order_by(CredentialType.id)))
    assert type_ids == list(range(type_ids[0], type_ids[0] + types))
    db.session.execute(insert(JobRole), [{"code": "R", "name": "Role"}])
    role_id = db.session.scalar(select(JobRole.id))
    # half the types are required by the role (snapshot), half are extras
    db.session.execute(insert(Requirement), [{"credential_type_id": t, "job_role_id": role_id}
                                             for t in type_ids[:required]])
    db.session.execute(insert(ReminderPolicy), [{"credential_type_id": None, "offsets": [90, 60, 30, 14, 7, 0],
                                                 "grace_days": 30, "escalation": [
                                                     {"days_before": 30, "notify": "manager"},
                                                     {"days_before": 7, "notify": "hr"},
                                                     {"days_before": 0, "notify": "compliance"}],
                                                 "allow_digest": False}])
    managers = max(employees // 49, 1)
    person_columns = ("employee_id, first_name, last_name, email, manager_id, job_role_id, active, "
                      "notification_channel, former_names, created_at, updated_at")
    m_with, m_series = _series(dialect, managers)
    _run(f"{m_with}INSERT INTO people ({person_columns}) SELECT 'M' || n, 'Manager', 'M' || n, "
         f"'m' || n || '@bench.test', NULL, NULL, :yes, 'email', {_json(dialect, [])}, :at, :at FROM {m_series}",
         yes=True, at=SEEDED_AT)
    first_manager = db.session.scalar(select(func.min(Person.id)))
    _run(f"{with_}INSERT INTO people ({person_columns}) SELECT 'E' || n, 'Person', 'P' || n, "
         f"'p' || n || '@bench.test', {first_manager} + n % {managers}, {role_id}, :yes, 'email', {_json(dialect, [])}, :at, :at "
         f"FROM {series}", yes=True, at=SEEDED_AT)
    first_employee = db.session.scalar(select(func.min(Person.id)).where(Person.job_role_id == role_id))
    hr = Person(employee_id="HR", first_name="Hana", last_name="HR", email="hr@bench.test",
                created_at=SEEDED_AT, updated_at=SEEDED_AT)
    db.session.add(hr)
    db.session.flush()
    db.session.add(User(email="hr@bench.test", password_hash="x", roles_text="employee reviewer", person_id=hr.id,
                        created_at=SEEDED_AT, updated_at=SEEDED_AT))
    db.session.flush()
    # credentials: expiries spread over 24-month cycles, from 120 days ago; 1 in
    # 50 required pairs missing
    c_with, c_series = _series(dialect, employees * types)
    expires = _plus_days(dialect, ":today", "(n % 100003) * 7919 % 731 - 120")
    issued = _plus_days(dialect, expires, "-730")
    missing = MISSING.format(n="n", types=types, required=required)
    _run(f"{c_with}INSERT INTO credentials (person_id, credential_type_id, expires_on, issued_on, expiry_predicted, "
         f"state, source, verified, version, created_at, updated_at) "
         f"SELECT {first_employee} + n / {types}, {type_ids[0]} + n % {types}, {expires}, {issued}, :no, 'active', "
         f"'import', :yes, 1, :at, :at FROM {c_series} WHERE NOT ({missing})",
         today=TODAY, yes=True, no=False, at=SEEDED_AT)
    db.session.commit()
    return {"dialect": dialect, "types": type_ids, "required": type_ids[:required], "role": role_id,
            "first_employee": first_employee, "employees": employees, "managers": managers}


def seed_snapshot(plan: dict) -> None:
    """The compliance snapshot's rows in SQL: per type, the engine's timeline
    for a sample of people (refreshed, read, rolled back), applied to
    everyone, then the sample compared with what the engine wrote."""
    from portal.services.compliance_snapshot import refresh_people

    dialect, first, types = plan["dialect"], plan["first_employee"], len(plan["types"])
    sample = list(range(first, first + min(60, plan["employees"])))
    refresh_people(sample, TODAY)
    engine_rows = {(r.person_id, r.credential_type_id): tuple(getattr(r, c) for c in SNAPSHOT_COLUMNS)
                   for r in db.session.scalars(select(RS).where(RS.person_id.in_(sample)))}
    db.session.rollback()
    held, missing = {}, None
    for row in engine_rows.values():
        values = dict(zip(SNAPSHOT_COLUMNS, row))
        if values["credential_id"] is None:
            missing = values
        else:
            held[values["credential_type_id"]] = values
    assert missing is not None and set(held) == set(plan["required"]), "the sample lacks a missing or a held row"

    def offset(values, column):
        return (values[column] - values["expires_on"]).days

    columns = ", ".join(SNAPSHOT_COLUMNS) + ", refreshed_at"
    for type_id, values in held.items():
        dates = {c: _plus_days(dialect, "c.expires_on", str(offset(values, c)))
                 for c in ("warn_from", "lapses_on", "expired_from")}
        _run(f"INSERT INTO requirement_states ({columns}) SELECT c.person_id, c.credential_type_id, c.id, "
             f"c.expires_on, :no, :no, {dates['warn_from']}, {dates['lapses_on']}, {dates['expired_from']}, "
             f"{values['lead_days']}, {values['warn_days']}, {values['grace_days']}, "
             f"{_json(dialect, values['sources'])}, :today, :at FROM credentials c "
             f"WHERE c.credential_type_id = {type_id} AND c.state = 'active'", no=False, today=TODAY, at=SEEDED_AT)
    with_, series = _series(dialect, plan["employees"] * types)
    m = missing
    _run(f"{with_}INSERT INTO requirement_states ({columns}) SELECT {first} + n / {types}, "
         f"{plan['types'][0]} + n % {types}, NULL, NULL, :no, :no, NULL, NULL, NULL, {m['lead_days']}, "
         f"{m['warn_days']}, {m['grace_days']}, {_json(dialect, m['sources'])}, :today, :at FROM {series} "
         f"WHERE {MISSING.format(n='n', types=types, required=len(plan['required']))}",
         no=False, today=TODAY, at=SEEDED_AT)
    db.session.commit()
    written = {(r.person_id, r.credential_type_id): tuple(getattr(r, c) for c in SNAPSHOT_COLUMNS)
               for r in db.session.scalars(select(RS).where(RS.person_id.in_(sample)))}
    assert written == engine_rows, "the snapshot written in SQL differs from the engine's for the sample"


def statistics(dialect: str) -> int:
    """Rows of planner statistics the database holds."""
    if dialect == "postgresql":
        return db.session.scalar(text("SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()"))
    if not db.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return 0
    return db.session.scalar(text("SELECT count(*) FROM sqlite_stat1"))


class Counter:
    """Statements run, and the slowest of them (seconds, SQL)."""

    def __init__(self):
        self.count = 0
        self.timings: list[tuple[float, str]] = []
        self._started = None

    def before(self, *args):
        self.count += 1
        self._started = time.perf_counter()

    def after(self, conn, cursor, statement, *args):
        self.timings.append((time.perf_counter() - self._started, " ".join(statement.split())))

    def slowest(self, n: int = 3) -> list[tuple[float, str]]:
        return sorted(self.timings, reverse=True)[:n]


def counted(fn, counter: Counter | None = None):
    counter = counter or Counter()
    event.listen(db.engine, "before_cursor_execute", counter.before)
    event.listen(db.engine, "after_cursor_execute", counter.after)
    started = time.perf_counter()
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter.before)
        event.remove(db.engine, "after_cursor_execute", counter.after)
    return result, time.perf_counter() - started, counter.count


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def _scan(label: str, on: date, clock: datetime) -> tuple:
    from portal.services import reminders

    counter = Counter()
    with time_machine.travel(clock, tick=True):
        result, seconds, queries = counted(lambda: reminders.scan(on), counter)
    how = "every window whole" if result.full else "what came due and who changed since the scan before"
    print(f"scan ({label}): {seconds:.2f} s, {queries} statements, {result.total} rows written; read {how}")
    for took, sql in counter.slowest():
        print(f"    {took * 1000:8.1f} ms  {sql[:110]}")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--people", type=int, help="employees holding credentials (default 20,000)")
    size.add_argument("--credentials", type=int, help="credentials on record: --people is this / --per-person")
    parser.add_argument("--per-person", type=int, default=10, help="credential types, each employee holds one of "
                        "each (half of them required by their role; 1 in 50 required ones missing)")
    parser.add_argument("--send", type=int, default=5000)
    parser.add_argument("--smtp", type=int, default=1000,
                        help="also send this many over SMTP to a loopback server, one connection per message "
                             "against a shared connection (0: skip)")
    parser.add_argument("--dry-run", action=argparse.BooleanOptionalAction, default=None,
                        help="also time the dry run (loads the whole organisation; default: up to 300,000 "
                             "credentials)")
    parser.add_argument("--profile", action="store_true", help="cProfile the sending; print the top functions")
    steps = ("seed", "first-day")
    parser.add_argument("--stop-after", choices=steps, help="stop after seeding or after the first day's scans")
    parser.add_argument("--resume-after", choices=steps,
                        help="the database already holds what a run stopped after this step left (a copy of it)")
    args = parser.parse_args()
    employees = math.ceil(args.credentials / args.per_person) if args.credentials else (args.people or 20000)
    url = os.environ.get("CREDWATCH_BENCH_DATABASE_URL")
    instance = Path(os.environ["CREDWATCH_INSTANCE_PATH"])
    config = {"INSTANCE_PATH": str(instance), "SMTP_HOST": None,
              "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance / 'bench.db'}"}
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            # autovacuum would analyse the tables behind the bench's back
            for table in db.metadata.sorted_tables:
                db.session.execute(text(f'ALTER TABLE "{table.name}" SET (autovacuum_enabled = false)'))
            db.session.commit()
        started = time.perf_counter()
        if args.resume_after is None:
            with time_machine.travel(SEEDED_AT, tick=True):
                plan = seed(employees, args.per_person)
                seed_snapshot(plan)
        total = db.session.scalar(select(func.count(Credential.id)))
        people = db.session.scalar(select(func.count(Person.id)))
        snapshot = db.session.scalar(select(func.count(RS.id)))
        how = (f"resumed after {args.resume_after} with" if args.resume_after else
               f"seeded in {time.perf_counter() - started:.0f} s (snapshot checked against the engine for a sample)")
        print(f"{dialect}: {how} {people:,} people, {total:,} credentials, {snapshot:,} snapshot rows")
        stats = statistics(dialect)
        print(f"planner statistics before the scans: {stats} rows (no ANALYZE after seeding"
              f"{'; autovacuum off for these tables' if dialect == 'postgresql' else ''})")
        from portal.services import mailer, reminders

        if args.resume_after != "first-day" and (args.dry_run or (args.dry_run is None and total <= 300_000)):
            with time_machine.travel(_at(TODAY, 5), tick=True):
                dry, seconds, queries = counted(lambda: reminders.scan(TODAY, dry_run=True))
            print(f"dry run over {total:,} credentials: {seconds:.2f} s, {queries} statements, "
                  f"{dry.total} notifications due")
        if args.stop_after == "seed":
            return
        if args.resume_after != "first-day":
            _scan("first run of the day", TODAY, _at(TODAY, 6))
            _scan("again, same day", TODAY, _at(TODAY, 6) + timedelta(minutes=30))
        if args.stop_after == "first-day":
            return
        _, next_day = _scan("next day", TODAY + timedelta(days=1), _at(TODAY + timedelta(days=1), 6))
        target_size, target = TARGETS.get(dialect, TARGETS["postgresql"])
        print(f"next-day scan {next_day:.2f} s at {total:,} credentials on {dialect}, target <= {target:g} s at "
              f"{target_size:,} ({next_day / target:.2f}x the target{'' if total >= target_size * 0.98 else ', at a smaller size'}); "
              f"planner statistics: {statistics(dialect)} rows")

        if not args.send:
            return
        # send exactly --send rows to the outbox: park the rest
        ids = list(db.session.scalars(select(Notification.id).where(Notification.state == "pending")
                                      .order_by(Notification.id).limit(args.send)))
        db.session.execute(update(Notification).where(Notification.state == "pending", Notification.id > ids[-1])
                           .values(state="skipped"))
        db.session.commit()
        send = lambda: mailer.send_pending(limit=None)  # noqa: E731
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            send = lambda: profiler.runcall(mailer.send_pending, limit=None)  # noqa: E731
        counter = Counter()
        with time_machine.travel(_at(TODAY + timedelta(days=1), 7), tick=True):
            sent, seconds, queries = counted(send, counter)
        files = len(list(mailer.outbox_folder().glob("*.eml")))
        batches = math.ceil(len(ids) / mailer.batch_size())
        print(f"send {len(ids)} to the outbox: {seconds:.2f} s ({len(ids) / seconds:.0f}/s, "
              f"{seconds / batches * 1000:.0f} ms per batch of {mailer.batch_size()}), "
              f"{queries} statements ({queries / max(len(ids), 1):.1f} per message), {sent}, {files} files; "
              f"planner statistics: {statistics(dialect)} rows")
        for took, sql in counter.slowest():
            print(f"    {took * 1000:8.1f} ms  {sql[:110]}")
        if args.profile:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        if args.smtp:
            smtp_rates(app, mailer, ids[:args.smtp])


def smtp_rates(app, mailer, ids: list[int]) -> None:
    """Send the same rows again over SMTP to an aiosmtpd sink on loopback (a
    process of its own, so it does not share this one's interpreter): with a
    connection per message, then with connections shared by the batch."""
    import socket
    import subprocess

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
                               "-l", f"127.0.0.1:{port}"])
    for _ in range(100):  # until it listens
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    rates = {}
    try:
        for per_connection in (1, 100):
            db.session.execute(update(Notification).where(Notification.id.in_(ids))
                               .values(state="pending", next_attempt_at=None, attempts=0))
            db.session.commit()
            app.config["SMTP_MESSAGES_PER_CONNECTION"] = per_connection
            sent, seconds, _ = counted(lambda: mailer.send_pending(limit=None))
            rates[per_connection] = len(ids) / seconds
            print(f"send {len(ids)} by SMTP, {per_connection:>3} per connection: {seconds:.2f} s "
                  f"({rates[per_connection]:.0f}/s), {sent}")
    finally:
        server.terminate()
        server.wait()
        app.config["SMTP_HOST"] = None
    print(f"shared connections: {rates[100] / rates[1]:.1f}x the rate on loopback, where a connection costs "
          "little; a remote server adds TCP and TLS handshakes and a login per connection")

if __name__ == "__main__":
    try:
        main()
    finally:
        if _OWN_INSTANCE:  # the throwaway database and 5,000 .eml files
            import shutil

            shutil.rmtree(os.environ["CREDWATCH_INSTANCE_PATH"], ignore_errors=True)
