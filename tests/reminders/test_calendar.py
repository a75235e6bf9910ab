"""The right people get the right step on the right day, and only once."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification
from portal.services import mailer, reminders
from tests.support import factories

EXPIRES = date(2026, 6, 30)


def _rows(on=None):
    query = select(Notification.kind, Notification.step, Notification.recipient_email).where(
        Notification.kind.not_in(("missing", "missing-seen"))).order_by(Notification.id)
    if on is not None:
        query = query.where(Notification.due_on == on)
    return db.session.execute(query).all()


@pytest.fixture
def held(org):
    """Erin's required BLS expires on 30 June; default policy (grace 30 days)."""
    factories.default_policy()
    credential = factories.credential(org.employee, org.bls, expires_on=EXPIRES)
    db.session.commit()
    return credential


# days before expiry -> the steps written that day (audience:step, to whom)
CALENDAR = [
    (91, set()),
    (90, {("employee:d90", "employee")}),
    (60, {("employee:d60", "employee")}),
    (30, {("employee:d30", "employee"), ("manager:d30", "manager")}),
    (7, {("employee:d7", "employee"), ("hr:d7", "hr")}),
    (0, {("employee:d0", "employee"), ("compliance:d0", "compliance")}),
    (-1, {("employee:lapsed", "employee"), ("manager:lapsed", "manager")}),
    (-23, {("employee:grace-ends", "employee"), ("manager:grace-ends", "manager")}),
    (-31, {("employee:expired", "employee"), ("manager:expired", "manager"), ("hr:expired", "hr")}),
    (-31 - 14, set()),  # the last step's catch-up window is over: nothing more, ever
]


@pytest.mark.parametrize("days_before,expected", CALENDAR, ids=[str(d) for d, _ in CALENDAR])
def test_each_day_of_the_ladder(app, org, held, days_before, expected):
    """Scanning on each earlier day of the calendar, then the target day: that
    day writes exactly its own steps."""
    on = EXPIRES - timedelta(days=days_before)
    for earlier, _ in CALENDAR:
        if earlier <= days_before:
            break
        reminders.scan(EXPIRES - timedelta(days=earlier))
    reminders.scan(on)
    who = {org.employee.email: "employee", org.manager.email: "manager",
           org.reviewer_user.email: "hr", org.compliance_user.email: "compliance"}
    got = {(step, who[email]) for _kind, step, email in _rows(on)}
    assert got == expected


def test_scanning_the_same_day_twice_adds_and_sends_nothing(app, org, held):
    on = EXPIRES - timedelta(days=30)
    first = reminders.run_daily(on)
    assert first.total >= 2 and first.sent == {"sent": first.total}
    second = reminders.run_daily(on)
    assert second.total == 0 and second.sent == {}


def test_scanning_every_day_sends_each_step_once_in_order(app, org, held):
    day = EXPIRES - timedelta(days=92)
    while day <= EXPIRES + timedelta(days=33):
        reminders.scan(day)
        day += timedelta(days=1)
    steps = [step for _kind, step, _email in _rows()]
    assert len(steps) == len(set(steps))
    assert [s for s in steps if s.startswith("employee:")] == [
        "employee:d90", "employee:d60", "employee:d30", "employee:d14", "employee:d7", "employee:d0",
        "employee:lapsed", "employee:grace-ends", "employee:expired"]


def test_catch_up_after_three_days_down_sends_the_latest_step_once(app, org, held):
    for days in range(14, 8, -1):  # daily scans up to 9 days before expiry
        reminders.scan(EXPIRES - timedelta(days=days))
    # down on days 8, 7 (the d7 reminder and HR's escalation fall due) and 6
    back = EXPIRES - timedelta(days=5)
    reminders.scan(back)
    assert {step for _k, step, _e in _rows(back)} == {"employee:d7", "hr:d7"}
    reminders.scan(back + timedelta(days=1))
    assert _rows(back + timedelta(days=1)) == []


def test_catch_up_after_a_long_outage_skips_to_the_most_recent_step(app, org, held):
    reminders.scan(EXPIRES - timedelta(days=100))
    reminders.scan(EXPIRES + timedelta(days=3))  # everything from d90 to lapsed was missed
    # per audience, only the most recent step that came due
    assert {step for _k, step, _e in _rows()} == {"employee:lapsed", "manager:lapsed", "hr:d7",
                                                  "compliance:d0"}


