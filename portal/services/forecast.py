"""The forecast for a team: twelve months of expiries and projected
compliance, and the project assignments at risk.

The monthly figures come from the stored compliance snapshot (its timelines
say on which day each requirement lapses) in grouped queries whatever the
team's size, for everyone whose requirements stay as they are today; people
with a project assignment starting or ending within the twelve months are
evaluated month by month from the engine's facts instead, so a requirement
counts only while the assignment needing it runs. Those facts are loaded
once, for the people on assignments only, and serve the assignment risks
too. The organisation and a department read all of it from their roll-up
(``portal.services.compliance_rollup``, which judges the people whose
assignments change as it writes their tally, and keeps each person's
assignments at risk beside it as ``StaffingRisk`` rows): no one's facts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from portal.database import settled_ids
from portal.extensions import db
from portal.models import Assignment, CredentialType, Person, Project, StaffingRisk, today
from portal.models import RequirementSnapshot as RS
from portal.policies.compliance import Held, Stint
from portal.policies.forecast import (
    AssignmentRisk,
    ForecastMonth,
    Restaffed,
    StaffedStint,
    best_by_type,
    cumulative_figures,
    evaluation_dates,
    forecast,
    month_starts,
    restaffed_figures,
    staffing_risks,
)
from portal.services import compliance, compliance_rollup
from portal.policies.rollup import FORECAST_MONTHS
from portal.services.team import TeamScope, in_scope, scope_tally

MONTHS = 12


@dataclass(frozen=True)
class RiskRow:
    risk: AssignmentRisk
    person_name: str
    project_code: str
    project_name: str
    credential_type_name: str


@dataclass
class TeamForecast:
    scope: TeamScope
    on: date
    months: list[ForecastMonth]
    risks: list[RiskRow]  # the most urgent first, up to the limit asked for
    risk_count: int  # all assignments at risk

    @property
    def risks_cut(self) -> bool:
        return self.risk_count > len(self.risks)

    @property
    def horizon(self) -> date:
        return self.months[-1].last_day if self.months else self.on

    def chart_data(self) -> dict:
        return {
            "labels": [m.label for m in self.months],
            "expiring": [m.expiring for m in self.months],
            "compliance": [m.percent_compliant for m in self.months],
        }


def team_forecast(scope: TeamScope, on: date | None = None, months: int = MONTHS,
                  risk_limit: int | None = None) -> TeamForecast:
    on = on or today()
    dates = evaluation_dates(on, months)
    starts = month_starts(on, months)
    tally = scope_tally(scope, on) if months == FORECAST_MONTHS else None
    if tally is not None:
        # The scope's roll-up holds the figures of everyone in it, the people
        # whose assignments change included (judged by the engine as they
        # were rolled up).
        figures = tally["forecast"]
        required_on, met_on, short_on = figures["required"], figures["met"], figures["short"]
        expiring = {(starts[i].year, starts[i].month): n for i, n in enumerate(tally["expiring"]) if n}
        people = tally["people"]
        staffing = None
    else:
        staffing = load_staffing(scope, on, dates[-1])
        restaffed = _restaffed_people(scope, on, dates[-1])
        # NOT EXISTS, not NOT IN: PostgreSQL scans every snapshot row for the
        # hashed NOT IN, where the correlated form keeps to the scope's rows.
        steadily = ~exists(restaffed.where(Assignment.person_id == RS.person_id))
        steady = _steady_figures([in_scope(scope), steadily], dates)
        changing = _restaffed_figures(staffing, set(db.session.scalars(restaffed)), dates)
        required_on, met_on, short_on = ([a + b for a, b in zip(x, y)] for x, y in zip(steady, changing))
        expiry_month = _month_index(RS.expires_on, dates)
        expiring = {
            (starts[index].year, starts[index].month): count for index, count in db.session.execute(
                select(expiry_month, func.count())
                .where(in_scope(scope), RS.credential_id.is_not(None), RS.expires_on >= on,
                       RS.expires_on <= dates[-1])
                .group_by(expiry_month)
            )
        }
        people = db.session.scalar(select(func.count()).select_from(scope.person_ids.subquery())) or 0
    result = forecast(on, expiring, required_on, people, met_on=met_on, people_short_on=short_on)
    risks, risk_count = assignments_at_risk(scope, on, dates[-1], limit=risk_limit, staffing=staffing)
    return TeamForecast(scope=scope, on=on, months=result, risks=risks, risk_count=risk_count)


def _restaffed_people(scope: TeamScope, on: date, horizon: date) -> Select:
    """People in scope with an assignment starting or ending before the
    horizon: their requirements change, so today's snapshot cannot speak
    for the months ahead."""
    return (
        select(Assignment.person_id)
        .join(Project, Project.id == Assignment.project_id)
        .where(_staffed_between(scope, on, horizon), Assignment.changes_within(on, horizon))
        .distinct()
    )


def _steady_figures(where: list, dates: list[date]) -> tuple[list[int], list[int], list[int]]:
    """Requirements in force, met, and people short on each day, for people
    whose requirements stay as the snapshot has them: two grouped passes.

    Each row is grouped by the forecast month it stops being met in (its
    lapse day on or before that month's last day; -1 for a requirement
    nobody holds), each person by the first such month of any of their
    rows; cumulative sums give every month.
    """
    held_until = case((RS.credential_id.is_(None), -1), else_=_month_index(RS.lapses_on, dates))
    lapses = dict(db.session.execute(
        select(held_until, func.count()).where(*where).group_by(held_until)
    ).all())
    # Only rows unmet by the horizon can make a person short.
    unmet = or_(RS.credential_id.is_(None), RS.lapses_on <= dates[-1])
    per_person = (
        select(func.min(held_until).label("short_from")).where(*where, unmet).group_by(RS.person_id).subquery()
    )
    short_from = dict(db.session.execute(
        select(per_person.c.short_from, func.count()).group_by(per_person.c.short_from)
    ).all())
    return cumulative_figures(sum(lapses.values()), lapses, short_from, len(dates))


def _restaffed_figures(staffing: Staffing, person_ids: set[int], dates: list[date]):
    """The same figures for people whose assignments change, from the
    engine's facts: each month's requirements follow the assignments
    running on its last day."""
    facts = staffing.facts
    people = [
        Restaffed(
            role_needs=facts.role_needs.get(facts.job_roles[person_id], ()),
            stints=facts.stints.get(person_id, ()),
            expiry_by_type={type_id: best.expires_on for type_id, best in staffing.best.get(person_id, {}).items()},
        )
        for person_id in person_ids if person_id in facts.job_roles
    ]
    return restaffed_figures(people, facts.project_needs, dates)


@dataclass
class Staffing:
    """People in scope on assignments within the forecast window: the
    engine's facts about them and their best current credential per type."""

    facts: compliance.Facts
    best: dict[int, dict[int, Held]]


