"""The shared browser fixtures work: live server, sign-in, screenshots, consumer."""
from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import WorkerHeartbeat


def test_sign_in_through_the_form_in_chromium(live_server, page, sign_in, shot, org):
    sign_in(page, org.reviewer_user)
    assert page.get_by_text(org.reviewer_user.display_name).first.is_visible()
    path = shot(page, "signed-in")
    assert path.exists() and path.stat().st_size > 1000
    assert page.console_errors == []


def test_wrong_password_stays_on_the_login_page(live_server, page, org):
    page.goto(live_server.url("/login"))
    page.get_by_label("Email address").fill(org.employee_user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("do not match").is_visible()


def test_consumer_thread_runs_queued_tasks_against_the_test_database(app, huey_consumer):
    from jobs.queue import huey
    from jobs.system import heartbeat

    assert huey.immediate is False
    heartbeat()  # enqueue, do not run here
    huey_consumer.wait_idle(timeout=30)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(WorkerHeartbeat.id))) == 1
    assert huey_consumer.executed, "the task ran in the consumer thread"