def test_leavers_get_nothing_and_nobody_is_told(app, org, held):
    org.employee.active = False
    db.session.commit()
    reminders.scan(EXPIRES - timedelta(days=30))
    assert _rows() == []


def test_confirmed_renewal_stops_reminders_and_escalations(app, org, held):
    reminders.scan(EXPIRES - timedelta(days=30))
    renewed = factories.credential(org.employee, org.bls, expires_on=EXPIRES + timedelta(days=730))
    held.state, held.superseded_by = "superseded", renewed
    db.session.commit()
    before = len(_rows())
    for days in (7, 0, -1, -31):
        reminders.scan(EXPIRES - timedelta(days=days))
    assert len(_rows()) == before


def test_a_renewal_waiting_for_review_pauses_the_employee_not_the_escalation(app, org, held):
    factories.document(org.employee, renews_credential_id=held.id, state="needs_review")
    db.session.commit()
    reminders.scan(EXPIRES)  # the day of expiry
    assert {step for _k, step, _e in _rows()} == {"manager:d30", "hr:d7", "compliance:d0"}
    reminders.scan(EXPIRES + timedelta(days=1))
    assert {step for _k, step, _e in _rows(EXPIRES + timedelta(days=1))} == {"manager:lapsed"}


def test_a_row_written_before_the_renewal_is_skipped_at_send_time(app, org, held):
    reminders.scan(EXPIRES - timedelta(days=30))
    renewed = factories.credential(org.employee, org.bls, expires_on=EXPIRES + timedelta(days=730))
    held.state, held.superseded_by = "superseded", renewed
    db.session.commit()

    assert mailer.send_pending()["skipped"] == 2
    skipped = db.session.scalars(select(Notification).where(Notification.state == "skipped",
                                                            Notification.kind != "missing-seen")).all()
    assert {n.credential_id for n in skipped} == {held.id}


def test_missing_requirement_tells_the_employee_then_the_manager(app, org):
    factories.default_policy()
    db.session.commit()
    start = date(2026, 1, 5)
    reminders.scan(start)
    erin = [n for n in db.session.scalars(select(Notification).where(Notification.kind == "missing"))
            if n.person_id == org.employee.id]
    assert [(n.kind, n.step, n.recipient_email) for n in erin] == [("missing", "employee:missing", org.employee.email)]
    reminders.scan(start + timedelta(days=13))
    assert db.session.scalar(select(Notification).where(Notification.step == "manager:missing-d14",
                                                        Notification.person_id == org.employee.id)) is None
    reminders.scan(start + timedelta(days=14))
    escalated = db.session.scalar(select(Notification).where(Notification.step == "manager:missing-d14",
                                                             Notification.person_id == org.employee.id))
    assert escalated.recipient_email == org.manager.email


@pytest.mark.parametrize("why", ["no email", "document in review"])
def test_missing_escalates_by_its_own_dates_when_the_employee_was_not_told(app, org, why):
    factories.default_policy()
    if why == "no email":
        org.employee.email = None
    else:
        factories.document(org.employee, credential_type_id=org.bls.id)
    db.session.commit()
    from portal.services.compliance_snapshot import refresh_people

    refresh_people([org.employee.id])
    db.session.commit()
    start = date(2026, 1, 5)

    def steps(person_id):
        return {n.step: n.recipient_email for n in db.session.scalars(
            select(Notification).where(Notification.kind == "missing", Notification.person_id == person_id))}

    reminders.scan(start)
    assert steps(org.employee.id) == {}  # nobody to tell yet
    reminders.scan(start + timedelta(days=13))
    assert steps(org.employee.id) == {}
    reminders.scan(start + timedelta(days=14))
    assert steps(org.employee.id) == {"manager:missing-d14": org.manager.email}
    reminders.scan(start + timedelta(days=30))
    assert steps(org.employee.id) == {"manager:missing-d14": org.manager.email,
                                      "hr:missing-d30": org.reviewer_user.person.email}
    # the record of when it was first seen is never sent, nor listed in the outbox
    assert mailer.send_pending().get("sent", 0) >= 2
    seen = db.session.scalar(select(Notification).where(Notification.kind == "missing-seen",
                                                        Notification.person_id == org.employee.id))
    assert (seen.state, seen.due_on, seen.sent_at) == ("skipped", start, None)


