"""The SQL scan is an optimisation of the pure rule: over generated
organisations and days, ``scan(on)`` writes exactly what
``portal.policies.reminders.pick`` picks from the same facts.

Generated: policies (an organisation default and an override with its own
grace, offsets, escalations and digest choice), people with managers, leavers,
missing addresses and digest preferences, HR and compliance accounts, required
and optional credentials around the scan days (renewed twice, withdrawn),
documents waiting for review, requirements nobody holds; then scans on days
with gaps between them (catch-up), with a missing requirement sometimes filled
in between scans (a missing episode closes; a later gap is a new one).
"""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

import time_machine
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CredentialType, Notification, Person, ReminderPolicy, RequirementSnapshot
from portal.policies import reminders as rules
from portal.services import reminders
from portal.services.reminders import facts
from tests.support import factories

BASE = date(2026, 3, 2)

escalations = st.lists(st.fixed_dictionaries({
    "notify": st.sampled_from(["manager", "hr", "compliance"]),
    "days_before": st.sampled_from([-15, -1, 0, 7, 14, 30])}), max_size=3)
policies = st.fixed_dictionaries({
    # offsets, escalations and expiries from small sets, so that scan days
    # often fall on the edges of steps' windows, where an off-by-one shows
    "offsets": st.lists(st.sampled_from([0, 1, 7, 14, 30, 60, 90]), max_size=4, unique=True),
    "grace_days": st.sampled_from([0, 7, 8, 14, 30]),
    "escalation": escalations,
    "allow_digest": st.booleans(),
})
people = st.lists(st.fixed_dictionaries({
    "active": st.booleans() | st.just(True),
    "email": st.booleans() | st.just(True),
    "manager": st.integers(0, 6),  # an earlier person, or none
    "role": st.booleans(),  # holds the job role that requires types 0 and 1
    "digest": st.booleans(),
}), min_size=1, max_size=6)
credentials = st.lists(st.fixed_dictionaries({
    "person": st.integers(0, 5),
    "type": st.integers(0, 2),
    "expires": st.sampled_from([-45, -31, -30, -8, -1, 0, 1, 6, 7, 13, 14, 29, 30, 59, 60, 89, 90]) | st.none(),
    "state": st.sampled_from(["active", "active", "active", "superseded", "withdrawn"]),
}), max_size=10)
# mostly for required types (0 and 1): a renewal in review pauses the holder's reminders
documents = st.lists(st.fixed_dictionaries({
    "person": st.integers(0, 5),
    "type": st.sampled_from([0, 0, 1, 2]),
    "renews": st.booleans(),
}), max_size=4)
days = st.lists(st.tuples(st.sampled_from([1, 1, 2, 6, 7, 13, 14, 16, 30]), st.sampled_from(["nothing", "fill", "withdraw"])), min_size=1, max_size=6)


def _organisation(data) -> None:
    types = [factories.credential_type(name=f"Type {i}") for i in range(3)]
    role = factories.job_role()
    for ctype in types[:2]:
        factories.requirement(ctype, job_role_=role)
    default = data["default"]
    if default is not None:
        factories.default_policy(offsets=sorted(default["offsets"], reverse=True), grace_days=default["grace_days"],
                                 escalation=default["escalation"], allow_digest=default["allow_digest"])
    override = data["override"]
    if override is not None:
        db.session.add(ReminderPolicy(credential_type=types[2 if data["override_optional"] else 0],
                                      offsets=sorted(override["offsets"], reverse=True),
                                      grace_days=override["grace_days"], escalation=override["escalation"],
                                      allow_digest=override["allow_digest"]))
    made = []
    for i, spec in enumerate(data["people"]):
        manager = made[spec["manager"]] if spec["manager"] < len(made) else None
        person = factories.person(manager=manager, job_role=role if spec["role"] else None,
                                  active=spec["active"], notification_channel="digest" if spec["digest"] else "email")
        if not spec["email"]:
            person.email = None
        made.append(person)
    db.session.flush()
    staff_person = made[0]
    # HR's address: their person's if they have one, else the account's
    factories.user(staff_person if data["hr_is_person"] else None, roles=("employee", "reviewer"),
                   email=f"hr.{staff_person.id}@example.test")
    factories.user(None, roles=("employee", "compliance"))
    held = []
    for spec in data["credentials"]:
        person = made[spec["person"] % len(made)]
        expires = BASE + timedelta(days=spec["expires"]) if spec["expires"] is not None else None
        held.append(factories.credential(person, types[spec["type"]], expires_on=expires, state=spec["state"]))
    db.session.flush()
    for spec in data["documents"]:
        person = made[spec["person"] % len(made)]
        renewing = next((c for c in held if c.person_id == person.id), None) if spec["renews"] else None
        factories.document(person, state="needs_review", credential_type_id=None if renewing else types[spec["type"]].id,
                           renews_credential_id=renewing.id if renewing else None)
    db.session.commit()


