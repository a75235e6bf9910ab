"""The next day's scan reads what came due and who changed since the scan
before (``scan.since_last_scan``); these are the changes it learns of other
than through a person's own records: a manager's address filled in by a bulk
update, a new HR account, a requirement missing since before the scan began,
and the nightly refresh, which notes only the people whose snapshot rows
changed. Each scan is checked against the rule (``rules.pick``) over the
whole organisation."""
from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import event, func, select, update

from portal.extensions import db
from portal.models import Credential, Notification, Person, ReminderChange, ReminderPolicy
from portal.policies import reminders as rules
from portal.services import notification_settings, people_sync, recommendations, reminders
from portal.services.compliance_snapshot import refresh_everyone
from portal.services.reminders import facts
from tests.support import factories

reminders_scan = importlib.import_module("portal.services.reminders.scan")  # the package exports scan()

DAY0 = date(2026, 3, 2)


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def scan_as_the_rule_picks(on: date) -> tuple[reminders.ScanResult, set[tuple]]:
    expected = {(p.unique_key, p.state, p.due_on) for p in rules.pick(facts.load(), on)}
    last_id = db.session.scalar(select(func.max(Notification.id))) or 0
    result = reminders.scan(on)
    written = set(db.session.execute(select(Notification.unique_key, Notification.state, Notification.due_on)
                                     .where(Notification.id > last_id)).all())
    assert written == expected
    return result, written


@pytest.fixture
def clock():
    with time_machine.travel(at(DAY0, 10), tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(app, clock):
    """A manager without an address and four reports holding a required
    credential expiring 40, 35, 25 and 20 days after DAY0 (the manager's step
    is 30 days before; HR's 7), and one report missing it."""
    ctype = factories.credential_type()
    role = factories.job_role()
    factories.requirement(ctype, job_role_=role)
    factories.default_policy(offsets=[30, 7, 0], grace_days=30,
                             escalation=[{"notify": "manager", "days_before": 30},
                                         {"notify": "hr", "days_before": 7}])
    boss = factories.person("Boss", email="boss@example.test")
    people = [factories.person(manager=boss, job_role=role) for _ in range(5)]
    for person, days in zip(people, (40, 35, 25, 20)):
        factories.credential(person, ctype, expires_on=DAY0 + timedelta(days=days))
    db.session.flush()
    boss.email = None
    db.session.commit()
    return boss, people, ctype


def test_a_manager_address_filled_in_by_a_bulk_update_reaches_the_next_scan(team, clock):
    boss, people, _ = team
    clock.move_to(at(DAY0 + timedelta(days=1)))
    first, written = scan_as_the_rule_picks(DAY0 + timedelta(days=1))
    assert first.full and not any(":manager:" in key for key, _, _ in written)
    clock.move_to(at(DAY0 + timedelta(days=1), 12))
    people_sync.bulk_update(Person, [{"id": boss.id, "email": "boss@example.test"}])  # no session hook
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=2)))
    second, written = scan_as_the_rule_picks(DAY0 + timedelta(days=2))
    assert not second.full
    # the two reports in the manager's window since before the address was filled in
    told = {key for key, _, _ in written if key.startswith("escalation:")}
    assert len(told) == 2


def test_a_new_hr_account_is_told_of_everything_already_in_its_window(team, clock):
    boss, people, ctype = team
    day = DAY0 + timedelta(days=14)  # the credential expiring on day 20 is in HR's window (7 days)
    clock.move_to(at(day))
    scan_as_the_rule_picks(day)
    clock.move_to(at(day, 12))
    hr = factories.person("Hana", email="hr@example.test")
    factories.user(hr, roles=("employee", "reviewer"))
    db.session.commit()
    clock.move_to(at(day + timedelta(days=1)))
    result, written = scan_as_the_rule_picks(day + timedelta(days=1))
    assert not result.full
    assert {key for key, _, _ in written if key.startswith("escalation:") and ":hr:" in key}


def test_a_requirement_missing_since_before_the_first_scan_is_escalated_on_its_day(team, clock):
    boss, people, ctype = team
    db.session.execute(update(Person).where(Person.id == boss.id).values(email="boss@example.test"))
    db.session.commit()
    day = DAY0 + timedelta(days=1)
    clock.move_to(at(day))
    scan_as_the_rule_picks(day)
    for gap in range(1, 16):  # nobody changes: the escalation comes from its record's day
        clock.move_to(at(day + timedelta(days=gap)))
        result, written = scan_as_the_rule_picks(day + timedelta(days=gap))
        assert not result.full
    escalated = db.session.scalars(select(Notification.due_on).where(
        Notification.kind == "missing", Notification.step == "manager:missing-d14")).all()
    assert escalated == [DAY0 + timedelta(days=14)]  # seen missing on DAY0, when the snapshot was made


