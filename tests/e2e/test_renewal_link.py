"""In Chromium: an employee follows the renewal link from a real reminder email
(the .eml the scan wrote to the outbox), uploads the renewed certificate, it
waits in the review queue tied to that credential, and the link is then used up."""
from __future__ import annotations

import email
import re
from datetime import date, timedelta
from email import policy

import pytest
from sqlalchemy import select

from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.models import Document, Notification
from portal.models.documents import OPEN_STATES
from portal.services import mailer, reminders
from tests.support import factories

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

EXPIRES = date(2026, 6, 30)


def test_renewal_link_from_the_email_uploads_into_the_review_queue(app, live_server, browser, page, sign_in,
                                                                   shot, org, tmp_path):
    app.config["PUBLIC_BASE_URL"] = live_server.base_url  # links in the email point at this portal
    factories.default_policy()
    old = factories.credential(org.employee, org.bls, expires_on=EXPIRES, license_number="BLS-7781")
    db.session.commit()
    reminders.run_daily(EXPIRES - timedelta(days=30))

    # the email Erin got, as the outbox wrote it
    row = db.session.scalar(select(Notification).where(Notification.step == "employee:d30"))
    assert row.state == "sent"
    msg = email.message_from_bytes(mailer.outbox_path(row.id).read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Your BLS Provider expires in 30 days"
    html = msg.get_body(("html",)).get_content()
    [link] = set(re.findall(r'href="(%s/renew/[^"]+)"' % re.escape(live_server.base_url), html))
    assert link in msg.get_body(("plain",)).get_content()

    sign_in(page, org.employee_user)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload your renewed BLS Provider")
    expect(page.locator("dd", has_text="BLS-7781")).to_be_visible()
    shot(page, "renewal-link-page")

    scan = tmp_path / "bls-renewed.pdf"
    scan.write_bytes(certificate_pdf(Certificate(
        "American Heart Association", "BLS Provider", org.employee.full_name, "BLS-9920",
        date(2026, 5, 20), date(2028, 5, 31), number_label="eCard Code:")))
    page.get_by_label("Renewed certificate (PDF, scan or phone photo)").set_input_files(str(scan))
    shot(page, "file-chosen")
    page.get_by_role("button", name="Upload for review").click()
    page.wait_for_url(re.compile(r"/me/documents/\d+"))
    expect(page.locator("#flashes")).to_contain_text("waiting for review")
    shot(page, "uploaded")

    document = db.session.scalar(select(Document).where(Document.person_id == org.employee.id))
    db.session.refresh(document)
    assert document.renews_credential_id == old.id
    assert document.original_name == "bls-renewed.pdf"
    assert document.state in OPEN_STATES

    # a reviewer finds it in the queue
    reviewer = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900})
    rpage = reviewer.new_page()
    sign_in(rpage, org.reviewer_user)
    rpage.goto(live_server.url("/review"))
    expect(rpage.locator(".queue-item", has_text=org.employee.full_name)).to_be_visible()
    shot(rpage, "review-queue")
    reviewer.close()

    # the link is used up
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link was already used")
    shot(page, "link-already-used")
    assert db.session.scalar(select(Document.id).where(Document.id != document.id)) is None
