"""Keep the compliance roll-ups current, and read them.

Each active person has one roll-up row (their tally, ``portal.policies.rollup``)
and each department, and the organisation as a whole, one tally: the sum
of its people's. ``compliance_snapshot.refresh_people`` calls ``apply`` with
the snapshot rows it has just written, in the same transaction as the
commit hook that triggered it, so a department's tally moves by exactly the
people who changed; each person's assignments at risk (``StaffingRisk``)
are replaced with their roll-up. Tallies are judged on one day: the first refresh after
midnight cannot add today's figures to yesterday's, so it marks the tallies
stale and pages read the snapshot rows until the nightly job rebuilds them
(``rebuild_tallies``, or ``rebuild`` from the snapshot alone).
"""
from __future__ import annotations

from datetime import date
from typing import Iterable, Mapping, Sequence

from sqlalchemy import delete, select

from portal.database import note_bulk_write, settled_ids
from portal.extensions import db
from portal.models import (
    Assignment,
    ComplianceTally,
    Credential,
    Person,
    PersonCompliance,
    Project,
    RequirementSnapshot,
    StaffingRisk,
    today,
)
from portal.policies.forecast import (
    AssignmentRisk,
    Restaffed,
    best_by_type,
    changes_within,
    evaluation_dates,
    restaffed_figures,
    staffing_risks,
)
from portal.policies.compliance import Status
from portal.policies.recommendations import needs_renewal
from portal.policies.rollup import (
    FORECAST_MONTHS,
    combine,
    empty_tally,
    person_tally,
    row_state,
    state_bits,
    worst_rank,
)
from portal.services.compliance import Facts, load_facts
from portal.services.renewal_slack import Slack, renewal_slack

ORGANISATION = -1
NO_DEPARTMENT = 0
ROW_FIELDS = ("credential_type_id", "credential_id", "expires_on", "pending", "warn_from", "lapses_on", "expired_from")
COMPLIANT = str(Status.COMPLIANT)


def department_key(department_id: int | None) -> int:
    return NO_DEPARTMENT if department_id is None else department_id


def _renew_late(rows: list[Mapping], on: date, slack: Slack) -> int:
    """How many of these rows are compliant on ``on`` yet on the renew-now
    list (``recommendations.recommend``): too little slack left."""
    return sum(1 for row in rows
               if row["credential_id"] is not None and row["expires_on"] is not None
               and row_state(row, on) == COMPLIANT and row["credential_type_id"] in slack.types
               and needs_renewal(Status.COMPLIANT, slack(row["credential_type_id"], row["credential_id"],
                                                         (row["expires_on"] - on).days)))


def _person_row(person_id: int, department_id: int | None, rows: Iterable[Mapping], on: date,
                restaffed: Sequence[list[int]] | None, slack: Slack) -> dict:
    rows = list(rows)
    tally = person_tally(rows, on, restaffed, _renew_late(rows, on, slack))
    expiries = [r["expires_on"] for r in rows if r["credential_id"] is not None and r["expires_on"] is not None]
    first_expiry = min(expiries, default=None)
    return {"person_id": person_id, "department_key": department_key(department_id), "as_of": on,
            "worst_rank": worst_rank(tally), "first_expiry": first_expiry, "expiry_unknown": first_expiry is None,
            "states": state_bits(tally), "tally": tally}


