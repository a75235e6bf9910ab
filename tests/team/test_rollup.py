"""The organisation's and departments' stored roll-ups give the same pages
as reading every snapshot row: headline, matrix (every sort, state filter
and page) and forecast; they stay current through ordinary commits and
rebuild from the snapshot alone; on a day they were not judged on they
are not read."""
from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from portal.extensions import db
from portal.models import ComplianceTally, Credential, PersonCompliance, today
from portal.services import compliance_rollup
from portal.services import forecast as forecast_service
from portal.services import team as team_service
from portal.services.compliance_snapshot import refresh_everyone
from tests.support import factories

DAYS_AHEAD = (0, 25, 120)


@pytest.fixture
def spread_org(org, grow_team):
    """The org with a team in every state, a second department and someone
    without a department."""
    people = grow_team(13)
    factories.document(people[2], credential_type_id=org.bls.id)
    other = factories.department("Theatres")
    for i, expires in enumerate((today() + timedelta(days=10), today() - timedelta(days=3), None)):
        person = factories.person("Theatre", f"T{i}", department=other if i < 2 else None, job_role=org.role)
        if expires is not None:
            factories.credential(person, org.bls, expires_on=expires)
    db.session.commit()
    return other


def _pages(scope, on, flt=team_service.MatrixFilter(), page_size=4):
    matrix = team_service.build_matrix(scope, flt, on=on, page_size=page_size)
    return (matrix.headline, matrix.matching, matrix.pages, [(r.person_id, r.cells) for r in matrix.rows],
            [c.id for c in matrix.all_columns])


def _read_rows(scope, on, read):
    """``read()`` with the roll-ups in place, and again with them gone."""
    assert team_service.scope_tally(scope, on) is not None
    rolled = read()
    saved = [(t.department_key, t.as_of, t.tally) for t in db.session.scalars(select(ComplianceTally))]
    db.session.execute(delete(ComplianceTally))
    assert team_service.scope_tally(scope, on) is None
    from_rows = read()
    db.session.execute(ComplianceTally.__table__.insert(),
                       [{"department_key": k, "as_of": a, "tally": t} for k, a, t in saved])
    return rolled, from_rows


@pytest.mark.parametrize("days", DAYS_AHEAD)
@pytest.mark.parametrize("sort", sorted(team_service.SORTS))
@pytest.mark.parametrize("state", [None, "expired", "missing", "expiring", "compliant", "pending_review"])
def test_organisation_matrix_from_the_roll_up_equals_the_rows(org, spread_org, sort, state, days):
    on = today() + timedelta(days=days)
    compliance_rollup.rebuild(on)
    scope = team_service.resolve_scope(org.compliance_user)
    assert scope.whole_org
    for page in (1, 2, 9):
        flt = team_service.MatrixFilter(state=state, sort=sort, page=page)
        rolled, from_rows = _read_rows(scope, on, lambda: _pages(scope, on, flt))
        assert rolled == from_rows


@pytest.mark.parametrize("days", DAYS_AHEAD)
def test_department_pages_from_the_roll_up_equal_the_rows(org, spread_org, days):
    on = today() + timedelta(days=days)
    compliance_rollup.rebuild(on)
    for department in (org.department, spread_org):
        scope = team_service.resolve_scope(org.compliance_user, department_id=department.id)
        rolled, from_rows = _read_rows(scope, on, lambda: _pages(scope, on, page_size=50))
        assert rolled == from_rows
        assert rolled[1] > 0


@pytest.mark.parametrize("days", DAYS_AHEAD)
def test_organisation_forecast_from_the_roll_up_equals_the_rows(org, spread_org, days):
    on = today() + timedelta(days=days)
    compliance_rollup.rebuild(on)
    scope = team_service.resolve_scope(org.compliance_user)

    def read():
        result = forecast_service.team_forecast(scope, on=on, risk_limit=2)
        return [asdict(m) for m in result.months], result.risk_count, [
            (asdict(r.risk), r.person_name, r.project_code, r.credential_type_name) for r in result.risks]

    rolled, from_rows = _read_rows(scope, on, read)
    assert rolled == from_rows
    assert any(m["expiring"] for m in rolled[0])


