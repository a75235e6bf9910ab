"""Logins for people, roles, and passwords."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Notification, User
from tests.support import factories

NEW_PASSWORD = "a much longer passphrase"


def _link_token(response) -> str:
    match = re.search(r"/account/set-password/([\w.\-]+)", response.get_data(as_text=True))
    assert match, "the admin sees the set-password link"
    return match.group(1)


def test_admin_gives_a_person_a_login_and_they_set_a_password(app, admin_client, client, org):
    newcomer = factories.person("Nina", "New")
    db.session.commit()
    response = admin_client.post(f"/admin/users/grant/{newcomer.id}", data={"roles": ["manager"]},
                                 follow_redirects=True)
    assert b"can now sign in" in response.data
    token = _link_token(response)
    user = db.session.scalar(select(User).where(User.person_id == newcomer.id))
    assert user.roles == {"employee", "manager"}
    invite = db.session.scalar(select(Notification).where(Notification.kind == "invite"))
    assert invite.recipient_email == newcomer.email and token in invite.context["action_url"]

    assert client.get(f"/account/set-password/{token}").status_code == 200
    short = client.post(f"/account/set-password/{token}", data={"password": "short", "confirm": "short"})
    assert short.status_code == 400 and b"at least 10" in short.data
    done = client.post(f"/account/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    again = client.get(f"/account/set-password/{token}")
    assert again.status_code == 400 and b"already been used" in again.data
    signed_in = client.post("/login", data={"email": newcomer.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_tampered_link_is_refused(client):
    response = client.get("/account/set-password/not-a-real-token")
    assert response.status_code == 400 and b"not valid" in response.data


def test_only_admins_manage_users(employee_client, manager_client, reviewer_client, org):
    for c in (employee_client, manager_client, reviewer_client):
        assert c.get("/admin/users").status_code == 403
        assert c.post(f"/admin/users/grant/{org.outsider.id}").status_code == 403


def test_admin_changes_roles_and_disables_a_login(admin_client, login, org):
    employee = login(org.employee_user)
    response = admin_client.post(f"/admin/users/{org.employee_user.id}", data={"roles": ["employee", "reviewer"]})
    assert response.status_code == 302
    db.session.refresh(org.employee_user)
    assert org.employee_user.roles == {"employee", "reviewer"} and not org.employee_user.active
    assert employee.get("/").status_code == 302  # signed out
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.access_changed"))
    assert event.before["active"] is True and event.after["active"] is False


def test_admin_cannot_lock_themselves_out(admin_client, org):
    response = admin_client.post(f"/admin/users/{org.admin_user.id}", data={"roles": ["employee"], "active": "1"},
                                 follow_redirects=True)
    assert b"cannot remove your own" in response.data
    db.session.refresh(org.admin_user)
    assert "admin" in org.admin_user.roles


def test_granting_twice_is_refused(admin_client, org):
    response = admin_client.post(f"/admin/users/grant/{org.employee.id}", data={"roles": []}, follow_redirects=True)
    assert b"can already sign in" in response.data


@pytest.mark.parametrize("current, new, confirm, status, message", [
    ("wrong", NEW_PASSWORD, NEW_PASSWORD, 400, b"not your current password"),
    (factories.PASSWORD, "tiny", "tiny", 400, b"at least 10"),
    (factories.PASSWORD, NEW_PASSWORD, "different one here", 400, b"not the same"),
    (factories.PASSWORD, NEW_PASSWORD, NEW_PASSWORD, 302, b""),
])
def test_change_own_password(employee_client, current, new, confirm, status, message):
    response = employee_client.post("/account/password",
                                     data={"current_password": current, "password": new, "confirm": confirm})
    assert response.status_code == status
    assert message in response.data


def test_user_list_searches_and_answers_htmx(admin_client, org):
    response = admin_client.get("/admin/users?q=outsider", headers={"HX-Request": "true"})
    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="user_list"') and "Oscar" in text and "Erin" not in text