def apply(person_ids: list[int], rows_by_person: Mapping[int, list[Mapping]], on: date,
          tallies: bool = True, restaffed: Mapping[int, Sequence[list[int]]] | None = None,
          risks: Mapping[int, Sequence[AssignmentRisk]] | None = None, slack: Slack | None = None) -> None:
    """Replace these people's roll-ups (active people: those in
    ``rows_by_person``) and their assignments at risk (``risks_of``), and
    move their departments' tallies by the change. ``restaffed`` has the
    forecast figures of those whose assignments change within the forecast
    (``restaffed_figures_of``); ``slack``, the renew-now rule (read here
    unless a caller writing several batches read it once)."""
    restaffed = restaffed or {}
    risks = risks or {}
    departments = dict(db.session.execute(
        select(Person.id, Person.department_id).where(Person.id.in_(list(rows_by_person)))
    ).all()) if rows_by_person else {}
    old = db.session.execute(
        select(PersonCompliance.department_key, PersonCompliance.as_of, PersonCompliance.tally)
        .where(PersonCompliance.person_id.in_(person_ids))
    ).all() if tallies else []
    db.session.execute(delete(PersonCompliance).where(PersonCompliance.person_id.in_(person_ids)))
    db.session.execute(delete(StaffingRisk).where(StaffingRisk.person_id.in_(person_ids)))
    # The renew-now rule's slack: each type's lead and the CE hours logged
    # against these people's credentials.
    slack = slack or renewal_slack()
    if rows_by_person:
        slack.log(select(Credential.id).where(Credential.person_id.in_(list(rows_by_person))))
    new = [_person_row(pid, departments.get(pid), rows, on, restaffed.get(pid), slack)
           for pid, rows in rows_by_person.items()]
    if new:
        db.session.execute(PersonCompliance.__table__.insert(), new)
        # The urgency sorts need the planner to know the new rows.
        note_bulk_write(PersonCompliance.__tablename__, len(new))
    at_risk = [{"person_id": risk.person_id, "department_key": department_key(departments.get(risk.person_id)),
                "assignment_id": risk.assignment_id, "project_id": risk.project_id,
                "credential_type_id": risk.credential_type_id, "credential_id": risk.credential_id,
                "lapses_on": risk.lapses_on, "ends_on": risk.ends_on}
               for pid in rows_by_person for risk in risks.get(pid, ())]
    if at_risk:
        db.session.execute(StaffingRisk.__table__.insert(), at_risk)
        note_bulk_write(StaffingRisk.__tablename__, len(at_risk))
    if tallies:
        _move_tallies(old, new, on)


def _move_tallies(old: list, new: list[dict], on: date) -> None:
    deltas: dict[int, dict] = {}
    consistent: dict[int, bool] = {}
    for key, as_of, tally, sign in ([(r.department_key, r.as_of, r.tally, -1) for r in old]
                                    + [(r["department_key"], r["as_of"], r["tally"], 1) for r in new]):
        for target in (key, ORGANISATION):
            combine(deltas.setdefault(target, empty_tally()), tally, sign)
            consistent[target] = consistent.get(target, True) and as_of == on
    if not deltas:
        return
    stored = {t.department_key: t for t in db.session.scalars(
        select(ComplianceTally).where(ComplianceTally.department_key.in_(list(deltas))).with_for_update()
    )}
    if ORGANISATION not in stored:
        return  # never built: nothing to keep current until the first rebuild
    for key, delta in deltas.items():
        tally = stored.get(key)
        if tally is None:
            # A department's first person: its tally starts from nothing.
            db.session.add(ComplianceTally(department_key=key, as_of=on if consistent[key] else None,
                                           tally=delta))
        elif tally.as_of == on and consistent[key]:
            tally.tally = combine(_copy(tally.tally), delta)
        else:
            tally.as_of = None
    if any(t.as_of is None for t in stored.values()) or not all(consistent.values()):
        stored[ORGANISATION].as_of = None


def _copy(tally: dict) -> dict:
    # A fresh object, so the ORM sees the JSON column change.
    return combine(empty_tally(), tally)


def rebuild_tallies(on: date | None = None) -> int:
    """Sum every person's roll-up into the department and organisation
    tallies (after ``refresh_everyone`` has judged everyone on ``on``).
    Returns the number of people summed."""
    on = on or today()
    sums: dict[int, dict] = {ORGANISATION: empty_tally()}
    stale: set[int] = set()
    people = 0
    for key, as_of, tally in db.session.execute(
        select(PersonCompliance.department_key, PersonCompliance.as_of, PersonCompliance.tally)
    ).yield_per(5000):
        combine(sums.setdefault(key, empty_tally()), tally)
        combine(sums[ORGANISATION], tally)
        if as_of != on:
            stale.update((key, ORGANISATION))
        people += 1
    db.session.execute(delete(ComplianceTally))
    db.session.execute(ComplianceTally.__table__.insert(), [
        {"department_key": key, "as_of": None if key in stale else on, "tally": tally} for key, tally in sums.items()
    ])
    return people


