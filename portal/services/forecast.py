"""The forecast for a team: twelve months of expiries and projected
compliance, and the project assignments at risk.

The monthly figures are two aggregate queries over the stored compliance
snapshot (its timelines say on which day each requirement lapses); they
take today's requirements as they are. The assignment risks load the
engine's facts for the people on assignments only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, extract, func, or_, select

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
)
from portal.services import compliance
from portal.services.compliance_snapshot import valid_expression
from portal.services.team import TeamScope

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
    risks: list[RiskRow]

    @property
    def horizon(self) -> date:
        return self.months[-1].last_day if self.months else self.on

    def chart_data(self) -> dict:
        return {
            "labels": [m.label for m in self.months],
            "expiring": [m.expiring for m in self.months],
            "compliance": [m.percent_compliant for m in self.months],
        }


def team_forecast(scope: TeamScope, on: date | None = None, months: int = MONTHS) -> TeamForecast:
    on = on or today()
    dates = evaluation_dates(on, months)
    in_scope = RS.person_id.in_(scope.person_ids)
    columns = []
    for day in dates:
        valid = valid_expression(day)
        columns.append(func.sum(case((valid, 1), else_=0)))
        columns.append(func.count(func.distinct(case((~valid, RS.person_id)))))
    total, *figures = db.session.execute(select(func.count(), *columns).where(in_scope)).one()
    people = db.session.scalar(select(func.count()).select_from(scope.person_ids.subquery())) or 0
    year, month = extract("year", RS.expires_on), extract("month", RS.expires_on)
    expiring = {
        (int(y), int(m)): n for y, m, n in db.session.execute(
            select(year, month, func.count())
            .where(in_scope, RS.credential_id.is_not(None), RS.expires_on >= on, RS.expires_on <= dates[-1])
            .group_by(year, month)
        )
    }
    result = forecast(on, expiring, total, people,
                      met_on=[m or 0 for m in figures[0::2]], people_short_on=[s or 0 for s in figures[1::2]])
    return TeamForecast(scope=scope, on=on, months=result, risks=_risks(scope, on, dates[-1]))


def _risks(scope: TeamScope, on: date, horizon: date) -> list[RiskRow]:
    rows = db.session.execute(
        select(Assignment.id, Assignment.person_id, Assignment.project_id, Assignment.starts_on,
               Assignment.ends_on, Person.first_name, Person.last_name, Project.code, Project.name)
        .join(Person, Person.id == Assignment.person_id)
        .join(Project, Project.id == Assignment.project_id)
        .where(
            Assignment.person_id.in_(scope.person_ids),
            Project.active,
            Assignment.starts_on <= horizon,
            or_(Assignment.ends_on.is_(None), Assignment.ends_on >= on),
        )
    ).all()
    stints = [StaffedStint(aid, pid, Stint(project_id, starts, ends))
              for aid, pid, project_id, starts, ends, *_ in rows]
    # Only the people on assignments: their credentials and projects' needs.
    facts = compliance.load_facts(sorted({s.person_id for s in stints}), on, horizon)
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
    if not risks:
        return []
    names = {aid: (f"{first} {last}", code, name) for aid, _, _, _, _, first, last, code, name in rows}
    type_names = dict(db.session.execute(
        select(CredentialType.id, CredentialType.name)
        .where(CredentialType.id.in_({r.credential_type_id for r in risks}))
    ).all())
    return [RiskRow(r, names[r.assignment_id][0], names[r.assignment_id][1], names[r.assignment_id][2],
                    type_names.get(r.credential_type_id, "?")) for r in risks]