def load_staffing(scope: TeamScope, on: date, horizon: date) -> Staffing:
    staffed = (
        select(Assignment.person_id)
        .join(Project, Project.id == Assignment.project_id)
        .where(_staffed_between(scope, on, horizon))
        .distinct()
    )
    facts = compliance.load_facts(settled_ids(staffed), on, horizon)
    return Staffing(facts, {person_id: best_by_type(held) for person_id, held in facts.held.items()})


def _staffed_between(scope: TeamScope, on: date, horizon: date):
    # The whole organisation is every active person: one probe of the person
    # per assignment, not the organisation's ids gathered first.
    # (An alias: the at-risk list joins the person for their name too.)
    person = aliased(Person)
    staffed = exists().where(person.id == Assignment.person_id, person.active) if scope.whole_org \
        else Assignment.person_id.in_(scope.person_ids)
    return and_(
        staffed,
        Project.active,
        Assignment.overlapping(on, horizon),
    )


def _month_index(column, dates: list[date]):
    """SQL: the index of the first evaluation day on or after ``column``'s
    date (NULL when it is past the horizon or unknown; most rows are, so
    that is asked first)."""
    return case((or_(column.is_(None), column > dates[-1]), None),
                *((column <= day, index) for index, day in enumerate(dates)), else_=None)


