"""The team page, forecast, renew-now and exports: scoping, numbers, queries."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Notification, today
from tests.support import factories


def _matrix(client, url) -> str:
    """Just the matrix table of a team page (the renew-now list names people too)."""
    page = client.get(url).get_data(as_text=True)
    start = page.find('id="matrix"')
    return "" if start < 0 else page[start:page.index("</table>", start)]


def test_manager_lands_on_the_team_page(manager_client):
    response = manager_client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/team")


@pytest.mark.parametrize("who, status", [
    ("employee_client", 403), ("manager_client", 200), ("reviewer_client", 200),
    ("admin_client", 200), ("compliance_client", 200),
])
@pytest.mark.parametrize("url", ["/team", "/team/forecast", "/team/renewals", "/team/export.csv"])
def test_team_pages_by_role(request, who, status, url):
    assert request.getfixturevalue(who).get(url).status_code == status


def test_manager_sees_only_their_reporting_line(org, manager_client):
    factories.credential(org.outsider, org.bls, expires_on=today() + timedelta(days=10))
    org.outsider.job_role = org.role
    db.session.commit()
    page = manager_client.get("/team").get_data(as_text=True)
    assert "Erin Employee" in page
    assert "Oscar Outsider" not in page
    assert "Dee Director" not in page  # above the manager, not below


@pytest.mark.parametrize("args", ["manager={outsider_manager}", "manager={director}", "manager=999999"])
def test_manager_cannot_pick_someone_elses_team(org, manager_client, args):
    url = "/team?" + args.format(outsider_manager=org.outsider_manager.id, director=org.director.id)
    assert manager_client.get(url).status_code == 404
    assert manager_client.get(url.replace("/team?", "/team/export.csv?")).status_code == 404


def test_compliance_sees_the_whole_organisation_and_any_team(org, compliance_client):
    org.outsider.job_role = org.role
    db.session.commit()
    whole = compliance_client.get("/team").get_data(as_text=True)
    assert "Oscar Outsider" in whole and "Erin Employee" in whole and "Whole organisation" in whole
    team = compliance_client.get(f"/team?manager={org.outsider_manager.id}").get_data(as_text=True)
    assert "Oscar Outsider" in team and "Erin Employee" not in team
    dept = compliance_client.get(f"/team?department={org.other_department.id}").get_data(as_text=True)
    assert "Oscar Outsider" in dept and "Erin Employee" not in dept


def test_headline_numbers(org, manager_client, grow_team):
    grow_team(8)  # BLS: 2 valid, 2 expiring (20 d), 2 expired, 2 missing; Erin's missing too
    page = manager_client.get("/team").get_data(as_text=True)
    # The line below Max: Erin + 8 nurses -> 9 BLS requirements, plus 3 ACLS
    # project requirements (valid, 100 days left, outside the 60-day lead).
    assert 'data-stat="expiring-30">2<' in page
    assert 'data-stat="expiring-90">2<' in page
    assert 'data-stat="expired">2<' in page
    assert 'data-stat="missing">3<' in page
    # Met: 2 valid + 2 expiring BLS + 3 ACLS = 7 of 12.
    assert 'data-stat="compliant">58.3%<' in page


def test_filters_by_state_and_type(org, manager_client, grow_team):
    people = grow_team(4)
    expired = _matrix(manager_client, "/team?state=expired")
    assert people[2].full_name in expired
    assert people[0].full_name not in expired
    by_type = _matrix(manager_client, f"/team?type={org.bls.id}&state=compliant")
    assert people[0].full_name in by_type and people[1].full_name not in by_type


def test_direct_reports_only(org, manager_client):
    deeper = factories.person("Dan", "Deeper", manager=org.employee, job_role=org.role)
    db.session.commit()
    assert "Dan Deeper" in _matrix(manager_client, "/team")
    direct = _matrix(manager_client, "/team?direct=1")
    assert "Dan Deeper" not in direct and "Erin Employee" in direct
    assert deeper.id


def test_htmx_filter_returns_only_the_results_block(manager_client, grow_team):
    grow_team(4)
    response = manager_client.get("/team?state=missing", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="results"')
    assert "<nav" not in body.split("Pages")[0] or "navbar" not in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_matrix_pages_large_teams(manager_client, grow_team):
    grow_team(60)
    first = manager_client.get("/team").get_data(as_text=True)
    assert "Page 1 of 2" in first
    second = manager_client.get("/team?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    assert first.count('data-person="') == 50
    assert second.count('data-person="') == 11  # 60 nurses + Erin = 61


def test_team_page_query_count_same_for_5_and_500_people(org, login, grow_team, count_queries):
    client = login(org.manager_user)
    counts = []
    for n in (5, 495):
        grow_team(n)
        client.get("/team")
        with count_queries() as q:
            assert client.get("/team").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


def test_csv_export_has_the_filtered_matrix(org, manager_client, grow_team):
    grow_team(4)
    response = manager_client.get("/team/export.csv?state=expired")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # not "...; charset=utf-8; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Employee ID", "Name", "Department"]
    assert "BLS Provider — state" in rows[0]
    assert len(rows) == 2 and rows[1][1] == "Nurse N0002"
    state_col = rows[0].index("BLS Provider — state")
    assert rows[1][state_col] == "Expired"


def test_csv_export_neutralises_formulas(org, manager_client):
    org.employee.last_name = "=HYPERLINK(1)"
    org.employee.first_name = "=cmd"
    db.session.commit()
    text = manager_client.get("/team/export.csv").get_data(as_text=True)
    assert ",'=cmd =HYPERLINK(1)," in text


def test_xlsx_export(org, manager_client, grow_team):
    grow_team(4)
    response = manager_client.get("/team/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["Employee ID", "Name", "Department"]
    names = {sheet.cell(row=r, column=2).value for r in range(3, sheet.max_row + 1)}
    assert {"Nurse N0000", "Nurse N0003", "Erin Employee"} <= names


def test_forecast_page_shows_months_and_risks(org, manager_client, grow_team):
    grow_team(8)
    page = manager_client.get("/team/forecast").get_data(as_text=True)
    assert 'id="forecast-chart"' in page and "data-forecast=" in page
    assert page.count("<th scope=\"row\" class=\"fw-normal\">") == 12
    # Nurses 0, 3, 6 are on the ward project; ACLS lapses after 100 days,
    # before the assignment's end at 200 days: three assignments at risk.
    assert page.count("Ward contract") == 3


def test_renew_now_lists_reasons_and_escalations(org, manager_client, grow_team):
    people = grow_team(4)
    org.bls.issuer.renewal_url = "https://cpr.heart.example/renew"
    expiring = people[1]
    cred = next(c for c in db.session.scalars(db.select(factories.Credential)) if c.person_id == expiring.id)
    db.session.add(Notification(unique_key=f"escalation:{cred.id}:manager", kind="escalation", step="manager",
                                person_id=expiring.id, credential_id=cred.id, recipient_email="m@example.test"))
    db.session.commit()
    page = manager_client.get("/team/renewals").get_data(as_text=True)
    assert expiring.full_name in page
    assert "20 days left" in page and "Escalated to manager" in page
    assert "https://cpr.heart.example/renew" in page
    # the expired one ranks above the expiring one
    assert page.index(people[2].full_name) < page.index(expiring.full_name)


def test_person_renewals_are_scoped(org, manager_client):
    assert manager_client.get(f"/team/people/{org.employee.id}/renewals").status_code == 200
    assert manager_client.get(f"/team/people/{org.outsider.id}/renewals").status_code == 404


def test_forecast_numbers_on_a_known_data_set(org, compliance_client):
    """Four people, one required type: expiries this month, in two months
    (twice: one on that month's last day) and never."""
    from portal.policies.forecast import evaluation_dates, month_end
    from portal.services import forecast, team

    on = today()
    ends = evaluation_dates(on, 12)
    dept = factories.department("Forecast")
    role = factories.job_role("FC")
    factories.requirement(org.bls, job_role_=role)
    people = [factories.person("F", f"P{i}", department=dept, job_role=role) for i in range(4)]
    expiries = [ends[0], ends[2] - timedelta(days=10), ends[2], None]
    for person, expires in zip(people, expiries):
        factories.credential(person, org.bls, expires_on=expires,
                             issued_on=on - timedelta(days=30) if expires is None else None)
    org.bls.validity_months = None  # the fourth never expires
    db.session.commit()

    scope = team.resolve_scope(org.compliance_user, department_id=dept.id)
    result = forecast.team_forecast(scope, on)
    assert [m.month for m in result.months][0] == on.replace(day=1)
    assert [m.expiring for m in result.months][:4] == [1, 0, 2, 0]
    # Judged on each month's last day: a credential expiring on that day is
    # still valid (this month's; the second of month three), gone the month after.
    assert [m.percent_compliant for m in result.months][:5] == [100.0, 75.0, 50.0, 25.0, 25.0]
    assert [m.people_compliant for m in result.months][:5] == [4, 3, 2, 1, 1]
    assert month_end(result.months[-1].month) == result.horizon


def test_forecast_counts_missing_requirements_and_each_persons_first_lapse(org, compliance_client):
    """A person is short from their first lapse on; a requirement nobody
    holds is unmet every month; expiries count in their calendar month."""
    from portal.policies.forecast import evaluation_dates
    from portal.services import forecast, team

    on = today()
    ends = evaluation_dates(on, 12)
    acls = factories.credential_type("ACLS Provider", code="ACLS-FC")
    dept = factories.department("Forecast two")
    role = factories.job_role("FC2")
    factories.requirement(org.bls, job_role_=role)
    factories.requirement(acls, job_role_=role)
    both, missing_one = (factories.person("F", f"Q{i}", department=dept, job_role=role) for i in range(2))
    factories.credential(both, org.bls, expires_on=ends[3])  # met through month 3, gone from month 4
    factories.credential(both, acls, expires_on=ends[1] + timedelta(days=1))  # the 1st of month 2
    factories.credential(missing_one, org.bls, expires_on=ends[5] - timedelta(days=3))  # gone from month 5
    db.session.commit()

    result = forecast.team_forecast(team.resolve_scope(org.compliance_user, department_id=dept.id), on)
    # 4 requirements: 3 held, 1 never held.
    assert [m.percent_compliant for m in result.months][:7] == [75.0, 75.0, 50.0, 50.0, 25.0, 0.0, 0.0]
    assert [m.people_compliant for m in result.months][:3] == [1, 1, 0]  # both's ACLS lapses in month 2
    assert all(m.people == 2 for m in result.months)
    assert [m.expiring for m in result.months][:6] == [0, 0, 1, 1, 0, 1]


def test_forecast_lists_the_most_urgent_risks_and_exports_them_all(org, manager_client, grow_team, monkeypatch):
    from portal.blueprints import team as team_views

    grow_team(12)  # nurses 0, 3, 6, 9 on the ward contract; ACLS lapses before it ends
    monkeypatch.setattr(team_views, "RISK_LIST", 2)
    page = manager_client.get("/team/forecast").get_data(as_text=True)
    assert "The 2 most urgent of 4 are listed." in page
    assert page.count("Ward contract <span") == 2
    export = manager_client.get("/team/forecast/risks.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("Person,Project code")
    assert len(lines) == 5 and all("Ward contract" in line for line in lines[1:])


def test_risks_export_is_scoped(org, manager_client, compliance_client):
    assert manager_client.get(f"/team/forecast/risks.csv?manager={org.outsider.id}").status_code == 404
    assert compliance_client.get(f"/team/forecast/risks.csv?manager={org.outsider.id}").status_code == 200


def test_forecast_follows_assignments_that_start_and_end(org, compliance_client):
    """A project's requirement counts only while the assignment needing it
    runs: an ending one stops counting, a future one starts counting."""
    from portal.policies.forecast import evaluation_dates
    from portal.services import forecast, team

    on = today()
    ends = evaluation_dates(on, 12)
    acls = factories.credential_type("ACLS Provider", code="ACLS-RS")
    project = factories.project(code="RESTAFF", name="Ward contract")
    factories.requirement(acls, project=project)
    dept = factories.department("Restaffing")
    role = factories.job_role("RS")
    factories.requirement(org.bls, job_role_=role)
    leaving, joining, staying = (factories.person("R", f"S{i}", department=dept, job_role=role) for i in range(3))
    for person in (leaving, joining, staying):
        factories.credential(person, org.bls, expires_on=on + timedelta(days=900))
    factories.assignment(project, leaving, starts_on=on - timedelta(days=30), ends_on=ends[1] + timedelta(days=3))
    factories.assignment(project, joining, starts_on=ends[2] + timedelta(days=5), ends_on=ends[5] + timedelta(days=1))
    factories.assignment(project, staying, starts_on=on - timedelta(days=30), ends_on=None)
    factories.credential(staying, acls, expires_on=ends[3])  # lapses in month 4, still needed
    db.session.commit()

    result = forecast.team_forecast(team.resolve_scope(org.compliance_user, department_id=dept.id), on)
    # Month:            0: 3 BLS + ACLS of leaving (missing) and staying      -> 4/5
    # Month 2:          leaving's assignment ended: 3 BLS + staying's ACLS   -> 4/4
    # Month 3:          joining starts without ACLS: 3 BLS + 2 ACLS, 1 unmet -> 4/5
    # Month 4-5:        staying's ACLS lapsed too                            -> 3/5
    # Month 6:          joining's assignment over                            -> 3/4
    assert [m.percent_compliant for m in result.months][:7] == [80.0, 80.0, 100.0, 80.0, 60.0, 60.0, 75.0]
    assert [m.people_compliant for m in result.months][:7] == [2, 2, 3, 2, 1, 1, 2]