def test_missing_escalation_counts_from_the_snapshot_date_when_first_scanned_late(app, org):
    """No record of when it was first seen: the snapshot's evaluation date is used."""
    factories.default_policy()
    org.employee.email = None
    db.session.commit()
    from portal.models import RequirementSnapshot
    from portal.services.compliance_snapshot import refresh_people

    refresh_people([org.employee.id], date(2026, 1, 1))
    db.session.commit()
    evaluated = db.session.scalar(select(RequirementSnapshot.evaluated_on).where(
        RequirementSnapshot.person_id == org.employee.id))
    assert evaluated == date(2026, 1, 1)
    reminders.scan(date(2026, 1, 15))  # the first scan ever, 14 days later
    assert db.session.scalar(select(Notification.recipient_email).where(
        Notification.step == "manager:missing-d14", Notification.person_id == org.employee.id)) == org.manager.email


def test_dry_run_lists_and_writes_nothing(app, org, held, runner):
    result = runner.invoke(args=["reminders", "run", "--as-of", "2026-05-31", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "employee:d30" in result.output and org.manager.email in result.output
    assert db.session.scalar(select(Notification.id).limit(1)) is None
    result = runner.invoke(args=["reminders", "run", "--as-of", "2026-05-31"])
    assert result.exit_code == 0 and "reminder/employee" in result.output


def test_optional_credential_goes_to_the_digest_when_policy_allows_and_chosen(app, org):
    factories.default_policy(allow_digest=True)
    extra = factories.credential_type("AWS Cloud Practitioner", code="AWS-CLF")
    factories.credential(org.employee, extra, expires_on=EXPIRES)
    factories.credential(org.employee, org.bls, expires_on=EXPIRES)
    org.employee.notification_channel = "digest"
    db.session.commit()
    reminders.scan(EXPIRES - timedelta(days=30))
    states = {n.credential_type_id: n.state for n in db.session.scalars(
        select(Notification).where(Notification.kind == "reminder"))}
    assert states == {extra.id: "skipped", org.bls.id: "pending"}  # the required one is always sent


def test_a_requirement_missing_again_is_a_new_episode(app, org):
    """Told and escalated from the day it went missing again, not from the
    first time (and told at all: the first episode's keys are not reused)."""
    factories.default_policy()
    db.session.commit()

    def erin_missing():
        return [(n.step, n.due_on) for n in db.session.scalars(
            select(Notification).where(Notification.kind == "missing", Notification.person_id == org.employee.id)
            .order_by(Notification.id))]

    start = date(2026, 1, 5)
    reminders.scan(start)
    reminders.scan(start + timedelta(days=14))
    assert erin_missing() == [("employee:missing", start), ("manager:missing-d14", start + timedelta(days=14))]

    credential = factories.credential(org.employee, org.bls, expires_on=date(2027, 6, 30))
    db.session.commit()
    reminders.scan(start + timedelta(days=20))  # held: the episode closes
    seen = db.session.scalars(select(Notification).where(Notification.kind == "missing-seen",
                                                         Notification.person_id == org.employee.id)).all()
    assert [n.step for n in seen] == ["closed"]

    db.session.delete(credential)  # recorded by mistake: the requirement is missing again
    db.session.commit()
    again = start + timedelta(days=40)
    reminders.scan(again)
    assert erin_missing()[2:] == [("employee:missing", again)]
    reminders.scan(again + timedelta(days=13))
    assert len(erin_missing()) == 3  # no escalation before 14 days of the new episode
    reminders.scan(again + timedelta(days=14))
    assert erin_missing()[3:] == [("manager:missing-d14", again + timedelta(days=14))]


def test_a_blip_between_scans_is_the_same_episode(app, org):
    factories.default_policy()
    db.session.commit()
    start = date(2026, 1, 5)
    reminders.scan(start)
    credential = factories.credential(org.employee, org.bls, expires_on=date(2027, 6, 30))
    db.session.commit()
    db.session.delete(credential)
    db.session.commit()
    reminders.scan(start + timedelta(days=1))
    reminders.scan(start + timedelta(days=14))
    steps = [n.step for n in db.session.scalars(select(Notification).where(
        Notification.kind == "missing", Notification.person_id == org.employee.id))]
    assert steps == ["employee:missing", "manager:missing-d14"]
