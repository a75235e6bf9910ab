"""The whole journey in headless Chromium: upload a scan, the job reads it, a
reviewer corrects one field and confirms, the employee and their manager see it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.demo.documents import Certificate, certificate_png
from portal.extensions import db
from portal.models import Credential, Document
from portal.policies.dates import add_months

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def _card_dates() -> tuple[date, date, date]:
    """Issued nine months ago, valid two years: far from any reminder window on any day.

    The browser's clock is the real one (cookie lifetimes follow it), so this
    journey takes its dates from today rather than freezing the server's clock.
    """
    issued = date.today() - timedelta(days=270)
    expires = add_months(issued, 24)
    return issued, expires, expires - timedelta(days=1)


def test_upload_review_confirm_and_see_it(live_server, huey_consumer, browser, sign_in, shot, org, tmp_path):
    issued, expires, corrected = _card_dates()
    scan = tmp_path / "bls-card-scan.png"
    scan.write_bytes(certificate_png(Certificate(
        "American Heart Association", "BLS Provider", org.employee.full_name, "2B7Q-44KD-91XZ",
        issued, expires, number_label="eCard Code:"), scanned=True, seed=7))

    # The employee sees what is missing and uploads a scan for it.
    employee = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900})
    page = employee.new_page()
    sign_in(page, org.employee_user)
    page.goto(live_server.url("/me"))
    row = page.locator(".credential-row", has_text="BLS Provider")
    expect(row.locator(".state-badge")).to_have_text("Missing")
    shot(page, "employee-missing-bls")
    row.get_by_role("link", name="Upload certificate").click()
    page.locator("#f-files").set_input_files(str(scan))
    item = page.locator("#upload_results .upload-item", has_text="bls-card-scan.png")
    shot(page, "upload-in-progress")
    # HTMX polling swaps the status in by itself: queued -> reading -> waiting for review
    expect(item.locator(".state-badge")).to_have_text("Waiting for review", timeout=90_000)
    shot(page, "upload-waiting-for-review")
    document = db.session.scalar(select(Document))
    assert document.renews_credential_id is None and document.credential_type_id == org.bls.id

    # The reviewer takes it from the queue, corrects the expiry, confirms by keyboard.
    reviewer = browser.new_context(base_url=live_server.base_url, viewport={"width": 1366, "height": 900})
    rpage = reviewer.new_page()
    sign_in(rpage, org.reviewer_user)
    rpage.goto(live_server.url("/review"))
    shot(rpage, "review-queue")
    rpage.locator(".queue-item", has_text=org.employee.full_name).get_by_role("button", name="Review").click()
    expect(rpage.locator(".evidence-box").first).to_be_visible()
    expect(rpage.get_by_label("License / certificate number")).to_have_value("2B7Q-44KD-91XZ")
    shot(rpage, "review-page")
    rpage.get_by_label("Expires on").fill(corrected.isoformat())
    rpage.get_by_label("License / certificate number").focus()
    rpage.keyboard.press("Control+Enter")
    expect(rpage.locator("#flashes")).to_contain_text("Confirmed: BLS Provider")
    shot(rpage, "confirmed")

    credential = db.session.scalar(select(Credential))
    assert credential.expires_on == corrected and credential.verified

    # The employee sees it valid; their manager sees it on the person page.
    page.goto(live_server.url("/me"))
    row = page.locator(".credential-row", has_text="BLS Provider")
    expect(row.locator(".state-badge")).to_have_text("Valid")
    shot(page, "employee-sees-valid")
    manager = browser.new_context(base_url=live_server.base_url, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    mpage = manager.new_page()
    sign_in(mpage, org.manager_user)
    mpage.goto(live_server.url(f"/people/{org.employee.id}"))
    expect(mpage.get_by_role("row", name="BLS Provider")).to_contain_text("Valid")
    shot(mpage, "manager-phone-person-page")
    for ctx in (employee, reviewer, manager):
        ctx.close()