def assignments_at_risk(scope: TeamScope, on: date, horizon: date | None = None, limit: int | None = None,
                        staffing: Staffing | None = None) -> tuple[list[RiskRow], int]:
    """Assignments whose project needs a credential the person lacks or that
    lapses before the assignment ends (by the horizon, the forecast's last
    day unless given): the most urgent first, up to ``limit``, and how many
    there are in all. The organisation and a department read them from
    their roll-up when it is current for ``on``."""
    horizon = horizon or evaluation_dates(on, MONTHS)[-1]
    if staffing is None and horizon == compliance_rollup.forecast_horizon(on) and scope_tally(scope, on) is not None:
        return _rolled_up_risks(scope, limit)
    rows = db.session.execute(
        select(Assignment.id, Assignment.person_id, Assignment.project_id, Assignment.starts_on,
               Assignment.ends_on, Person.first_name, Person.last_name, Project.code, Project.name)
        .join(Person, Person.id == Assignment.person_id)
        .join(Project, Project.id == Assignment.project_id)
        .where(_staffed_between(scope, on, horizon))
    ).all()
    if not rows:
        return [], 0
    stints = [StaffedStint(aid, pid, Stint(project_id, starts, ends))
              for aid, pid, project_id, starts, ends, *_ in rows]
    staffing = staffing or load_staffing(scope, on, horizon)
    risks = staffing_risks(stints, staffing.facts.project_needs, staffing.best, on, horizon)
    total = len(risks)
    if limit is not None:
        risks = risks[:limit]
    if not risks:
        return [], total
    names = {aid: (f"{first} {last}", code, name) for aid, _, _, _, _, first, last, code, name in rows}
    type_names = dict(db.session.execute(
        select(CredentialType.id, CredentialType.name)
        .where(CredentialType.id.in_({r.credential_type_id for r in risks}))
    ).all())
    return [RiskRow(r, names[r.assignment_id][0], names[r.assignment_id][1], names[r.assignment_id][2],
                    type_names.get(r.credential_type_id, "?")) for r in risks], total


def _in_risk_order(columns) -> tuple:
    """``policies.forecast.risk_order`` in SQL, over a table's or a subquery's columns."""
    return (columns.lapses_on.is_not(None), columns.lapses_on, columns.person_id, columns.assignment_id,
            columns.credential_type_id)


def _rolled_up_risks(scope: TeamScope, limit: int | None) -> tuple[list[RiskRow], int]:
    """The organisation's (a department's) assignments at risk as their
    people's roll-ups hold them, in ``risk_order``: a count and one page."""
    SR = StaffingRisk
    where = [] if scope.whole_org else [SR.department_key == compliance_rollup.department_key(scope.department.id)]
    total = db.session.scalar(select(func.count()).select_from(SR).where(*where)) or 0
    if not total:
        return [], 0
    # The page first, then its names: joined before the limit, a planner
    # without statistics for the new rows walks every person instead.
    page = select(SR).where(*where).order_by(*_in_risk_order(SR.__table__.c))
    if limit is not None:
        page = page.limit(limit)
    page = page.subquery()
    query = (
        select(page, Person.first_name, Person.last_name, Project.code, Project.name,
               CredentialType.name.label("type_name"))
        .join(Person, Person.id == page.c.person_id)
        .join(Project, Project.id == page.c.project_id)
        .join(CredentialType, CredentialType.id == page.c.credential_type_id)
        .order_by(*_in_risk_order(page.c))
    )
    return [RiskRow(AssignmentRisk(r.assignment_id, r.person_id, r.project_id, r.credential_type_id, r.credential_id,
                                   r.lapses_on, r.ends_on),
                    f"{r.first_name} {r.last_name}", r.code, r.name, r.type_name)
            for r in db.session.execute(query)], total
