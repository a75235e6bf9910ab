"""The twelve-month forecast: what lapses when, if nothing is renewed.

Pure functions. The service counts, on each month's last day, the
requirements met (a date comparison on the stored compliance timelines) and
hands the counts here; assignment risks compare expiries with assignment ends.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping, Sequence

from itertools import accumulate

from portal.policies.compliance import Held, Need, Stint, Summary, best_credential
from portal.policies.dates import add_months


@dataclass(frozen=True)
class ForecastMonth:
    """One month of the forecast."""

    month: date  # the first day of the month
    expiring: int  # required credentials whose (recorded or predicted) expiry falls in the month
    percent_compliant: float  # requirements met on the month's last day, if nothing is renewed
    people_compliant: int
    people: int

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")

    @property
    def last_day(self) -> date:
        return month_end(self.month)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_starts(on: date, months: int = 12) -> list[date]:
    """The first day of ``on``'s month and of the ``months - 1`` that follow."""
    first = on.replace(day=1)
    return [add_months(first, i) for i in range(months)]


def evaluation_dates(on: date, months: int = 12) -> list[date]:
    """The day each forecast month is judged on: its last day (the first
    month too, so a credential lapsing later this month already shows)."""
    return [month_end(start) for start in month_starts(on, months)]


def forecast(
    on: date,
    expiring_by_month: Mapping[tuple[int, int], int],
    required_on: Sequence[int],
    people: int,
    met_on: Sequence[int],
    people_short_on: Sequence[int],
) -> list[ForecastMonth]:
    """The forecast months from counts judged on each month's last day (as
    ``evaluation_dates`` lists them): requirements in force, requirements met
    and people with at least one requirement unmet that day, if nothing is
    renewed.

    ``expiring_by_month[(year, month)]`` counts required credentials whose
    expiry falls in that month (from ``on``).
    """
    result = []
    months = month_starts(on, len(met_on))
    for start, required, met, short in zip(months, required_on, met_on, people_short_on):
        summary = Summary(counts={"required": required}, people=people,
                          people_compliant=people - short, valid=met)
        result.append(ForecastMonth(
            month=start,
            expiring=expiring_by_month.get((start.year, start.month), 0),
            percent_compliant=summary.percent_compliant,
            people_compliant=summary.people_compliant,
            people=people,
        ))
    return result


def cumulative_figures(total: int, lapses: Mapping[int, int], short_from: Mapping[int, int],
                       months: int) -> tuple[list[int], list[int], list[int]]:
    """Requirements in force, met and people short on each month's judging
    day, for requirements that stay as they are: ``total`` requirements,
    ``lapses[i]`` of them first unmet in month ``i`` and ``short_from[i]``
    people first short in month ``i`` (-1: already today)."""
    met_on = list(accumulate((lapses.get(i, 0) for i in range(months)), lambda met, lost: met - lost,
                             initial=total - lapses.get(-1, 0)))[1:]
    short_on = [short + short_from.get(-1, 0) for short in accumulate(short_from.get(i, 0) for i in range(months))]
    return [total] * months, met_on, short_on


def changes_within(stint: Stint, on: date, horizon: date) -> bool:
    """The assignment starts after ``on`` or ends before ``horizon``: the
    requirements it brings change within the forecast (``Assignment.changes_within``)."""
    return stint.starts_on > on or (stint.ends_on is not None and stint.ends_on < horizon)


def best_by_type(held: Iterable[Held]) -> dict[int, Held]:
    """A person's best current credential of each type they hold."""
    by_type: dict[int, list[Held]] = {}
    for record in held:
        by_type.setdefault(record.credential_type_id, []).append(record)
    return {type_id: best_credential(records) for type_id, records in by_type.items()}


@dataclass(frozen=True)
class Restaffed:
    """What the forecast needs about a person whose project assignments
    start or end within the horizon, so their requirements change."""

    role_needs: Sequence[Need]
    stints: Sequence[Stint]
    expiry_by_type: Mapping[int, date | None]  # best current credential per type; None never lapses


