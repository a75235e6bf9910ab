"""The team matrix in Chromium: filter with HTMX, drill down, open the forecast."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import today
from tests.support import factories

pytestmark = pytest.mark.e2e


@pytest.fixture
def ward(org):
    project = factories.project(code="ICU", name="ICU contract")
    acls = factories.credential_type("ACLS Provider", code="AHA-ACLS")
    factories.requirement(acls, project=project, lead_days=60)
    people = []
    for i, days in enumerate([400, 15, -40, None, 300, -5]):
        person = factories.person("Nurse", f"Ward{i}", manager=org.manager, department=org.department,
                                  job_role=org.role)
        if days is not None:
            factories.credential(person, org.bls, expires_on=today() + timedelta(days=days))
        people.append(person)
    factories.assignment(project, people[0], starts_on=today() - timedelta(days=3),
                         ends_on=today() + timedelta(days=250))
    factories.credential(people[0], acls, expires_on=today() + timedelta(days=120))
    db.session.commit()
    return people


def test_filter_the_matrix_and_open_the_forecast(live_server, page, sign_in, shot, org, ward):
    sign_in(page, org.manager_user)
    page.goto(live_server.url("/team"))
    matrix = page.locator("#matrix")
    assert matrix.locator("tbody tr").count() == 7  # Erin + six nurses
    shot(page, "team-matrix")

    with page.expect_response(lambda r: "/team?" in r.url and "state=expired" in r.url):
        page.get_by_label("State").select_option("expired")
    page.wait_for_function("document.querySelectorAll('#matrix tbody tr').length === 1")
    assert "state=expired" in page.url  # the filter is in the address (history, sharing)
    assert page.locator("#matrix").get_by_text("Nurse Ward2").is_visible()
    assert page.locator('[data-stat="expired"]').inner_text() == "2"  # headline: the whole team, grace included
    shot(page, "filtered-expired")

    page.get_by_label("Direct reports only").check()
    page.wait_for_url(lambda url: "direct=1" in url)
    page.wait_for_function("document.querySelectorAll('#matrix tbody tr').length === 1")

    page.get_by_role("link", name="Forecast").first.click()
    page.wait_for_url(lambda url: "/team/forecast" in url)
    page.wait_for_selector("canvas#forecast-chart[data-drawn='true']")
    assert page.locator("#risks").get_by_text("Nurse Ward0").is_visible()  # ACLS lapses before the end
    assert page.console_errors == []
    shot(page, "forecast")


def test_team_page_on_a_phone(live_server, phone_page, sign_in, shot, org, ward):
    sign_in(phone_page, org.manager_user)
    phone_page.goto(live_server.url("/team"))
    assert phone_page.locator("#matrix").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # the matrix scrolls inside its box, not the page
    shot(phone_page, "team-phone")
    phone_page.goto(live_server.url("/team/forecast"))
    phone_page.wait_for_selector("canvas#forecast-chart[data-drawn='true']")
    shot(phone_page, "forecast-phone")


def test_a_large_organisation_finds_a_team_by_typing(live_server, page, sign_in, shot, org):
    from portal.services import team as team_service

    for i in range(team_service.MANAGER_LIST_MOST + 1):
        boss = factories.person("Morgan", f"Lead{i:03d}", department=org.other_department)
        factories.person("Sam", f"Staff{i:03d}", manager=boss, department=org.other_department, job_role=org.role)
    db.session.commit()
    sign_in(page, org.compliance_user)
    page.goto(live_server.url("/team"))
    box = page.get_by_label("Team", exact=True)
    box.press_sequentially("lead042", delay=20)
    options = page.locator("#f-manager-options option")
    options.first.wait_for(state="attached")  # the suggestions came
    assert options.count() == 1
    label = options.first.get_attribute("value")
    assert label.startswith("Morgan Lead042 (")
    box.fill(label)
    box.press("Enter")
    page.locator("#results h2", has_text="Team of Morgan Lead042").wait_for()
    assert "manager_name=" in page.url  # the choice is in the address
    assert page.locator("#matrix").get_by_text("Sam Staff042").is_visible()
    shot(page, "team-picked-by-typing")

    box.fill("nobody at all")
    box.press("Enter")
    page.locator("#f-manager-problem", has_text="No manager matches").wait_for()
    assert page.locator("#results h2").first.inner_text() == "Whole organisation"
    assert page.console_errors == []
