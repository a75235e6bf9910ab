"""In Chromium: an auditor filters the audit log by person and period, and the CSV holds what the page shows."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from portal.extensions import db
from portal.models import utcnow
from portal.services import audit
from tests.support import factories

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_the_audit_export_holds_what_the_page_shows(live_server, page, sign_in, shot, org):
    mine = factories.credential(org.employee, org.bls, expires_on=date(2028, 9, 2))
    theirs = factories.credential(org.outsider, org.bls, expires_on=date(2027, 1, 1))
    db.session.flush()
    audit.record("credential.edited", mine, actor=org.reviewer_user,
                 before={"expires_on": "2028-09-02"}, after={"expires_on": "2028-02-09"})
    audit.record("credential.edited", theirs, actor=org.reviewer_user,
                 before={"expires_on": "2027-01-01"}, after={"expires_on": "2027-02-01"})
    db.session.commit()
    today = utcnow().date().isoformat()  # the browser and the events share the real clock

    sign_in(page, org.admin_user)
    page.goto(live_server.url("/admin/audit"))
    page.get_by_label("About whom").fill(org.employee.employee_id)
    page.get_by_label("From", exact=True).fill(today)
    page.get_by_label("To", exact=True).fill(today)
    page.get_by_role("button", name="Filter").click()
    sentences = page.locator(".audit-sentence")
    expect(sentences.first).to_be_visible()
    expect(page.locator("#audit_results")).not_to_contain_text("1 Jan 2027")
    shown = [" ".join(s.split()) for s in sentences.all_inner_texts()]
    assert any(f"{org.reviewer_user.display_name} edited credential BLS Provider of {org.employee.full_name}"
               in s and "expiry from 2 Sep 2028 to 9 Feb 2028" in s for s in shown), shown
    shot(page, "filtered-log")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export these events (CSV)").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["When (UTC)", "Who", "Action"]
    assert [r[5] for r in rows[1:]] == shown, "the export holds what the page shows, in its order"
    assert {r[1] for r in rows[1:]} <= {org.reviewer_user.display_name, org.employee_user.display_name, "system"}