def test_the_nightly_refresh_notes_only_the_people_whose_rows_changed(team, clock):
    boss, people, ctype = team
    clock.move_to(at(DAY0 + timedelta(days=1)))
    scan_as_the_rule_picks(DAY0 + timedelta(days=1))
    noted = dict(db.session.execute(select(ReminderChange.person_id, ReminderChange.changed_at)).all())
    # a record changed behind the session hook's back, healed by the nightly refresh
    db.session.execute(update(Credential).where(Credential.person_id == people[0].id)
                       .values(expires_on=DAY0 + timedelta(days=29)))
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=2), 0))
    refresh_everyone()
    db.session.commit()
    now = dict(db.session.execute(select(ReminderChange.person_id, ReminderChange.changed_at)).all())
    assert {p for p in now if now[p] != noted.get(p)} == {people[0].id}
    clock.move_to(at(DAY0 + timedelta(days=2)))
    result, written = scan_as_the_rule_picks(DAY0 + timedelta(days=2))
    assert not result.full
    assert any(key.startswith("reminder:cred:") and ":d30" in key for key, _, _ in written)


def test_a_scan_with_other_policies_reads_every_window(team, clock):
    clock.move_to(at(DAY0 + timedelta(days=1)))
    scan_as_the_rule_picks(DAY0 + timedelta(days=1))
    policy = db.session.scalar(select(ReminderPolicy))
    policy.offsets = [60, 30, 7, 0]
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=2)))
    result, _ = scan_as_the_rule_picks(DAY0 + timedelta(days=2))
    assert result.full


def test_a_first_notice_from_before_the_seen_records_escalates_whatever_other_episodes_closed(team, clock):
    # A requirement told missing before "seen" records existed escalates from
    # that first notice, unless one of its own episodes closed; another
    # person's closed episode changes nothing (the count is per requirement).
    boss, people, ctype = team
    db.session.execute(update(Person).where(Person.id == boss.id).values(email="boss@example.test"))
    holder = people[4]
    db.session.add_all([
        Notification(unique_key=f"missing:person:{holder.id}:type:{ctype.id}:to:p{holder.id}:employee:missing",
                     kind="missing", step="employee:missing", person_id=holder.id, credential_type_id=ctype.id,
                     recipient_person_id=holder.id, recipient_email=holder.email, state="sent",
                     due_on=DAY0 - timedelta(days=20)),
        Notification(unique_key=f"missing-seen:person:{people[0].id}:type:{ctype.id}:closed1", kind="missing-seen",
                     step="closed", person_id=people[0].id, credential_type_id=ctype.id, recipient_email="",
                     state="skipped", due_on=DAY0 - timedelta(days=40)),
    ])
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=1)))
    _, written = scan_as_the_rule_picks(DAY0 + timedelta(days=1))
    assert any(key.endswith(":manager:missing-d14") and f"person:{holder.id}:" in key for key, _, _ in written)


@pytest.mark.parametrize("changed, reads_whole", [(2, False), (3, True)])
def test_more_people_changed_than_the_scan_reads_by_person_reads_every_window(team, clock, monkeypatch,
                                                                             changed, reads_whole):
    # Past MAX_CHANGED_PEOPLE, reading people in chunks costs more than
    # reading each window once: the scan falls back to the whole registry,
    # and writes what the rule picks either way.
    monkeypatch.setattr(reminders_scan, "MAX_CHANGED_PEOPLE", 2)
    boss, people, ctype = team
    clock.move_to(at(DAY0 + timedelta(days=1)))
    scan_as_the_rule_picks(DAY0 + timedelta(days=1))
    clock.move_to(at(DAY0 + timedelta(days=1), 12))
    moved = []
    for person in people[:changed]:  # renewed early by mistake: now 5 days left, in the 7-day step
        credential = db.session.scalar(select(Credential).where(Credential.person_id == person.id))
        credential.expires_on = DAY0 + timedelta(days=7)
        moved.append(credential.id)
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=2)))
    result, written = scan_as_the_rule_picks(DAY0 + timedelta(days=2))
    assert result.full is reads_whole
    told = {key for key, _, _ in written if key.startswith("reminder:") and key.endswith(":d7")}
    assert {int(key.split(":")[2]) for key in told} == set(moved)


