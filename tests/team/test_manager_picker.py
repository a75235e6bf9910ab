"""The team picker of a large organisation: a search box with suggestions, not
a select of every manager."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from portal.extensions import db
from portal.services import team as team_service
from tests.support import factories


@pytest.fixture
def many_managers(org):
    """One more manager than a select lists, each with one report."""
    managers = []
    for i in range(team_service.MANAGER_LIST_MOST + 1):
        boss = factories.person("Morgan", f"Lead{i:03d}", department=org.other_department)
        factories.person("Sam", f"Staff{i:03d}", manager=boss, department=org.other_department)
        managers.append(boss)
    db.session.commit()
    return managers


def _form(page: str) -> str:
    start = page.index('class="card card-body mb-3 scope-form"')
    return page[start:page.index("</form>", start)]


def test_a_small_organisation_picks_its_team_from_a_select(org, compliance_client):
    form = _form(compliance_client.get("/team").get_data(as_text=True))
    assert 'id="f-manager"' in form and 'name="manager_name"' not in form
    assert f'<option value="{org.manager.id}">Max Manager</option>' in form


def test_a_large_organisation_gets_a_search_box_instead(org, compliance_client, many_managers):
    for url in ("/team", "/team/forecast", "/team/renewals"):
        form = _form(compliance_client.get(url).get_data(as_text=True))
        assert 'name="manager_name"' in form and 'id="f-manager"' not in form, url
        assert "Lead0" not in form  # no manager is listed in the page itself
        assert '<label class="form-label small mb-1" for="f-manager-name">Team</label>' in form


def test_suggestions_match_every_typed_word_a_page_at_a_time(org, compliance_client, many_managers):
    def suggested(typed):
        body = compliance_client.get(f"/team/managers?manager_name={quote(typed)}").get_data(as_text=True)
        return re.findall(r'<option value="([^"]*)">', body)

    boss = many_managers[7]
    assert suggested("morgan lead007") == [f"Morgan Lead007 ({boss.employee_id})"]
    assert suggested(boss.employee_id) == [f"Morgan Lead007 ({boss.employee_id})"]
    assert len(suggested("morgan")) == team_service.MANAGER_SUGGESTIONS  # by name, the first page
    assert suggested("morgan")[0].startswith("Morgan Lead000 ")
    assert suggested("") == [] and suggested("nobody-is-called-this") == []
    assert suggested("staff") == []  # people without reports are not teams


def test_a_picked_suggestion_chooses_that_team(org, compliance_client, many_managers):
    boss = many_managers[7]
    label = f"Morgan Lead007 ({boss.employee_id})"
    page = compliance_client.get(f"/team?manager_name={quote(label)}").get_data(as_text=True)
    assert "Team of Morgan Lead007" in page
    assert f'value="{label}"' in _form(page)  # the box keeps the choice
    # links to the other tabs carry the manager's id
    assert f"/team/forecast?manager={boss.id}" in page
    by_id = compliance_client.get(f"/team/forecast?manager={boss.id}").get_data(as_text=True)
    assert f'value="{label}"' in _form(by_id)


def test_a_name_that_picks_nobody_says_so_and_keeps_the_default_scope(org, compliance_client, many_managers):
    response = compliance_client.get("/team?manager_name=Morgan", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Whole organisation" in body  # "Morgan" names 101 managers: nobody in particular
    assert "No manager matches “Morgan”" in body and 'id="f-manager-problem"' in body
    full = compliance_client.get("/team?manager_name=zzz").get_data(as_text=True)
    assert 'is-invalid' in _form(full) and "No manager matches “zzz”" in full


def test_a_manager_is_offered_only_teams_in_their_own_line(org, manager_client, many_managers):
    # Max's line has no other manager: his own team is all he may pick
    outsider = f"Olga Othermanager ({org.outsider_manager.employee_id})"
    body = manager_client.get(f"/team/managers?manager_name={quote('olga')}").get_data(as_text=True)
    assert "Olga" not in body
    page = manager_client.get(f"/team?manager_name={quote(outsider)}").get_data(as_text=True)
    assert "Oscar Outsider" not in page and "No manager matches" in page

