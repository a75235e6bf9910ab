"""Denied access and failed sign-ins are logged with who, where and which request."""
from __future__ import annotations

import json
import logging

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from tests.support import factories


@pytest.fixture
def security_lines(caplog):
    caplog.set_level(logging.WARNING, logger="credwatch.security")
    return lambda: [r.security for r in caplog.records if r.name == "credwatch.security"]


def test_reaching_for_someone_elses_person_is_logged(app, org, employee_client, security_lines):
    response = employee_client.get(f"/people/{org.outsider.id}")
    assert response.status_code == 404
    [line] = [e for e in security_lines() if e["event"] == "access_denied"]
    assert line["user_id"] == org.employee_user.id and line["status"] == 404
    assert line["route"] == "/people/<int:person_id>" and line["path"] == f"/people/{org.outsider.id}"
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_a_role_refusal_is_logged(app, org, employee_client, security_lines):
    response = employee_client.get("/admin")
    assert response.status_code == 403
    assert [e["status"] for e in security_lines() if e["event"] == "access_denied"] == [403]


def test_a_failed_sign_in_is_logged_without_the_password(app, org, client, security_lines, caplog):
    client.post("/login", data={"email": org.employee_user.email, "password": "wrong-guess-123"})
    [line] = [e for e in security_lines() if e["event"] == "sign_in_failed"]
    assert line["email"] == org.employee_user.email and line["route"] == "/login" and line["request_id"]
    assert "wrong-guess-123" not in caplog.text


def test_a_proxys_request_id_is_kept_and_lands_on_the_audit_event(app, org, login):
    admin = login(org.admin_user)
    response = admin.post("/logout", headers={"X-Request-ID": "proxy-req-12345678"})
    assert response.headers["X-Request-ID"] == "proxy-req-12345678"
    client = login(org.employee_user)
    page = client.get("/me", headers={"X-Request-ID": "bad id <x>"})
    assert page.headers["X-Request-ID"] != "bad id <x>"


def test_audit_events_carry_the_request_id_and_a_reason(app, org):
    from portal.services import audit

    with app.test_request_context("/", headers={"X-Request-ID": "req-abcdef123456"}):
        app.preprocess_request()
        audit.record("person.note", org.employee, reason="HR asked for it")
        db.session.commit()
    event = db.session.query(AuditEvent).filter_by(action="person.note").one()
    assert event.request_id == "req-abcdef123456" and event.reason == "HR asked for it"