def forecast_horizon(on: date) -> date:
    """The forecast's last judging day (assignments are read up to it)."""
    return evaluation_dates(on, FORECAST_MONTHS)[-1]


def restaffed_figures_of(facts: Facts, on: date) -> dict[int, tuple[list[int], list[int], list[int]]]:
    """The forecast figures, month by month from the engine's facts, of the
    people in ``facts`` whose assignments start or end within the forecast
    (facts loaded with assignments up to ``forecast_horizon(on)``)."""
    dates = evaluation_dates(on, FORECAST_MONTHS)
    out = {}
    for person_id, role_id in facts.job_roles.items():
        stints = facts.stints.get(person_id, ())
        if not any(changes_within(stint, on, dates[-1]) for stint in stints):
            continue
        person = Restaffed(
            role_needs=facts.role_needs.get(role_id, ()),
            stints=stints,
            expiry_by_type={type_id: best.expires_on
                            for type_id, best in best_by_type(facts.held.get(person_id, ())).items()},
        )
        out[person_id] = restaffed_figures([person], facts.project_needs, dates)
    return out


def risks_of(facts: Facts, on: date) -> dict[int, list[AssignmentRisk]]:
    """The assignments at risk of each active person in ``facts`` (facts
    loaded with assignments up to ``forecast_horizon(on)``), as the
    forecast lists them."""
    horizon = forecast_horizon(on)
    out = {}
    for person_id in facts.job_roles:
        staffed = facts.staffed.get(person_id)
        if staffed:
            best = {person_id: best_by_type(facts.held.get(person_id, ()))}
            found = staffing_risks(staffed, facts.project_needs, best, on, horizon)
            if found:
                out[person_id] = found
    return out


def rebuild(on: date | None = None) -> int:
    """Rebuild every roll-up from the stored snapshot (no engine run, but
    for the forecast figures and assignments at risk of people on
    assignments): each active person's rows on ``on``, then the tallies."""
    on = on or today()
    RS = RequirementSnapshot
    active = select(Person.id).where(Person.active)
    rows_by_person: dict[int, list] = {pid: [] for pid in db.session.scalars(active)}
    for row in db.session.execute(
        select(RS.person_id, *(getattr(RS, f) for f in ROW_FIELDS)).where(RS.person_id.in_(active))
    ).yield_per(20000):
        rows_by_person[row.person_id].append(row._mapping)
    horizon = forecast_horizon(on)
    staffed = (select(Assignment.person_id).join(Project, Project.id == Assignment.project_id)
               .where(Project.active, Assignment.overlapping(on, horizon)))
    facts = load_facts(settled_ids(staffed.distinct()), on, horizon)
    restaffed, risks = restaffed_figures_of(facts, on), risks_of(facts, on)
    db.session.execute(delete(PersonCompliance))
    db.session.execute(delete(StaffingRisk))
    ids = list(rows_by_person)
    slack = renewal_slack()
    for start in range(0, len(ids), 2000):
        batch = ids[start:start + 2000]
        apply(batch, {pid: rows_by_person[pid] for pid in batch}, on, tallies=False, restaffed=restaffed,
              risks=risks, slack=slack)
    return rebuild_tallies(on)


def tally_for(department_id: int | None, on: date, whole_org: bool) -> dict | None:
    """The organisation's (or one department's) tally judged on ``on``, or
    None when it is not current for that day (read the snapshot instead)."""
    if not whole_org and department_id is None:
        return None
    keys = [ORGANISATION] if whole_org else [ORGANISATION, department_key(department_id)]
    stored = {key: (as_of, tally) for key, as_of, tally in db.session.execute(
        select(ComplianceTally.department_key, ComplianceTally.as_of, ComplianceTally.tally)
        .where(ComplianceTally.department_key.in_(keys))
    )}
    organisation = stored.get(ORGANISATION)
    if organisation is None or organisation[0] != on:
        return None
    if whole_org:
        return organisation[1]
    department = stored.get(department_key(department_id))
    if department is None:
        return empty_tally()  # a department nobody active belongs to
    return department[1] if department[0] == on else None
