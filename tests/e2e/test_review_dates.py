"""A UK certificate's numeric dates in Chromium: spelled out, marked, looked at."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.models import Credential
from portal.policies.date_reading import as_date, spelled, swapped
from portal.policies.dates import add_months
from portal.services import documents

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def _ambiguous_issue_day() -> date:
    """About ten months ago, on a day that is also a month number (and not the month itself)."""
    day = (date.today() - timedelta(days=300)).replace(day=9)
    return day.replace(day=10) if day.month == 9 else day


def test_an_ambiguous_uk_date_is_spelled_out_and_needs_a_look(live_server, page, sign_in, shot, org):
    """Whichever order the pipeline settled on, a date only the locale
    decided is spelled out in that order, named with its other reading, and
    held until the reviewer has looked: by ticking it when it is right, or
    by typing the right dates when it is not."""
    issued = _ambiguous_issue_day()
    expires = add_months(issued, 24)
    card = Certificate("Resuscitation Council UK", "Immediate Life Support", org.employee.full_name, "RC-448812",
                       issued, expires, number_label="Certificate No:", date_format="%d/%m/%Y")
    document = documents.upload(io.BytesIO(certificate_pdf(card)), "ils.pdf", org.employee, org.employee_user)
    db.session.refresh(document)
    fields = document.latest_extraction.fields
    assert "expiry_date" in fields["ambiguous"], "the pipeline could not settle the order"
    read = as_date(fields["expiry_date"])
    assert read in (expires, swapped(expires))
    order = "day first" if read == expires else "month first"

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    page.get_by_label("Credential type").select_option(label=org.bls.name)
    expect(page.locator("#r-expiry_date-spelled")).to_have_text(spelled(read))
    expect(page.locator(".date-order")).to_contain_text(order)
    check = page.locator('[data-check="ambiguous_expiry_date"]')
    expect(check).to_contain_text(f"could be {spelled(read)} or {spelled(swapped(read))}")
    shot(page, "ambiguous-dates-marked")

    # Kept as read, the confirmation waits for a look (the page comes back
    # from the server: wait for it, or the dates typed next go to the old one).
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator('[data-check="ambiguous_expiry_date"]')).to_be_visible()
    assert db.session.scalar(select(Credential)) is None
    if read == expires:
        # Read right: the reviewer says they checked the dates on the document.
        for box in page.get_by_label("I have checked this date on the document").all():
            box.check()
    else:
        # Misread: the reviewer types the right dates; the spelling follows as they type.
        page.get_by_label("Issued on").fill(issued.isoformat())
        page.get_by_label("Expires on").fill(expires.isoformat())
        expect(page.locator("#r-expiry_date-spelled")).to_have_text(spelled(expires))
    shot(page, "dates-settled")
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#flashes")).to_contain_text("Confirmed")
    db.session.expire_all()
    assert db.session.scalar(select(Credential)).expires_on == expires
