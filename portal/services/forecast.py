"""The forecast for a team: twelve months of expiries and projected
compliance, and the project assignments at risk.

One ``load_facts`` covers the whole horizon; the engine then runs on each
month's last day without going back to the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from portal.extensions import db
from portal.models import Assignment, CredentialType, Person, Project, today
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
    horizon = dates[-1]
    facts = compliance.load_facts(scope.person_ids, on, horizon)
    states_by_date = {day: facts.states_on(day) for day in dates}
    return TeamForecast(scope=scope, on=on, months=forecast(states_by_date, on, months),
                        risks=_risks(scope, facts, on, horizon))


def _risks(scope: TeamScope, facts: compliance.Facts, on: date, horizon: date) -> list[RiskRow]:
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
