"""Sign-in, sign-out, landing pages, safe redirects, rate limits, CSRF."""
from __future__ import annotations

import pytest

from tests.support import factories


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Sign in" in response.data


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused_with_message(client, org):
    response = client.post("/login", data={"email": org.employee_user.email, "password": "nope"})
    assert response.status_code == 400
    assert b"do not match" in response.data


def test_missing_fields_get_errors_next_to_them(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'id="f-email-error"' in text and 'id="f-password-error"' in text


def test_inactive_user_cannot_sign_in(client, org, app):
    from portal.extensions import db

    org.employee_user.active = False
    db.session.commit()
    response = client.post("/login", data={"email": org.employee_user.email, "password": factories.PASSWORD})
    assert response.status_code == 400


def test_email_is_case_insensitive(client, org):
    response = client.post("/login", data={"email": org.employee_user.email.upper(), "password": factories.PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "target, allowed",
    [
        ("/people/3", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_next_redirect_only_to_own_site(client, org, target, allowed):
    response = client.post(
        "/login", data={"email": org.employee_user.email, "password": factories.PASSWORD, "next": target}
    )
    assert response.status_code == 302
    if allowed:
        assert response.headers["Location"] == target
    else:
        assert response.headers["Location"] == "/"


def test_logout_requires_post_with_csrf(employee_client):
    assert employee_client.get("/logout").status_code == 405
    assert employee_client.post("/logout", csrf=False).status_code == 400
    response = employee_client.post("/logout")
    assert response.status_code == 302
    assert employee_client.get("/").status_code == 302  # signed out: back to login


def test_login_without_csrf_token_is_refused(client, org):
    response = client.post(
        "/login", data={"email": org.employee_user.email, "password": factories.PASSWORD}, csrf=False
    )
    assert response.status_code == 400


def test_login_is_rate_limited(client, org):
    for _ in range(10):
        client.post("/login", data={"email": org.employee_user.email, "password": "wrong"})
    response = client.post("/login", data={"email": org.employee_user.email, "password": factories.PASSWORD})
    assert response.status_code == 429


def test_password_is_hashed(org):
    assert factories.PASSWORD not in org.employee_user.password_hash
    assert org.employee_user.password_hash.startswith("scrypt:")


def test_password_change_ends_old_sessions(app, employee_client, org):
    from portal.extensions import db

    org.employee_user.session_version += 1
    db.session.commit()
    assert employee_client.get("/").status_code == 302


def test_session_cookie_flags_by_default(app):
    from portal import create_app

    fresh = create_app({"INSTANCE_PATH": app.instance_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert fresh.config["SESSION_COOKIE_HTTPONLY"] is True
    assert fresh.config["SESSION_COOKIE_SECURE"] is True
    assert fresh.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    "roles, endpoint, landing_prefix",
    [
        (("employee",), "me.credentials", "/me"),
        (("employee", "reviewer"), "review.queue", "/review"),
        (("employee", "manager"), "team.overview", "/team"),
        (("employee", "admin"), "admin.setup", "/admin"),
        (("employee", "compliance"), "team.overview", "/team"),
    ],
)
def test_each_role_lands_on_its_home(app, login, roles, endpoint, landing_prefix):
    u = factories.user(factories.person(), roles)
    from portal.extensions import db

    db.session.commit()
    response = login(u).get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(landing_prefix)


def test_security_headers_on_pages(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_404_page(employee_client):
    response = employee_client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Not found" in response.data


def test_demo_accounts_shown_only_on_demo_instances(app, client):
    assert b"credwatch-demo" not in client.get("/login").data
    app.config["SHOW_DEMO_ACCOUNTS"] = True
    page = client.get("/login").get_data(as_text=True)
    assert "employee@credwatch.demo" in page and "credwatch-demo" in page
