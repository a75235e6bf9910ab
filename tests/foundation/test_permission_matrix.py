"""Every role against own, other's and other team's objects, on every object route.

Allowed viewers get the page; everyone else gets 404 for objects they may not
know exist, or 403 for a page their role does not open at all — never the
object. Anonymous visitors are sent to sign in.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.services import documents
from tests.support import factories

VIEWERS = ("anonymous", "employee", "outsider", "manager", "outsider_manager", "reviewer", "admin", "compliance")
DENIED = {403, 404}


@dataclass
class World:
    employee_credential: int
    employee_document: int
    employee: int


@pytest.fixture
def world(org):
    stored = documents.store(io.BytesIO(certificate_pdf(Certificate(
        "American Heart Association", "BLS Provider", "Erin Employee", "ABC123", date(2025, 1, 1),
        date(2027, 1, 1)))))
    doc = factories.document(org.employee, uploaded_by=org.employee_user, sha256=stored.sha256,
                             media_type=stored.media_type, size_bytes=stored.size, pages=1)
    cred = factories.credential(org.employee, org.bls, expires_on=date.today() + timedelta(days=300))
    outsider_manager_user = factories.user(org.outsider_manager, ("employee", "manager"))
    db.session.commit()
    org.outsider_manager_user = outsider_manager_user
    return World(employee_credential=cred.id, employee_document=doc.id, employee=org.employee.id)


def _clients(app, org):
    from tests.conftest import _login

    users = {
        "employee": org.employee_user, "outsider": org.outsider_user, "manager": org.manager_user,
        "outsider_manager": org.outsider_manager_user, "reviewer": org.reviewer_user,
        "admin": org.admin_user, "compliance": org.compliance_user,
    }
    clients = {name: _login(app, user) for name, user in users.items()}
    clients["anonymous"] = app.test_client()
    return clients


# route template, who may open it (the employee's object is the subject)
ROUTES = [
    ("/people/{employee}", {"employee", "manager", "reviewer", "admin", "compliance"}),
    ("/credentials/{employee_credential}", {"employee", "manager", "reviewer", "admin", "compliance"}),
    ("/credentials/{employee_credential}/ce", {"employee", "manager", "reviewer", "admin", "compliance"}),
    ("/credentials/{employee_credential}/edit", {"reviewer", "admin"}),
    ("/documents/{employee_document}/file", {"employee", "manager", "reviewer", "admin", "compliance"}),
    ("/me/documents/{employee_document}", {"employee"}),
    ("/review/{employee_document}", {"reviewer", "admin"}),
    ("/team/people/{employee}/renewals", {"manager", "reviewer", "admin", "compliance"}),
]


@pytest.mark.parametrize("template, allowed", ROUTES, ids=[r[0] for r in ROUTES])
def test_object_routes(app, org, world, template, allowed):
    url = template.format(**world.__dict__)
    clients = _clients(app, org)
    wrong = {}
    for viewer in VIEWERS:
        status = clients[viewer].get(url).status_code
        if viewer == "anonymous":
            ok = status in (302, 401)
        elif viewer in allowed:
            ok = status == 200
        else:
            ok = status in DENIED
        if not ok:
            wrong[viewer] = status
    assert wrong == {}, f"{url}: unexpected answers {wrong}"


def test_people_outside_the_line_are_404_not_403(app, org, world):
    """A manager probing another team's ids learns nothing: 404, like a missing id."""
    clients = _clients(app, org)
    for url in (f"/people/{world.employee}", f"/credentials/{world.employee_credential}",
                f"/documents/{world.employee_document}/file"):
        assert clients["outsider_manager"].get(url).status_code == 404, url
        assert clients["outsider"].get(url).status_code == 404, url


@pytest.mark.parametrize("url", [
    "/review", "/registry", "/registry/new", "/team", "/team/forecast", "/team/renewals", "/admin",
    "/admin/requirements", "/admin/policies", "/admin/taxonomy", "/admin/projects", "/admin/users",
    "/admin/audit", "/admin/outbox", "/admin/integrations/tokens", "/admin/integrations/webhooks",
    "/admin/integrations/imports",
])
def test_role_pages_refuse_a_plain_employee(employee_client, url):
    assert employee_client.get(url).status_code == 403


@pytest.mark.parametrize("url, method", [
    ("/review/{employee_document}/confirm", "post"),
    ("/review/{employee_document}/reject", "post"),
    ("/credentials/{employee_credential}/ce", "post"),
    ("/admin/users/grant/{employee}", "post"),
])
def test_state_changes_without_csrf_token_are_refused(app, org, world, url, method):
    clients = _clients(app, org)
    response = getattr(clients["admin"], method)(url.format(**world.__dict__), data={}, csrf=False)
    assert response.status_code == 400


@pytest.mark.parametrize("url", ["/people/2147483648", "/credentials/99999999999999999999", "/review/2147483648",
                                 "/api/v1/credentials/2147483648"])
def test_ids_beyond_any_row_are_404_not_errors(admin_client, url):
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize("url", [
    "/team?manager=99999999999", "/team?department=99999999999", "/team?type=99999999999",
    "/registry?type=99999999999&department=-4", "/review?department=99999999999&type=99999999999",
    "/admin/requirements?type=99999999999",
])
def test_out_of_range_ids_in_query_strings_are_ignored_not_errors(admin_client, url):
    assert admin_client.get(url).status_code in (200, 404)


@pytest.mark.parametrize("value, expected", [("12", 12), ("0", None), ("-3", None), ("2147483648", None),
                                             ("abc", None), ("", None), (None, None)])
def test_parse_id(value, expected):
    from portal.routing import parse_id

    assert parse_id(value) == expected
