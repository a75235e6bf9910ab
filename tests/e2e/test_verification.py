"""In Chromium: a reviewer checks a credential with a signed PDF and an Open Badge
(both made here) and sees each check, with its source and evidence, on the credential page."""
from __future__ import annotations

import json
from datetime import date

import pytest

from portal.extensions import db
from portal.services import verification
from tests.support import factories
from tests.verification import material

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_a_signed_pdf_and_a_badge_show_as_verified_on_the_credential_page(live_server, page, phone_page, sign_in,
                                                                         shot, org, tmp_path):
    pki = material.make_pki()
    verification.add_trust_root(pki.root_pem)
    credential = factories.credential(org.employee, org.bls, expires_on=date(2027, 6, 30))
    db.session.commit()
    pdf = tmp_path / "signed-card.pdf"
    pdf.write_bytes(material.signed_pdf(pki))
    # The badge's window runs to 2099 so the live server's real clock is inside it.
    badge = tmp_path / "bls-badge.png"
    badge.write_bytes(material.baked_png(json.dumps(material.signed_badge(
        material.issuer_key(), valid_until="2099-01-01T00:00:00Z"))))

    sign_in(page, org.reviewer_user)
    page.goto(live_server.url_for("registry.credential", credential_id=credential.id))
    section = page.locator("#verification")
    expect(section.locator(".verification-badge")).to_have_text("Not checked at source")

    page.set_input_files("#verify-file", str(pdf))
    page.get_by_role("button", name="Verify now").click()
    expect(section.locator(".verification-badge")).to_have_text("Verified")
    expect(section.locator(".verification-history li").first).to_contain_text("Test Board Registrar")

    page.set_input_files("#verify-file", str(badge))
    page.get_by_role("button", name="Verify now").click()
    first = section.locator(".verification-history li").first
    expect(first).to_contain_text("Open badge")
    expect(first).to_contain_text("Test Resuscitation Council")
    first.locator("summary").click()
    expect(first).to_contain_text("Data Integrity eddsa-jcs-2022")
    expect(section.locator(".verification-history li")).to_have_count(2)
    shot(page, "credential-verified")

    sign_in(phone_page, org.employee_user)
    phone_page.goto(live_server.url_for("registry.credential", credential_id=credential.id))
    expect(phone_page.locator("#verification .verification-badge")).to_have_text("Verified")
    expect(phone_page.get_by_role("button", name="Verify now")).to_have_count(0)  # employees see, not check
    shot(phone_page, "credential-verified-phone")


def test_the_admin_page_in_the_browser(live_server, page, sign_in, shot, org):
    sign_in(page, org.admin_user)
    page.goto(live_server.url_for("verification.admin_page"))
    expect(page.get_by_role("heading", name="Verification", exact=True)).to_be_visible()
    page.get_by_role("button", name="Import").click()  # no file chosen
    expect(page.locator("#f-file-error")).to_contain_text("Choose a roster")
    shot(page, "admin-verification")




@pytest.fixture(autouse=True)
def verification_day():
    """The portal (in this process) checks on material.NOW, ticking, the day
    the test's certificates and badges are made for; the browser's own clock
    plays no part in a verification."""
    import time_machine

    with time_machine.travel(material.NOW, tick=True):
        yield


def test_an_exclusion_import_goes_from_waiting_to_done_on_the_page_without_a_reload(live_server, page, sign_in,
                                                                                   shot, org, tmp_path,
                                                                                   paused_huey_consumer):
    """The admin uploads this month's LEIE; the import waits for a worker, then the page (polling
    with HTMX) shows it done with its counts while the page itself stays loaded."""
    from tests.verification.test_rosters import LEIE_HEADER

    listing = tmp_path / "UPDATED.csv"
    filler = [f"FILLER{i:05d},QQ,,,,,,,,,,OH,,1128a1,20250105,00000000,,\n" for i in range(4_999)]
    filler[2_500:2_500] = ["EMPLOYEE,ERIN,,,NURSE,,,,19800101,,,OH,,1128a1,20250105,00000000,,\n"]
    listing.write_text(LEIE_HEADER + "".join(filler))

    sign_in(page, org.admin_user)
    page.goto(live_server.url_for("verification.admin_page"))
    page.select_option("#f-kind", "exclusion")
    page.set_input_files("#f-file", str(listing))
    page.get_by_role("button", name="Import").click()
    item = page.locator("#imports .import-status").first
    expect(item).to_contain_text("Waiting")
    expect(item).to_contain_text("UPDATED.csv")
    shot(page, "import-waiting")
    page.evaluate("window.stillTheSamePage = true")  # gone if the page were loaded again

    paused_huey_consumer.start()

    expect(item.locator(".import-state")).to_have_text("Done", timeout=20_000)
    expect(item.locator(".import-counts")).to_have_text("5,000 rows, 1 matched, 1 alerts")
    assert page.evaluate("window.stillTheSamePage === true")
    shot(page, "import-done")


def test_a_failed_import_is_tried_again_from_its_row_and_finishes_without_a_reload(live_server, page, sign_in,
                                                                                  shot, org, huey_consumer):
    """The stored file was out of reach when the job ran (a volume not mounted); once it is back the
    admin presses Try again on the failed row, which waits, polls and shows the import done."""
    import io

    from portal.services.documents import stored_path
    from portal.services.verification import rosters
    from tests.verification.test_rosters import LEIE_HEADER

    record = rosters.receive(io.BytesIO((LEIE_HEADER + "EMPLOYEE,ERIN,,,NURSE,,,,19800101,,,OH,,1128a1,"
                                         "20250105,00000000,,\n").encode()), "LEIE.csv", "exclusion",
                             actor=org.admin_user)
    path = stored_path(record.sha256)
    kept = path.read_bytes()
    path.unlink()
    assert rosters.run(record.id).state == "failed"
    path.write_bytes(kept)

    sign_in(page, org.admin_user)
    page.goto(live_server.url_for("verification.admin_page", _anchor="imports"))
    item = page.locator(f"#import-{record.id}")
    expect(item.locator(".import-state")).to_have_text("Failed")
    expect(item.locator(".import-error")).to_contain_text("could not be read")
    shot(page, "import-failed")
    page.evaluate("window.stillTheSamePage = true")

    item.get_by_role("button", name="Try again").click()

    expect(item.locator(".import-state")).to_have_text("Done", timeout=20_000)
    expect(item.locator(".import-counts")).to_have_text("1 rows, 1 matched, 1 alerts")
    expect(item.get_by_role("button", name="Try again")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage === true")
    shot(page, "import-retried")
