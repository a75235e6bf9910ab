"""Label pairing and field rules on born-digital documents made in the test."""
import intake
from tests.intake.conftest import make_pdf


def test_label_right_of_value_with_traps(card_pdf):
    e = intake.extract(card_pdf)
    assert e.error is None and e.method == "text"
    assert e.issuer == "Harbor Valley Welding Institute"       # unknown issuer: heading organisation
    assert e.holder_name == "Marta L Rivera"                     # "LAST, FIRST" in natural order
    assert e.license_number == "HVW-40917"                       # not the candidate ID
    assert e.issue_date == "2023-06-15"
    assert e.expiry_date == "2026-06-30"                         # not the date of birth
    assert e.expiry_predicted is False
    assert e.confidence["license_number"] >= 0.9
    ev = e.evidence["license_number"]
    assert ev.text == "HVW-40917" and ev.page == 1
    x0, top, x1, bottom = ev.bbox
    assert 0 < x0 < x1 < 1 and 0 < top < bottom < 1 and abs(top - 215 / 792) < 0.03


def test_values_below_column_headers(tmp_path):
    pdf = make_pdf(tmp_path / "cols.pdf", [[
        (72, 60, 16, "Texas Department of Licensing and Regulation"),
        (72, 120, 9, "LICENSE TYPE"), (330, 120, 9, "LICENSEE"),
        (72, 134, 11, "Master Electrician"), (330, 134, 11, "Dana K. Ortiz"),
        (72, 160, 9, "LICENSE NO."), (330, 160, 9, "ADDRESS"),
        (72, 174, 11, "123456"), (330, 174, 11, "8225 Magnolia St"),
        (72, 200, 9, "ISSUE DATE"), (250, 200, 9, "EXPIRATION DATE"), (430, 200, 9, "DOB"),
        (72, 214, 11, "04/04/2021"), (250, 214, 11, "04/04/2022"), (430, 214, 11, "04/16/1973"),
    ]])
    e = intake.extract(pdf)
    assert (e.issuer, e.license_number, e.issue_date, e.expiry_date) == (
        "Texas Department of Licensing and Regulation", "123456", "2021-04-04", "2022-04-04")
    assert e.credential_type == "Master Electrician"
    assert e.holder_name == "Dana K. Ortiz"


def test_sentence_letter_and_validity_range(tmp_path):
    pdf = make_pdf(tmp_path / "letter.pdf", [[
        (72, 60, 16, "Project Management Institute"),
        (72, 120, 11, "March 3, 2024"),
        (72, 150, 11, "This is to certify that"),
        (72, 170, 14, "Priya Raman"),
        (72, 200, 11, "Your certification number is 3141592. Valid from 02/01/2024 to 01/31/2027."),
        (72, 220, 11, "Please report continuing education by 12/01/2026."),
    ]])
    e = intake.extract(pdf)
    assert e.holder_name == "Priya Raman"
    assert e.license_number == "3141592"
    assert (e.issue_date, e.expiry_date) == ("2024-02-01", "2027-01-31")


def test_no_expiry_stays_null_for_never_expiring_type(tmp_path):
    pdf = make_pdf(tmp_path / "osha.pdf", [[
        (72, 60, 16, "Occupational Safety and Health Administration"),
        (72, 100, 12, "OSHA 10-Hour Construction Industry Outreach Training"),
        (72, 140, 12, "MOORE, ALEX"),
        (72, 170, 11, "Card No.: 12-345678901"),
        (72, 190, 11, "Date Issued: 08/23/2021"),
    ]])
    e = intake.extract(pdf)
    assert e.issue_date == "2021-08-23"
    assert e.expiry_date is None and e.expiry_predicted is False


def test_expiry_predicted_from_directory_validity(tmp_path):
    pdf = make_pdf(tmp_path / "bls.pdf", [[
        (72, 60, 16, "American Heart Association"),
        (72, 100, 12, "BLS Provider"),
        (72, 140, 11, "Name: Jordan Lee"),
        (72, 160, 11, "eCard Code: 123456789012"),
        (72, 180, 11, "Issue Date: 05/10/2023"),
    ]])
    e = intake.extract(pdf)
    assert e.credential_type_code == "AHA-BLS"
    assert e.expiry_date == "2025-05-10" and e.expiry_predicted is True
    assert e.confidence["expiry_date"] < 0.9