def test_the_next_days_optional_reminders_leave_out_the_days_required_ones_by_their_snapshot_rows(app, clock):
    # The next day's optional reminders first leave out the credentials whose
    # snapshot row lapses the same day (scan._not_required_due), then ask the
    # snapshot row by row: a credential of a required type held by someone
    # who does not need it is still reminded, an older record beside the
    # renewal that holds the requirement is not.
    required, optional = factories.credential_type(name="Required"), factories.credential_type(name="Optional")
    role = factories.job_role()
    factories.requirement(required, job_role_=role)
    factories.default_policy(offsets=[30, 7, 0], grace_days=30, escalation=[])
    day = DAY0 + timedelta(days=2)
    due = day + timedelta(days=30)  # enters the 30-day step on ``day``
    nurse, visitor, renewed = (factories.person(job_role=role), factories.person(),
                               factories.person(job_role=role))
    held = factories.credential(nurse, required, expires_on=due)
    extra = factories.credential(nurse, optional, expires_on=due)
    unneeded = factories.credential(visitor, required, expires_on=due)
    older = factories.credential(renewed, required, expires_on=due)
    factories.credential(renewed, required, expires_on=due + timedelta(days=300))
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=1)))
    scan_as_the_rule_picks(DAY0 + timedelta(days=1))
    clock.move_to(at(day))
    scanned = []
    statements = statements_of(lambda: scanned.append(scan_as_the_rule_picks(day)))
    result, written = scanned[0]
    assert not result.full
    assert any("NOT IN (SELECT requirement_states.person_id" in sql for sql, _ in statements)
    told = {int(key.split(":")[2]) for key, _, _ in written if key.startswith("reminder:") and key.endswith(":d30")}
    assert told == {held.id, extra.id, unneeded.id}
    assert older.id not in told


# --------------------------------------------------------------------------- how it reads the notifications
# The next day's scan never reads the notifications whole: every statement
# that looks them up (keys, a missing requirement's records and episodes)
# finds them by an index, with or without planner statistics. The person and
# escalation indexes are partial, so this also checks that each query repeats
# its index's condition (SQLite uses a partial index only then).

NOTIFICATION_TABLES = ("notifications", "earlier", "closed")


def full_reads_of_notifications(statements: list[tuple[str, tuple]]) -> list[str]:
    found = []
    with db.engine.connect() as conn:
        for statement, params in statements:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)]
            found += [f"{step}  <-  {statement[:160]}" for step in plan
                      if any(step.startswith(f"SCAN {table}") and "USING" not in step
                             for table in NOTIFICATION_TABLES)]
    return found


def statements_of(run) -> list[tuple[str, tuple]]:
    statements = []

    def keep(conn, cursor, statement, params, context, many):
        if "notifications" in statement:
            statements.append((statement, tuple(params[0] if many else params)))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    return statements


@pytest.fixture
def sqlite_plans(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans; PostgreSQL is measured by bench/reminders.py")


def test_the_next_days_scan_finds_notifications_by_index(sqlite_plans, team, clock):
    boss, people, _ = team
    hr = factories.person("Hana", email="hr@example.test")
    factories.user(hr, roles=("employee", "reviewer"))
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=1)))
    reminders.scan(DAY0 + timedelta(days=1))
    clock.move_to(at(DAY0 + timedelta(days=1), 12))
    people[0].email = "changed@example.test"  # someone changed: read by person
    db.session.commit()
    clock.move_to(at(DAY0 + timedelta(days=16)))  # past the missing requirement's escalations
    statements = statements_of(lambda: reminders.scan(DAY0 + timedelta(days=16)))
    assert statements
    assert full_reads_of_notifications(statements) == []


def test_a_renew_now_list_finds_its_escalations_by_credential(sqlite_plans, team, clock):
    boss, people, _ = team
    clock.move_to(at(DAY0 + timedelta(days=1)))
    reminders.scan(DAY0 + timedelta(days=1))
    statements = statements_of(lambda: recommendations.renew_now([p.id for p in people], DAY0 + timedelta(days=1)))
    escalations = [s for s in statements if "kind = 'escalation'" in s[0]]
    assert escalations
    assert full_reads_of_notifications(escalations) == []


def test_a_persons_recent_notifications_are_found_by_their_index(team, clock):
    boss, people, _ = team
    db.session.execute(update(Person).where(Person.id == boss.id).values(email="boss@example.test"))
    db.session.commit()
    for gap in (1, 11, 16):  # reminders, then the manager's escalations
        clock.move_to(at(DAY0 + timedelta(days=gap)))
        reminders.scan(DAY0 + timedelta(days=gap))
    to_boss = db.session.scalars(select(Notification.id).where(Notification.recipient_person_id == boss.id)
                                 .order_by(Notification.id.desc())).all()
    assert to_boss
    statements = statements_of(lambda: notification_settings.recent_notifications(boss))
    assert [n.id for n in notification_settings.recent_notifications(boss)] == to_boss[:notification_settings.RECENT]
    if db.engine.dialect.name == "sqlite":
        assert full_reads_of_notifications(statements) == []
