"""Navigation per role: the bar shows what each role opens, no more."""
from __future__ import annotations

import re


def _bar(client) -> list[str]:
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    bar = page.split('<ul class="navbar-nav me-auto">', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="([^"]+)"', bar)


def test_employee_bar(employee_client):
    bar = _bar(employee_client)
    assert "/me" in bar
    assert not any(h.startswith(("/review", "/team", "/admin", "/registry")) for h in bar)


def test_admin_bar_folds_admin_sections_into_setup(admin_client):
    bar = _bar(admin_client)
    assert "/admin" in bar
    assert "/admin/outbox" not in bar and "/admin/users" not in bar and "/admin/audit" not in bar
    setup = admin_client.get("/admin").get_data(as_text=True)
    for href in ("/admin/outbox", "/admin/users", "/admin/audit"):
        assert href in setup


def test_compliance_reaches_the_audit_log(compliance_client):
    bar = _bar(compliance_client)
    assert "/team" in bar
    if "/admin" in bar:  # compliance sees the setup overview
        assert "/admin/audit" in compliance_client.get("/admin").get_data(as_text=True)
    else:
        assert "/admin/audit" in bar


def test_personal_settings_are_in_the_user_menu(employee_client):
    page = employee_client.get("/me").get_data(as_text=True)
    menu = page.split('class="dropdown-menu dropdown-menu-end"', 1)[1].split("</ul>", 1)[0]
    assert "/account/password" in menu and "Sign out" in menu
