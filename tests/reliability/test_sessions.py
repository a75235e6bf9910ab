"""Sign-out ends sessions on the server; cookies have lifetimes the server keeps."""
from __future__ import annotations

import time

import time_machine

from tests.support import factories


def _sign_in(app, user, remember=False):
    client = app.test_client()
    data = {"email": user.email, "password": factories.PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def _replay(app, **cookies):
    """A new browser (another user agent) carrying copied cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def test_a_copied_session_cookie_stops_working_after_sign_out(app, org):
    client = _sign_in(app, org.employee_user)
    copied = client.get_cookie("session").value
    assert _replay(app, session=copied).get("/me").status_code == 200
    assert client.post("/logout").status_code == 302
    assert _replay(app, session=copied).get("/me").status_code == 302


def test_a_copied_remember_cookie_stops_working_after_sign_out(app, org):
    client = _sign_in(app, org.employee_user, remember=True)
    remember = client.get_cookie("remember_token").value
    stranger = _replay(app, remember_token=remember)
    stranger.environ_base["HTTP_USER_AGENT"] = "another browser"
    assert stranger.get("/me").status_code == 200
    client.post("/logout")
    again = _replay(app, remember_token=remember)
    assert again.get("/me").status_code == 302


def test_remember_cookie_lasts_two_weeks_even_if_kept_longer(app, org):
    client = _sign_in(app, org.employee_user, remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie.expires is not None
    assert 13 * 86400 < cookie.expires.timestamp() - time.time() <= 14 * 86400 + 60
    with time_machine.travel(time.time() + 15 * 86400, tick=True):
        assert _replay(app, remember_token=cookie.value).get("/me").status_code == 302
    with time_machine.travel(time.time() + 13 * 86400, tick=True):
        assert _replay(app, remember_token=cookie.value).get("/me").status_code == 200


def test_a_busy_session_still_ends_after_its_lifetime(app, org):
    client = _sign_in(app, org.employee_user)
    start = time.time()
    for hours in (4, 8, 11):  # activity every few hours does not slide the window
        with time_machine.travel(start + hours * 3600, tick=True):
            assert client.get("/me").status_code == 200
    with time_machine.travel(start + 12.5 * 3600, tick=True):
        assert client.get("/me").status_code == 302


def test_sign_in_gives_a_new_csrf_token(app, org):
    client = app.test_client()
    before = client.csrf_token()
    client.post("/login", data={"email": org.employee_user.email, "password": factories.PASSWORD})
    after = client.csrf_token()
    assert before != after


def test_csrf_tokens_expire(app, org):
    client = app.test_client()
    token = client.csrf_token()
    data = {"email": org.employee_user.email, "password": factories.PASSWORD}
    with time_machine.travel(time.time() + 13 * 3600, tick=True):
        response = client.post("/login", data=data, headers={"X-CSRFToken": token})
    assert response.status_code == 400


def test_line_breaks_in_next_are_refused_not_a_crash(client, org):
    response = client.post("/login", data={
        "email": org.employee_user.email, "password": factories.PASSWORD, "next": "/\r\n//evil.com",
    })
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
