"""The forecast for a team: twelve months of expiries and projected
compliance, and the project assignments at risk.

The monthly figures are three grouped queries over the stored compliance
snapshot (its timelines say on which day each requirement lapses), whatever
the team's size; they take today's requirements as they are. The assignment risks load the
engine's facts for the people on assignments only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from sqlalchemy import and_, case, func, or_, select

from portal.extensions import db
from portal.models import Assignment, CredentialType, Person, Project, today
from portal.models import RequirementSnapshot as RS
from portal.policies.compliance import Stint, best_credential
from portal.policies.forecast import (
    AssignmentRisk,
    ForecastMonth,
    StaffedStint,
    assignment_risks,
    evaluation_dates,
    forecast,
    month_starts,
)
from portal.services import compliance
from portal.services.team import TeamScope, in_scope

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
    where = [in_scope(scope)]
    # Which forecast month each row stops being met in (its lapse day on or
    # before that month's last day), -1 for a requirement nobody holds:
    # cumulative sums of these give every month's figures in two passes.
    held_until = case((RS.credential_id.is_(None), -1), else_=_month_index(RS.lapses_on, dates))
    lapses = dict(db.session.execute(
        select(held_until, func.count()).where(*where).group_by(held_until)
    ).all())
    per_person = (
        select(func.min(held_until).label("short_from")).where(*where).group_by(RS.person_id).subquery()
    )
    people_short_from = dict(db.session.execute(
        select(per_person.c.short_from, func.count()).group_by(per_person.c.short_from)
    ).all())
    expiry_month = _month_index(RS.expires_on, dates)
    expiring = {
        (starts[index].year, starts[index].month): count for index, count in db.session.execute(
            select(expiry_month, func.count())
            .where(*where, RS.credential_id.is_not(None), RS.expires_on >= on, RS.expires_on <= dates[-1])
            .group_by(expiry_month)
        )
    }
    total = sum(lapses.values())
    people = db.session.scalar(select(func.count()).select_from(scope.person_ids.subquery())) or 0
    met_on = list(accumulate((lapses.get(i, 0) for i in range(months)), lambda met, lost: met - lost,
                             initial=total - lapses.get(-1, 0)))[1:]
    short_on = list(accumulate(people_short_from.get(i, 0) for i in range(months)))
    short_on = [short + people_short_from.get(-1, 0) for short in short_on]
    result = forecast(on, expiring, total, people, met_on=met_on, people_short_on=short_on)
    risks, risk_count = assignments_at_risk(scope, on, dates[-1], limit=risk_limit)
    return TeamForecast(scope=scope, on=on, months=result, risks=risks, risk_count=risk_count)


def _month_index(column, dates: list[date]):
    """SQL: the index of the first evaluation day on or after ``column``'s
    date (NULL when it is past the horizon or unknown)."""
    return case(*((column <= day, index) for index, day in enumerate(dates)), else_=None)


def assignments_at_risk(scope: TeamScope, on: date, horizon: date | None = None,
                        limit: int | None = None) -> tuple[list[RiskRow], int]:
    """Assignments whose project needs a credential the person lacks or that
    lapses before the assignment ends (by the horizon, the forecast's last
    day unless given): the most urgent first, up to ``limit``, and how many
    there are in all."""
    horizon = horizon or evaluation_dates(on, MONTHS)[-1]
    staffed = and_(
        Assignment.person_id.in_(scope.person_ids),
        Project.active,
        Assignment.starts_on <= horizon,
        or_(Assignment.ends_on.is_(None), Assignment.ends_on >= on),
    )
    rows = db.session.execute(
        select(Assignment.id, Assignment.person_id, Assignment.project_id, Assignment.starts_on,
               Assignment.ends_on, Person.first_name, Person.last_name, Project.code, Project.name)
        .join(Person, Person.id == Assignment.person_id)
        .join(Project, Project.id == Assignment.project_id)
        .where(staffed)
    ).all()
    if not rows:
        return [], 0
    stints = [StaffedStint(aid, pid, Stint(project_id, starts, ends))
              for aid, pid, project_id, starts, ends, *_ in rows]
    # Only the people on assignments: their credentials and projects' needs
    # (as a subquery: an organisation staffs thousands, too many for a list).
    people_staffed = select(Assignment.person_id).join(Project, Project.id == Assignment.project_id).where(staffed)
    facts = compliance.load_facts(people_staffed, on, horizon)
    project_types = {pid: [n.credential_type_id for n in needs] for pid, needs in facts.project_needs.items()}
    expiry_of = {}
    for person_id, held in facts.held.items():
        by_type: dict[int, list] = {}
        for record in held:
            by_type.setdefault(record.credential_type_id, []).append(record)
        for type_id, records in by_type.items():
            best = best_credential(records)
            expiry_of[(person_id, type_id)] = (best.credential_id, best.expires_on)
    risks = assignment_risks(stints, project_types, expiry_of, on, horizon)
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
