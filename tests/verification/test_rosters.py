"""Roster and exclusion files made here: matches, near misses, changes only, bad files."""
from __future__ import annotations

import io

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import ExclusionMatch, Notification, Verification, VerificationImport, VerificationState
from portal.services.verification import rosters
from tests.support import factories

ROSTER_HEADER = "License Number,First Name,Last Name,License Status,Expiration Date,Discipline,State\n"
LEIE_HEADER = ("LASTNAME,FIRSTNAME,MIDNAME,BUSNAME,GENERAL,SPECIALTY,UPIN,NPI,DOB,ADDRESS,CITY,STATE,ZIP,"
               "EXCLTYPE,EXCLDATE,REINDATE,WAIVERDATE,WVRSTATE\n")


@pytest.fixture
def nurse(org):
    rn = factories.credential_type("Registered Nurse", code="OH-RN")
    credential = factories.credential(org.employee, rn, license_number="RN-445566")
    db.session.commit()
    return credential


def _import(text: str, kind: str, user=None, name="file.csv"):
    return rosters.import_file(io.BytesIO(text.encode()), name, kind, actor=user)


def test_a_roster_in_good_standing_verifies_the_matched_credential(nurse, org):
    result = _import(ROSTER_HEADER + "RN445566,Erin,Employee,Active,2027-05-31,No,OH\n"
                     "RN999999,Some,One,Active,2027-01-01,No,OH\n", "roster")

    assert result.record.rows == 2 and result.record.matched == 1
    assert db.session.get(VerificationState, nurse.id).outcome == "verified"
    assert [e["row"] for e in result.near_misses] == [3]  # the unknown number is listed, not lost


def test_only_changes_raise_alerts(nurse, org):
    good = ROSTER_HEADER + "RN445566,Erin,Employee,Active,2027-05-31,No,OH\n"
    first = _import(good, "roster")
    again = _import(good, "roster")
    disciplined = _import(ROSTER_HEADER + "RN445566,Erin,Employee,Active,2027-05-31,Probation,OH\n", "roster")
    same_discipline = _import(ROSTER_HEADER + "RN445566,Erin,Employee,Active,2027-05-31,Probation,OH\n",
                              "roster")

    assert [first.record.alerts, again.record.alerts, disciplined.record.alerts,
            same_discipline.record.alerts] == [1, 0, 1, 0]
    assert db.session.get(VerificationState, nurse.id).outcome == "failed"
    assert db.session.query(Verification).filter_by(method="roster").count() == 4  # each import is evidence
    assert db.session.query(Notification).filter_by(kind="verification", recipient_email=org.employee.email).count() == 1


def test_a_roster_listing_the_number_for_someone_else_does_not_verify(nurse):
    _import(ROSTER_HEADER + "RN445566,Zed,Quux,Active,2027-05-31,No,OH\n", "roster")
    assert db.session.get(VerificationState, nurse.id).outcome == "unverifiable"


def test_an_exclusion_match_marks_the_person_and_fails_their_credentials(nurse, org):
    result = _import(LEIE_HEADER + "EMPLOYEE,ERIN,,,NURSE,,,0000000000,19800101,1 MAIN ST,DAYTON,OH,45402,"
                     "1128a1,20250105,00000000,00000000,\n"
                     "EMPLOYEE,KARIN,,,NURSE,,,,19800101,,,OH,,1128a1,20250105,00000000,,\n"
                     "OUTSIDERR,OSKAR,,,,,,,,,,,,1128a1,20250105,00000000,,\n", "exclusion")

    matches = db.session.query(ExclusionMatch).all()
    assert [m.person_id for m in matches] == [org.employee.id]
    assert db.session.get(VerificationState, nurse.id).outcome == "failed"
    assert {n["person_id"] for n in result.near_misses} == {org.employee.id, org.outsider.id}  # close, not flagged
    assert result.record.alerts == 1


def test_the_same_listing_next_month_raises_no_new_alert_and_reinstated_rows_are_skipped(nurse, org):
    row = "EMPLOYEE,ERIN,,,NURSE,,,,19800101,,,OH,,1128a1,20250105,00000000,,\n"
    _import(LEIE_HEADER + row, "exclusion")
    again = _import(LEIE_HEADER + row + "MANAGER,MAX,,,,,,,,,,,,1128a1,20200101,20240101,,\n", "exclusion")
    assert again.record.alerts == 0
    assert db.session.query(ExclusionMatch).count() == 1


