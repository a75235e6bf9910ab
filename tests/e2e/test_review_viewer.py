"""The review page's document viewer in Chromium: outlines that leave the value readable, zoom, rotate."""
from __future__ import annotations

import io

import pytest

from portal.demo.documents import Certificate, certificate_pdf
from portal.extensions import db
from portal.services import documents
from tests.review.conftest import bls

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def _geometry(page, selector):
    return page.locator(selector).first.evaluate("e => { const r = e.getBoundingClientRect();"
                                                 " return [r.left, r.top, r.right, r.bottom]; }")


def test_the_viewer_outlines_values_and_zooms_and_turns_the_page(live_server, page, sign_in, shot, org):
    card: Certificate = bls(holder=org.employee.full_name)
    document = documents.upload(io.BytesIO(certificate_pdf(card)), "bls.pdf", org.employee, org.employee_user)
    db.session.refresh(document)
    assert document.state == "needs_review", document.last_error
    box = document.latest_extraction.evidence["license_number"]["bbox"]

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url(f"/review/{document.id}"))
    image = page.locator(".doc-page img").first
    expect(image).to_have_js_property("complete", True)
    shot(page, "viewer")

    # The outline stands outside the value's own box and does not paint over it.
    left, top, right, bottom = _geometry(page, ".doc-page img")
    w, h = right - left, bottom - top
    value = [left + box[0] * w, top + box[1] * h, left + box[2] * w, top + box[3] * h]
    outline = _geometry(page, '.evidence-box[data-field="license_number"] rect')
    assert outline[0] < value[0] and outline[1] < value[1] and outline[2] > value[2] and outline[3] > value[3]
    fill = page.locator('.evidence-box[data-field="license_number"] rect').evaluate("e => getComputedStyle(e).fill")
    assert fill in ("transparent", "rgba(0, 0, 0, 0)", "none"), fill

    # Zoom: the page grows inside its frame, which scrolls.
    frame_width = page.locator("[data-doc-pages]").evaluate("e => e.clientWidth")
    page.get_by_role("button", name="Zoom in").click()
    expect(page.get_by_role("button", name="Fit the page to the width")).to_have_text("150%")
    assert page.locator(".doc-page").first.evaluate("e => e.offsetWidth") == pytest.approx(frame_width * 1.5, abs=2)
    assert page.locator("[data-doc-pages]").evaluate("e => e.scrollWidth > e.clientWidth")
    shot(page, "zoomed")
    page.get_by_role("button", name="Fit the page to the width").click()
    expect(page.get_by_role("button", name="Fit the page to the width")).to_have_text("100%")

    # Rotate: a quarter turn, the evidence turning with the page, all of it inside the frame.
    page.get_by_role("button", name="Rotate the page a quarter turn clockwise").click()
    expect(page.locator("[data-doc-view-state]")).to_have_text("Turned 90°")
    turned = _geometry(page, ".doc-page")
    frame = _geometry(page, "[data-doc-pages]")
    assert turned[3] - turned[1] > turned[2] - turned[0], "a landscape certificate turned stands upright"
    assert frame[0] - 1 <= turned[0] and turned[2] <= frame[2] + 1 and frame[1] - 1 <= turned[1]
    outline = _geometry(page, '.evidence-box[data-field="license_number"] rect')
    assert outline[3] - outline[1] > outline[2] - outline[0], "the number's outline turned with the page"
    shot(page, "turned")


def test_a_phone_gets_the_page_above_the_form_with_the_same_tools(live_server, phone_page, sign_in, org):
    document = documents.upload(io.BytesIO(certificate_pdf(bls(holder=org.employee.full_name))), "bls.pdf",
                                org.employee, org.employee_user)
    sign_in(phone_page, org.reviewer_user)
    phone_page.goto(live_server.url(f"/review/{document.id}"))
    expect(phone_page.get_by_role("button", name="Zoom in")).to_be_visible()
    page_bottom = _geometry(phone_page, ".doc-page")[3]
    form_top = _geometry(phone_page, "#confirm-form")[1]
    assert page_bottom <= form_top
