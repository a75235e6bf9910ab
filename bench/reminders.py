"""Benchmark: the daily reminder scan over 200,000 credentials, sending
5,000 notifications to the outbox, and 1,000 of them again by SMTP to a
loopback server (one connection per message against shared connections).

Prints wall times and the SQL statements each part ran. Target: the scan well
under 10 s on SQLite. Not a timed test: it reports.

    .venv/bin/python bench/reminders.py [--people 20000] [--per-person 10] [--send 5000] [--smtp 1000]

Uses a throwaway SQLite database and outbox under /tmp (or
CREDWATCH_BENCH_DATABASE_URL for an existing, empty, PostgreSQL database).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_OWN_INSTANCE = "CREDWATCH_INSTANCE_PATH" not in os.environ
os.environ.setdefault("CREDWATCH_INSTANCE_PATH", tempfile.mkdtemp(prefix="credwatch-bench-"))

from sqlalchemy import event, func, insert, select, update  # noqa: E402

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
    User,
)

TODAY = date(2026, 3, 2)


def seed(people: int, per_person: int, rng: random.Random) -> None:
    db.session.execute(insert(Issuer), [{"code": "ISS", "name": "Issuer", "aliases": [],
                                         "license_number_patterns": [], "renewal_url": "https://issuer.example/renew"}])
    issuer_id = db.session.scalar(select(Issuer.id))
    types = per_person
    db.session.execute(insert(CredentialType), [
        {"code": f"T{i}", "name": f"Credential {i}", "issuer_id": issuer_id, "validity_months": 24,
         "aliases": []} for i in range(types)])
    type_ids = list(db.session.scalars(select(CredentialType.id).order_by(CredentialType.id)))
    db.session.execute(insert(JobRole), [{"code": "R", "name": "Role"}])
    role_id = db.session.scalar(select(JobRole.id))
    # half the types are required by the role (snapshot), half are extras
    db.session.execute(insert(Requirement), [{"credential_type_id": t, "job_role_id": role_id}
                                             for t in type_ids[: types // 2]])
    db.session.execute(insert(ReminderPolicy), [{"credential_type_id": None, "offsets": [90, 60, 30, 14, 7, 0],
                                                 "grace_days": 30, "escalation": [
                                                     {"days_before": 30, "notify": "manager"},
                                                     {"days_before": 7, "notify": "hr"},
                                                     {"days_before": 0, "notify": "compliance"}],
                                                 "allow_digest": False}])
    managers = max(people // 50, 1)
    rows = [{"employee_id": f"M{i}", "first_name": "Manager", "last_name": str(i), "email": f"m{i}@bench.test",
             "active": True, "notification_channel": "email"} for i in range(managers)]
    db.session.execute(insert(Person), rows)
    manager_ids = list(db.session.scalars(select(Person.id)))
    rows = [{"employee_id": f"E{i}", "first_name": "Person", "last_name": str(i), "email": f"p{i}@bench.test",
             "manager_id": manager_ids[i % managers], "job_role_id": role_id, "active": True,
             "notification_channel": "email"} for i in range(people - managers)]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Person), rows[start:start + 5000])
    hr = Person(employee_id="HR", first_name="Hana", last_name="HR", email="hr@bench.test")
    db.session.add(hr)
    db.session.flush()
    db.session.add(User(email="hr@bench.test", password_hash="x", roles_text="employee reviewer", person_id=hr.id))
    person_ids = list(db.session.scalars(select(Person.id).where(Person.job_role_id == role_id)))
    credentials = []
    for pid in person_ids:
        for t in type_ids:
            expires = TODAY + timedelta(days=rng.randint(-120, 610))  # 24-month cycles, spread
            credentials.append({"person_id": pid, "credential_type_id": t, "expires_on": expires,
                                "issued_on": expires - timedelta(days=730), "state": "active",
                                "source": "import", "verified": True, "version": 1})
    for start in range(0, len(credentials), 10000):
        db.session.execute(insert(Credential), credentials[start:start + 10000])
    db.session.commit()
    from portal.services.compliance_snapshot import refresh_everyone

    started = time.perf_counter()
    refresh_everyone(TODAY)
    db.session.commit()
    print(f"  seeded {len(person_ids) + managers + 1} people, {len(credentials)} credentials; "
          f"snapshot refresh {time.perf_counter() - started:.1f} s")


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *args):
        self.count += 1


def counted(fn):
    counter = Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    started = time.perf_counter()
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return result, time.perf_counter() - started, counter.count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20000)
    parser.add_argument("--per-person", type=int, default=10)
    parser.add_argument("--send", type=int, default=5000)
    parser.add_argument("--smtp", type=int, default=1000,
                        help="also send this many over SMTP to a loopback server, one connection per message "
                             "against a shared connection (0: skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile the sending; print the top functions")
    args = parser.parse_args()
    url = os.environ.get("CREDWATCH_BENCH_DATABASE_URL")
    instance = Path(os.environ["CREDWATCH_INSTANCE_PATH"])
    config = {"INSTANCE_PATH": str(instance), "SMTP_HOST": None,
              "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{instance / 'bench.db'}"}
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        seed(args.people, args.per_person, random.Random(7))
        from portal.services import mailer, reminders

        total = db.session.scalar(select(func.count(Credential.id)))
        dry, seconds, queries = counted(lambda: reminders.scan(TODAY, dry_run=True))
        print(f"dry run over {total} credentials: {seconds:.2f} s, {queries} statements, "
              f"{dry.total} notifications due")
        result, seconds, queries = counted(lambda: reminders.scan(TODAY))
        print(f"scan (first run of the day):    {seconds:.2f} s, {queries} statements, "
              f"{result.total} rows written ({dict(result.created)})")
        again, seconds, queries = counted(lambda: reminders.scan(TODAY))
        print(f"scan (again, same day):         {seconds:.2f} s, {queries} statements, {again.total} rows written")
        nxt, seconds, queries = counted(lambda: reminders.scan(TODAY + timedelta(days=1)))
        print(f"scan (next day):                {seconds:.2f} s, {queries} statements, {nxt.total} rows written")

        # send exactly --send rows to the outbox: park the rest
        keep = select(Notification.id).order_by(Notification.id).limit(args.send).scalar_subquery()
        ids = list(db.session.scalars(select(Notification.id).order_by(Notification.id).limit(args.send)))
        db.session.execute(update(Notification).where(Notification.id.not_in(ids)).values(state="skipped"))
        db.session.commit()
        del keep
        send = lambda: mailer.send_pending(limit=None)  # noqa: E731
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            send = lambda: profiler.runcall(mailer.send_pending, limit=None)  # noqa: E731
        sent, seconds, queries = counted(send)
        files = len(list(mailer.outbox_folder().glob("*.eml")))
        print(f"send {len(ids)} to the outbox:       {seconds:.2f} s ({len(ids) / seconds:.0f}/s), "
              f"{queries} statements ({queries / max(len(ids), 1):.1f} per message), {sent}, {files} files")
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
