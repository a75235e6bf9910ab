"""A credential added by hand on the registry is stopped by the review's checks, in Chromium."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Credential
from portal.policies.dates import add_months
from tests.support import factories

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_an_old_card_added_by_hand_goes_to_history_with_a_tick_and_a_reason(live_server, page, sign_in, shot, org):
    # The browser keeps the real clock, so the dates are relative to today.
    today = date.today()
    valid = factories.credential(org.employee, org.bls, expires_on=add_months(today, 8), license_number="LN-VALID")
    db.session.commit()
    issued = add_months(today, -40)

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/registry/new?person={org.employee.id}"))
    page.get_by_label("Credential type").select_option(label="BLS Provider")
    page.get_by_label("License / certificate number").fill("OLD-CARD-1")
    page.get_by_label("Issued on").fill(issued.isoformat())
    page.get_by_label("Expires on").fill(add_months(issued, 24).isoformat())
    page.get_by_role("button", name="Add credential").click()

    # Stopped, each check beside the dates with what clears it.
    expect(page.locator('[data-check="expired"]')).to_contain_text("This credential expired on")
    expect(page.locator('[data-check="older_than_current"]')).to_contain_text("only be added to history")
    expect(page.get_by_label("Expires on")).to_have_attribute("aria-describedby", "f-expires_on-hint f-dates-checks")
    shot(page, "hand-entry-stopped")
    db.session.expire_all()
    assert db.session.scalar(select(Credential).where(Credential.id != valid.id)) is None

    # The tick alone is not enough; with a reason, "Add to history" keeps the newer record current.
    page.get_by_label("I have looked: accept this anyway").check()
    page.get_by_role("button", name="Add to history").click()
    expect(page.locator("#f-override_reason-error")).to_contain_text("Say why you accept this")
    expect(page.get_by_label("I have looked: accept this anyway")).to_be_checked()
    page.get_by_label("Why you accept what the checks found").fill("Previous card from the paper file")
    page.get_by_role("button", name="Add to history").click()
    expect(page.locator("#flashes")).to_contain_text("Added by hand")
    shot(page, "added-to-history")

    db.session.expire_all()
    old = db.session.scalar(select(Credential).where(Credential.license_number == "OLD-CARD-1"))
    assert old.state == "superseded" and old.superseded_by_id == valid.id
    assert db.session.get(Credential, valid.id).state == "active"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credential.created",
                                                       AuditEvent.entity_id == str(old.id)))
    assert event.after["override_reason"] == "Previous card from the paper file"
    assert {c["code"]: c["overridden"] for c in event.after["checks"]} == {"expired": True,
                                                                        "older_than_current": False}
    expect(page.get_by_text("kept as history behind the newer record")).to_be_visible()
