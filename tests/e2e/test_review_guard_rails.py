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