def _tallies():
    return {t.department_key: (t.as_of, t.tally) for t in db.session.scalars(select(ComplianceTally))}


def test_commits_keep_the_tallies_equal_to_a_rebuild(org, spread_org):
    refresh_everyone()
    db.session.commit()
    # An expiry moved, a credential removed, a person moved to another
    # department, one made inactive, one new: each through the session hook.
    cred = db.session.scalars(select(Credential).where(Credential.expires_on > today() + timedelta(days=300))).first()
    cred.expires_on = today() + timedelta(days=5)
    db.session.commit()
    db.session.delete(db.session.scalars(select(Credential).where(Credential.expires_on < today())).first())
    db.session.commit()
    org.employee.department_id = spread_org.id
    db.session.commit()
    org.manager.active = False
    db.session.commit()
    factories.person("Newcomer", "N", department=spread_org, job_role=org.role)
    db.session.commit()

    kept = _tallies()
    assert kept[compliance_rollup.ORGANISATION][0] == today()
    people = {row.person_id: row.tally for row in db.session.scalars(select(PersonCompliance))}
    compliance_rollup.rebuild()
    assert _tallies() == kept
    assert {row.person_id: row.tally for row in db.session.scalars(select(PersonCompliance))} == people
    assert org.manager.id not in people


def test_a_refresh_judged_on_another_day_marks_the_tallies_stale(org, spread_org):
    refresh_everyone()
    db.session.commit()
    scope = team_service.resolve_scope(org.compliance_user)
    assert team_service.scope_tally(scope, today()) is not None
    from portal.services.compliance_snapshot import refresh_people

    refresh_people([org.employee.id], on=today() + timedelta(days=1))
    db.session.commit()
    assert team_service.scope_tally(scope, today()) is None
    assert team_service.scope_tally(scope, today() + timedelta(days=1)) is None
    assert compliance_rollup.rebuild_tallies() > 0  # mixed days: still stale until everyone is judged again
    assert team_service.scope_tally(scope, today()) is None
    refresh_everyone()
    assert team_service.scope_tally(scope, today()) is not None


def test_never_built_roll_ups_are_not_read(org, spread_org):
    scope = team_service.resolve_scope(org.compliance_user)
    assert team_service.scope_tally(scope, today()) is None
    assert not db.session.scalars(select(ComplianceTally)).all()


def test_assignments_committed_through_the_hook_keep_the_forecast_equal_to_the_rows(org, spread_org):
    """Someone starting on a project next month (a credential they lack
    becomes required), someone leaving theirs before the horizon and an
    open-ended one, each committed through the session hook: the roll-up's
    forecast, judged by the engine for them, equals reading the rows."""
    refresh_everyone()
    db.session.commit()
    project = factories.project(code="THEATRE", name="Theatre cover")
    needed = factories.credential_type("Scrub Practitioner", code="SCRUB")
    factories.requirement(needed, project=project)
    db.session.commit()
    starter, leaver, staying = factories.person("Starter", "S", department=spread_org, job_role=org.role), \
        org.employee, factories.person("Staying", "O", department=org.department, job_role=org.role)
    factories.credential(leaver, needed, expires_on=today() + timedelta(days=70))
    db.session.commit()
    factories.assignment(project, starter, starts_on=today() + timedelta(days=35))
    factories.assignment(project, leaver, starts_on=today() - timedelta(days=10), ends_on=today() + timedelta(days=90))
    factories.assignment(project, staying, starts_on=today() - timedelta(days=1))
    db.session.commit()
    scope = team_service.resolve_scope(org.compliance_user)
    department = team_service.resolve_scope(org.compliance_user, department_id=spread_org.id)

    def read():
        return [([asdict(m) for m in forecast_service.team_forecast(s).months]) for s in (scope, department)]

    rolled, from_rows = _read_rows(scope, today(), read)
    assert rolled == from_rows
    assert len({m["percent_compliant"] for m in rolled[0]}) > 1
    kept = _tallies()
    compliance_rollup.rebuild()
    assert _tallies() == kept