def _change(change: str, on: date, filled: list) -> None:
    """Someone uploads what was missing (its episode closes), or a filled one is withdrawn (a new episode)."""
    if change == "fill":
        missing = db.session.execute(select(RequirementSnapshot.person_id, RequirementSnapshot.credential_type_id)
                                     .where(RequirementSnapshot.credential_id.is_(None)).limit(1)).first()
        if missing:
            filled.append(factories.credential(db.session.get(Person, missing[0]),
                                               db.session.get(CredentialType, missing[1]),
                                               expires_on=on + timedelta(days=200)))
    elif change == "withdraw" and filled:
        filled.pop().state = "withdrawn"
    db.session.commit()


def _written_after(last_id: int) -> set[tuple]:
    return set(db.session.execute(select(
        Notification.unique_key, Notification.kind, Notification.step, Notification.person_id,
        Notification.credential_id, Notification.credential_type_id, Notification.recipient_person_id,
        Notification.recipient_email, Notification.state, Notification.due_on,
    ).where(Notification.id > last_id)).all())


def _picked(on: date) -> set[tuple]:
    return {(p.unique_key, p.kind, p.step, p.person_id, p.credential_id, p.type_id, p.recipient_person_id,
             p.recipient_email, p.state, p.due_on) for p in rules.pick(facts.load(), on)}


# Expiries exactly on the edges of the steps' windows on the first scan day
# (BASE + 1): 30 days ahead (the 30-day step's far edge), 7 ahead (the 7-day
# step's far edge, the 30-day one's near edge), on the day, and the last day
# of grace; generated examples reach these edges only now and then.
EDGES = {
    "default": {"offsets": [30, 7, 0], "grace_days": 7, "escalation": [{"notify": "manager", "days_before": 7}],
                "allow_digest": False},
    "override": None, "override_optional": False, "hr_is_person": True, "documents": [],
    "people": [{"active": True, "email": True, "manager": 0, "role": True, "digest": False}] * 3,
    "credentials": [{"person": 0, "type": 0, "expires": 31, "state": "active"},
                    {"person": 0, "type": 1, "expires": 8, "state": "active"},
                    {"person": 1, "type": 0, "expires": 1, "state": "active"},
                    {"person": 1, "type": 1, "expires": -6, "state": "active"},
                    {"person": 2, "type": 0, "expires": -5, "state": "active"},
                    # type 2 is required of nobody: the holder's own reminders
                    {"person": 2, "type": 2, "expires": 31, "state": "active"},
                    {"person": 0, "type": 2, "expires": 8, "state": "active"}],
    "days": [(1, "nothing"), (1, "nothing"), (1, "nothing")],
}


ORGANISATIONS = st.fixed_dictionaries({
    "default": policies | st.none(), "override": policies | st.none(), "override_optional": st.booleans(),
    "people": people, "hr_is_person": st.booleans(), "credentials": credentials, "documents": documents,
    "days": days,
})
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _scan_days(data, clock=None) -> None:
    """Scan each day of ``data`` and compare with the rule; ``clock`` (a
    time-machine traveller) is moved on by ``STEP`` before each scan."""
    db.session.query(ReminderPolicy).delete()
    db.session.commit()
    _organisation(data)
    on = BASE
    filled = []
    for gap, change in data["days"]:
        on += timedelta(days=gap)
        if clock is not None:
            clock.shift(STEP)
        expected = _picked(on)
        last_id = db.session.scalar(select(func.max(Notification.id))) or 0
        result = reminders.scan(on)
        written = _written_after(last_id)
        assert written == expected, f"scan and rule disagree on {on} ({'whole' if result.full else 'since'})"
        if os.environ.get("CREDWATCH_COUNT_PICKS"):
            print("written", len(written))
        _change(change, on, filled)


@SETTINGS
@given(data=ORGANISATIONS)
@example(data=EDGES)
def test_the_scan_writes_what_the_rule_picks(app, data):
    # The database is shared by the examples: each adds its own organisation,
    # and both sides always read the whole database, so earlier ones only add
    # variety. Policies are replaced per example. The clock stands still:
    # everyone counts as changed since the previous scan.
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=timezone.utc), tick=False):
        _scan_days(data)


# Longer than scan.CHANGE_MARGIN: people not changed since the scan before
# are left to what came due since it.
STEP = timedelta(hours=2)
CLOCK = [datetime(2026, 3, 2, 12, tzinfo=timezone.utc)]


@SETTINGS
@given(data=ORGANISATIONS)
@example(data=EDGES)
def test_the_next_scan_reads_only_what_came_due_and_changed_yet_writes_what_the_rule_picks(app, data):
    # The clock only moves on (across examples too): each scan after the
    # first of an organisation (new types: a new fingerprint) starts from
    # the one before, reading what entered a window since its day and the
    # people changed since it started.
    with time_machine.travel(CLOCK[0], tick=False) as clock:
        _scan_days(data, clock)
        CLOCK[0] = datetime.now(timezone.utc) + STEP