@pytest.mark.parametrize("text,name,message", [
    ("Nurse,Number\nA,B\n", "roster.csv", "no column for license number"),
    ("", "roster.csv", "empty"),
    ("x", "roster.pdf", "CSV or an Excel"),
], ids=["unknown-columns", "empty", "wrong-type"])
def test_bad_roster_files_are_refused_with_a_reason(nurse, text, name, message):
    with pytest.raises(Invalid) as refused:
        _import(text, "roster", name=name)
    assert message in refused.value.message
    assert refused.value.field == "file"
    assert db.session.query(VerificationImport).count() == 0


def test_an_old_style_xls_roster_verifies_with_its_numbers_and_dates(nurse, org):
    """A .xls (BIFF8, built here: no maintained package writes one) as boards still send them: a licence
    number typed as a number comes back from the file as 778899.0 and must match "778899"."""
    from datetime import date

    from tests.support import xls

    second = factories.credential(org.manager, nurse.credential_type, license_number="778899")
    db.session.commit()
    data = xls.workbook([["License Number", "First Name", "Last Name", "License Status", "Expiration Date",
                          "Discipline"],
                         ["RN445566", "Erin", "Employee", "Active", date(2027, 5, 31), "No"],
                         [778899, "Max", "Manager", "Active", date(2026, 9, 30), "No"]])

    result = rosters.import_file(io.BytesIO(data), "e-notify.xls", "roster")

    assert (result.record.state, result.record.rows, result.record.matched) == ("done", 2, 2)
    assert db.session.get(VerificationState, nurse.id).outcome == "verified"
    assert db.session.get(VerificationState, second.id).outcome == "verified"
    checks = {v.credential_id: v.evidence for v in db.session.query(Verification)}
    assert checks[nurse.id]["expires_on"].startswith("2027-05-31")


def test_a_damaged_xls_is_refused_at_upload_with_a_reason(nurse):
    with pytest.raises(Invalid) as refused:
        _import("License Number,License Status\nRN1,Active\n", "roster", name="roster.xls")
    assert "could not be read as an old-style Excel workbook (.xls)" in refused.value.message
    assert db.session.query(VerificationImport).count() == 0


def test_a_file_with_too_many_rows_fails_its_import_with_the_reason_and_keeps_the_file(app, nurse):
    from portal.services.documents import stored_path

    app.config["VERIFICATION_IMPORT_MAX_ROWS"] = 1000
    text = ROSTER_HEADER + "".join(f"RN{i:06d},A,B,Active,,No,OH\n" for i in range(100_000))

    record = _import(text, "roster").record

    assert record.state == "failed"
    assert "more than 1,000 rows" in record.error
    assert stored_path(record.sha256).read_bytes() == text.encode()  # the evidence stays
    assert db.session.query(Verification).count() == 0


def test_an_exclusion_list_of_100000_rows_is_imported_with_its_matches_and_near_misses(nurse, org):
    """The monthly LEIE has about 80,000 rows: more than a people import may have, and each is
    compared only with the people whose names start alike (misspelt on both words still found)."""
    import random
    import string

    rng = random.Random(14)
    filler = ["".join(rng.choice(string.ascii_uppercase) for _ in range(8)) for _ in range(2 * 99_997)]
    rows = [f"{filler[2 * i]},{filler[2 * i + 1]},,,,,,,,,,OH,,1128a1,20250105,00000000,,\n" for i in range(99_997)]
    rows[40_000:40_000] = ["EMPLOYEE,ERIN,,,NURSE,,,,19800101,,,OH,,1128a1,20250105,00000000,,\n",
                           "OUTSIDR,OSKAR,,,,,,,,,,OH,,1128a1,20250105,00000000,,\n",  # both words misspelt
                           "MANAGR,MAXX,,,,,,,,,,OH,,1128a1,20250105,00000000,,\n"]

    result = _import(LEIE_HEADER + "".join(rows), "exclusion")

    assert (result.record.rows, result.record.matched, result.record.alerts) == (100_000, 1, 1)
    assert [m.person_id for m in db.session.query(ExclusionMatch)] == [org.employee.id]
    assert {n["person_id"]: n["row"] for n in result.near_misses} == {org.outsider.id: 40_003,
                                                                        org.manager.id: 40_004}


def test_the_person_page_shows_staff_an_exclusion_match(nurse, org, login):
    _import(LEIE_HEADER + "EMPLOYEE,ERIN,,,NURSE,,,,19800101,,,OH,,1128a1,20250105,00000000,,\n", "exclusion")
    staff = login(org.compliance_user).get(f"/people/{org.employee.id}").get_data(as_text=True)
    assert "On an exclusion list" in staff and "1128a1" in staff
    own = login(org.employee_user).get(f"/people/{org.employee.id}").get_data(as_text=True)
    assert "On an exclusion list" not in own
