"""The review page's guard rails in Chromium: a wrong record cannot slip in."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.models import AuditEvent, Credential
from portal.policies.dates import add_months
from portal.services import documents
from tests.support import factories

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_an_expired_card_in_another_name_is_stopped_and_only_goes_to_history(
        live_server, browser, page, sign_in, shot, org):
    # The browser keeps the real clock, so the dates are relative to today.
    today = date.today()
    valid = factories.credential(org.employee, org.bls, expires_on=add_months(today, 8), license_number="LN-VALID")
    db.session.commit()
    issued = add_months(today, -72)
    card = Certificate("American Heart Association", "BLS Provider", "Marcus Webb", "7Z7Z-11AA-22BB", issued,
                       add_months(issued, 24), number_label="eCard Code:")
    document = documents.upload(io.BytesIO(certificate_pdf(card)), "old-card.pdf", org.employee,
                                org.employee_user, renews=valid)
    db.session.refresh(document)
    assert document.state == "needs_review", document.last_error

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    holder_checks = page.locator('[data-check="holder_mismatch"]')
    expect(holder_checks).to_contain_text("Marcus Webb, not Erin Employee")
    expect(page.locator('[data-check="expired"]')).to_be_visible()
    expect(page.locator('[data-check="older_than_current"]')).to_contain_text("only be added to history")
    shot(page, "checks-shown-before-confirming")

    # Confirm is refused, with the reasons beside the fields.
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator('[data-check="older_than_current"]')).to_be_visible()
    shot(page, "confirm-refused")
    # Accepting every check still does not make it the current record.
    page.get_by_label("I have looked: accept this anyway").first.check()
    page.get_by_label("I have looked: accept this anyway").nth(1).check()
    page.get_by_label("Why you accept what the checks found").fill("Her card from before she married")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator('[data-check="older_than_current"]')).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(select(Credential).where(Credential.id != valid.id)) is None

    # Added to history (the ticks and the reason survive the refused post).
    page.get_by_role("button", name="Add to history").click()
    expect(page.locator("#flashes")).to_contain_text("added to history")
    shot(page, "added-to-history")
    db.session.expire_all()
    old = db.session.scalar(select(Credential).where(Credential.id != valid.id))
    assert old.state == "superseded" and old.superseded_by_id == valid.id
    assert db.session.get(Credential, valid.id).state == "active"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.confirmed"))
    assert event.after["override_reason"] == "Her card from before she married"


def _upload_bls(org, issued, expires, number="7Z7Z-11AA-22BB"):
    card = Certificate("American Heart Association", "BLS Provider", org.employee.full_name, number, issued, expires,
                       number_label="eCard Code:")
    document = documents.upload(io.BytesIO(certificate_pdf(card)), "bls.pdf", org.employee, org.employee_user)
    db.session.refresh(document)
    assert document.state == "needs_review", document.last_error
    return document


def test_a_foreign_number_a_number_held_by_another_and_a_long_expiry_each_need_a_tick_and_a_reason(
        live_server, browser, page, sign_in, shot, org):
    today = date.today()
    org.bls.issuer.license_number_patterns = [r"[0-9]{10}"]  # AHA's eCards, for this test: ten digits
    factories.credential(org.outsider, org.bls, expires_on=add_months(today, 12), license_number="7Z7Z-11AA-22BB")
    db.session.commit()
    issued = today - timedelta(days=20)
    document = _upload_bls(org, issued, add_months(issued, 120))

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    page.get_by_label("Credential type").select_option(label="BLS Provider")
    page.get_by_label("License / certificate number").fill("7Z7Z-11AA-22BB")
    page.get_by_role("button", name="Confirm", exact=True).click()
    pattern, elsewhere = page.locator('[data-check="number_pattern"]'), page.locator('[data-check="number_elsewhere"]')
    beyond = page.locator('[data-check="expiry_beyond_validity"]')
    expect(pattern).to_contain_text("does not look like a number American Heart Association issues")
    expect(elsewhere).to_contain_text(f"already recorded for {org.outsider.full_name}")
    expect(beyond).to_contain_text("further out than a BLS Provider lasts (24 months")
    shot(page, "three-checks-stop-confirm")

    # Each needs its own tick: two of three still stop at the third.
    pattern.get_by_label("I have looked: accept this anyway").check()
    elsewhere.get_by_label("I have looked: accept this anyway").check()
    page.get_by_label("Why you accept what the checks found").fill("Transferred from the old eCard system")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#r-expiry_date-error")).to_contain_text("further out than a BLS Provider lasts")
    db.session.expire_all()
    assert db.session.scalar(select(Credential).where(Credential.person_id == org.employee.id)) is None

    # All three ticked, but no reason: still refused.
    page.locator('[data-check="expiry_beyond_validity"]').get_by_label("I have looked: accept this anyway").check()
    page.get_by_label("Why you accept what the checks found").fill("")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#r-override_reason-error")).to_contain_text("Say why you accept this")
    db.session.expire_all()
    assert db.session.scalar(select(Credential).where(Credential.person_id == org.employee.id)) is None

    page.get_by_label("Why you accept what the checks found").fill("Transferred from the old eCard system")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#flashes")).to_contain_text("Confirmed")
    db.session.expire_all()
    assert db.session.scalar(select(Credential).where(Credential.person_id == org.employee.id)).expires_on \
        == add_months(issued, 120)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.confirmed"))
    assert {c["code"]: c["overridden"] for c in event.after["checks"]} == {
        "number_pattern": True, "number_elsewhere": True, "expiry_beyond_validity": True}
    assert event.after["override_reason"] == "Transferred from the old eCard system"

    # The audit log says what was accepted and why.
    admin = browser.new_context(base_url=live_server.base_url, viewport={"width": 1280, "height": 900}).new_page()
    sign_in(admin, org.admin_user)
    admin.goto(live_server.url_for("audit.log", action="document.confirmed"))
    expect(admin.get_by_text("because: Transferred from the old eCard system")).to_be_visible()
    shot(admin, "override-in-the-audit-log")
    admin.context.close()


@pytest.mark.parametrize("issued_shift, expires_shift, field, code, says", [
    (timedelta(days=30), timedelta(days=30 + 730), "issue_date", "issued_in_future", "is in the future"),
    (timedelta(days=-100), timedelta(days=-400), "expiry_date", "issued_after_expiry", "before it was issued"),
], ids=["issued-in-the-future", "issued-after-expiry"])
def test_an_impossible_date_stops_confirm_until_it_is_corrected(
        live_server, page, sign_in, shot, org, issued_shift, expires_shift, field, code, says):
    today = date.today()
    issued = today - timedelta(days=60)
    document = _upload_bls(org, issued, add_months(issued, 24))

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    page.get_by_label("Credential type").select_option(label="BLS Provider")
    page.get_by_label("Issued on").fill((today + issued_shift).isoformat())
    page.get_by_label("Expires on").fill((today + expires_shift).isoformat())
    page.get_by_role("button", name="Confirm", exact=True).click()
    check = page.locator(f'#r-{field}-error [data-check="{code}"]')
    expect(check).to_contain_text(says)
    expect(check).to_contain_text("Correct this")
    # a date that cannot be is not accepted knowingly: there is nothing to tick
    expect(check.get_by_role("checkbox")).to_have_count(0)
    shot(page, "impossible-date-stops")
    db.session.expire_all()
    assert db.session.scalar(select(Credential)) is None

    page.get_by_label("Issued on").fill(issued.isoformat())
    page.get_by_label("Expires on").fill(add_months(issued, 24).isoformat())
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#flashes")).to_contain_text("Confirmed")
    db.session.expire_all()
    assert db.session.scalar(select(Credential)).issued_on == issued
