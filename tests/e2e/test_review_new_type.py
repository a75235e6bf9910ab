"""In Chromium: a document of a type the catalogue lacks is finished without an admin."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Credential, Extraction
from portal.policies.dates import add_months
from tests.support import factories

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def _read_as_an_unknown_type(org):
    """An upload read as a type and issuer the catalogue does not have."""
    document = factories.document(org.employee, uploaded_by=org.employee_user)
    db.session.add(Extraction(document=document, fields={
        "holder_name": org.employee.full_name, "credential_type": "Confined Space Entry",
        "issuer": "Harbour Safety Ltd"}, confidence={"credential_type": 0.0}))
    db.session.commit()
    return document


def test_inline_type_creation_unblocks_a_confirmation(live_server, page, sign_in, shot, org):
    document = _read_as_an_unknown_type(org)
    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.get_by_text("Choose the credential type")).to_be_visible()
    page.get_by_role("link", name="Not in the list? Add the type").click()
    page.locator("#new-type summary").click()
    expect(page.get_by_label("Type name")).to_have_value("Confined Space Entry")
    expect(page.get_by_label("New issuer's name")).to_have_value("Harbour Safety Ltd")
    page.get_by_label("Valid for (months)").fill("36")
    shot(page, "new-type-form")
    page.get_by_role("button", name="Add and use for this document").click()
    expect(page.locator("#flashes")).to_contain_text("Added Confined Space Entry")
    expect(page.locator("#r-credential_type_id option:checked")).to_have_text("Confined Space Entry")
    # The browser keeps the real clock: issued a few months ago, whatever the day.
    page.get_by_label("Issued on").fill(add_months(date.today(), -3).isoformat())
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#flashes")).to_contain_text("Confirmed: Confined Space Entry")
    db.session.expire_all()
    assert db.session.scalar(select(Credential)).credential_type.name == "Confined Space Entry"


def test_a_reviewer_parks_the_document_as_new_type_requested(live_server, page, sign_in, shot, org):
    document = _read_as_an_unknown_type(org)
    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    page.locator("#new-type summary").click()
    page.get_by_role("button", name="Ask an administrator to add it").click()
    expect(page.locator("#flashes")).to_contain_text("waits for “Confined Space Entry (Harbour Safety Ltd)”")
    expect(page.get_by_label("State")).to_contain_text("New type requested (1)")
    page.goto(live_server.url("/review?state=type_requested"))  # (the filter's own swap is tested elsewhere)
    row = page.locator(f'[data-document-id="{document.id}"]')
    expect(row).to_contain_text("New type requested")
    expect(row).to_contain_text("Waiting for “Confined Space Entry (Harbour Safety Ltd)”")
    shot(page, "queue-new-type-requested")
    row.get_by_role("button", name="Review").click()
    expect(page.locator("[data-type-request]")).to_contain_text("Waiting for a new credential type")
    db.session.expire_all()
    assert db.session.get(type(document), document.id).state == "type_requested"
    assert db.session.scalar(select(Credential)) is None