def restaffed_figures(
    people: Iterable[Restaffed], project_needs: Mapping[int, Sequence[Need]], dates: Sequence[date]
) -> tuple[list[int], list[int], list[int]]:
    """Requirements in force, requirements met and people short, on each of
    ``dates``, for people whose assignments change: each day's needs are
    the role's plus those of the assignments running that day (the engine's
    ``needs_on``, by type)."""
    required, met, short = [0] * len(dates), [0] * len(dates), [0] * len(dates)
    for person in people:
        role_types = {need.credential_type_id for need in person.role_needs}
        stint_types = [(stint, {need.credential_type_id for need in project_needs.get(stint.project_id, ())})
                       for stint in person.stints]
        for i, day in enumerate(dates):
            types = role_types.union(*(types for stint, types in stint_types if stint.active_on(day)))
            held = sum(1 for type_id in types if _valid_on(person.expiry_by_type, type_id, day))
            required[i] += len(types)
            met[i] += held
            short[i] += held < len(types)
    return required, met, short


def _valid_on(expiry_by_type: Mapping[int, date | None], type_id: int, day: date) -> bool:
    """Held, and not expired before ``day`` (the snapshot's valid_expression)."""
    if type_id not in expiry_by_type:
        return False
    expires = expiry_by_type[type_id]
    return expires is None or expires >= day


@dataclass(frozen=True)
class AssignmentRisk:
    """A project assignment a required credential will not last through."""

    assignment_id: int
    person_id: int
    project_id: int
    credential_type_id: int
    credential_id: int | None
    lapses_on: date | None  # first day without a valid credential; None: missing today
    ends_on: date | None  # the assignment's end (None: open-ended)

    @property
    def missing(self) -> bool:
        return self.credential_id is None


@dataclass(frozen=True)
class StaffedStint:
    """An assignment with its id and person, for risk checks."""

    assignment_id: int
    person_id: int
    stint: Stint


def assignment_risks(
    stints: Iterable[StaffedStint],
    project_types: Mapping[int, Iterable[int]],
    expiry_of: Mapping[tuple[int, int], tuple[int, date | None]],
    on: date,
    horizon: date,
) -> list[AssignmentRisk]:
    """Assignments running past ``on`` where a credential their project
    requires is missing or lapses before the assignment ends (open-ended ones
    are judged up to ``horizon``).

    ``expiry_of[(person_id, type_id)]`` is the best current credential's
    ``(credential_id, expires_on)``; ``expires_on`` None never lapses.
    """
    risks = []
    for staffed in stints:
        stint = staffed.stint
        if stint.ends_on is not None and stint.ends_on < on:
            continue
        until = min(stint.ends_on, horizon) if stint.ends_on else horizon
        for type_id in project_types.get(stint.project_id, ()):
            held = expiry_of.get((staffed.person_id, type_id))
            if held is None:
                risks.append(AssignmentRisk(staffed.assignment_id, staffed.person_id, stint.project_id,
                                            type_id, None, None, stint.ends_on))
                continue
            credential_id, expires = held
            if expires is not None and expires < until:
                risks.append(AssignmentRisk(staffed.assignment_id, staffed.person_id, stint.project_id,
                                            type_id, credential_id, expires + timedelta(days=1),
                                            stint.ends_on))
    risks.sort(key=risk_order)
    return risks


def risk_order(risk: AssignmentRisk) -> tuple:
    """The most urgent first: missing credentials, then by lapse day (then
    person, assignment and type, so the order is the same however read)."""
    return (risk.lapses_on is not None, risk.lapses_on or date.min, risk.person_id, risk.assignment_id,
            risk.credential_type_id)


def staffing_risks(
    staffed: Iterable[StaffedStint],
    project_needs: Mapping[int, Sequence[Need]],
    best: Mapping[int, Mapping[int, Held]],
    on: date,
    horizon: date,
) -> list[AssignmentRisk]:
    """``assignment_risks`` from the engine's facts: each project's needs
    and each person's best current credential per type (``best_by_type``)."""
    staffed = list(staffed)
    project_types = {project_id: [need.credential_type_id for need in needs]
                     for project_id, needs in project_needs.items()}
    expiry_of = {}
    for one in staffed:
        held = best.get(one.person_id, {})
        for type_id in project_types.get(one.stint.project_id, ()):
            if type_id in held:
                expiry_of[(one.person_id, type_id)] = (held[type_id].credential_id, held[type_id].expires_on)
    return assignment_risks(staffed, project_types, expiry_of, on, horizon)
