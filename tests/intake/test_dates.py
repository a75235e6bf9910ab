"""Dates: formats, locales and traps."""
import datetime as dt

import pytest

import intake
from intake.dates import (
    decide_document_order,
    decide_order,
    expand_year,
    find_dates,
    locale_from_text,
    parse_date,
)
from tests.intake.conftest import make_pdf


@pytest.mark.parametrize("text, locale, expected", [
    ("Oct 8, 2020", "US", "2020-10-08"),
    ("September 22, 2020", "US", "2020-09-22"),
    ("Dec. 31st, 2021", "US", "2021-12-31"),
    ("28 May 2024", "UK", "2024-05-28"),
    ("28th of May, 2024", "UK", "2024-05-28"),
    ("2023-07-28", "UK", "2023-07-28"),
    ("26.03.2022", "EU", "2022-03-26"),
    ("09/07/2021", "US", "2021-09-07"),          # ambiguous: the locale decides
    ("09/07/2021", "UK", "2021-07-09"),
    ("09.07.2021", None, "2021-07-09"),          # dots mean day first
    ("13/07/2021", "US", "2021-07-13"),          # a part over 12 settles it, whatever the locale
    ("07/13/2021", "UK", "2021-07-13"),
    ("06/2022", "US", "2022-06-30"),             # month-only expiry: the month's last day
    ("February 2024", "US", "2024-02-29"),
    ("04/16/73", "US", "1973-04-16"),            # two-digit years in a sane window
    ("04/16/29", "US", "2029-04-16"),
    ("15. März 2023", "EU", "2023-03-15"),
    ("Sep 13,\n2019", "US", "2019-09-13"),       # wrapped over a line
])
def test_parse_date(text, locale, expected):
    assert parse_date(text, locale) == dt.date.fromisoformat(expected)


@pytest.mark.parametrize("text", ["(303) 741-6819", "Austin, TX 78772", "ORD-1577279", "Fee Paid: $45.00",
                                  "31/02/2021", "Version 2.10.2024b"])
def test_not_dates(text):
    assert all(m.resolve("MDY") is None and m.resolve("DMY") is None for m in find_dates(text)) or not find_dates(text)


def test_order_is_decided_once_per_document():
    mentions = find_dates("Issued 05/06/2021  Expires 25/06/2024")
    assert decide_order(mentions, "US") == ("DMY", True)
    assert [m.resolve("DMY").isoformat() for m in mentions] == ["2021-06-05", "2024-06-25"]


def test_expand_year_window():
    today = dt.date(2025, 1, 1)
    assert expand_year("55", today) == 2055
    assert expand_year("56", today) == 1956


# --- one order per document, and why (issue 11) ---------------------------------------

def _pair(issued: str, expires: str):
    mentions = find_dates(f"Issued {issued} Expires {expires}")
    return mentions, [(mentions[0], mentions[1])]


@pytest.mark.parametrize("issued, expires, order, by_locale", [
    ("25/03/2024", "04/05/2026", "DMY", False),     # a part over 12 settles the whole document
    ("03/25/2024", "05/04/2026", "MDY", False),
    ("09/02/2024", "08/02/2027", "DMY", False),     # only day first is a whole number of years (to the day before)
    ("02/09/2024", "02/08/2027", "MDY", False),
    ("09/02/2024", "09/02/2027", "MDY", True),      # both orders are whole years: a guess
    ("09.02.2024", "09.02.2027", "DMY", False),     # dots
])
def test_the_documents_own_dates_decide_the_order_before_any_locale(issued, expires, order, by_locale):
    mentions, pairs = _pair(issued, expires)
    decision = decide_document_order(mentions, pairs, text="")
    assert (decision.order, decision.by_locale) == (order, by_locale)
    assert decision.reason.endswith(".")


def test_a_taught_order_comes_before_the_locale_but_after_the_page():
    mentions, pairs = _pair("09/02/2024", "09/02/2027")
    assert decide_document_order(mentions, pairs, learned="DMY", locale="US").order == "DMY"
    mentions, pairs = _pair("09/02/2024", "08/02/2027")
    assert decide_document_order(mentions, pairs, learned="MDY").order == "DMY"


@pytest.mark.parametrize("text, order", [
    ("12 Harbour Road, Cork, Ireland", "DMY"),
    ("Toronto, Ontario M5V 2T6", "DMY"),
    ("Call (512) 555-0188, Austin, TX 78701", "MDY"),
    ("Nothing here", None),
])
def test_locale_cues_on_the_page(text, order):
    assert locale_from_text(text)[0] == order


def test_an_ambiguous_date_read_by_locale_alone_is_flagged_and_stays_below_review(tmp_path):
    path = make_pdf(tmp_path / "a.pdf", [[
        (72, 60, 16, "Harbourside Guild Ltd"), (72, 120, 11, "Holder: Ann Lee"),
        (72, 170, 11, "Date of Issue: 09/02/2024"), (72, 195, 11, "Expiry Date: 09/02/2027"),
        (72, 300, 9, "12 Harbour Road, Cork, Ireland")]])
    e = intake.extract(path)
    assert (e.issue_date, e.expiry_date, e.date_order) == ("2024-02-09", "2027-02-09", "DMY")
    assert e.ambiguous == ["issue_date", "expiry_date"] and "Ireland" in e.date_order_reason
    assert max(e.confidence["issue_date"], e.confidence["expiry_date"]) < 0.75


def test_consistency_settles_what_the_locale_would_get_wrong(tmp_path):
    path = make_pdf(tmp_path / "a.pdf", [[
        (72, 60, 16, "Harbourside Guild Ltd"), (72, 120, 11, "Holder: Ann Lee"),
        (72, 170, 11, "Date of Issue: 09/02/2024"), (72, 195, 11, "Expiry Date: 08/02/2027"),
        (72, 300, 9, "Austin, TX 78701")]])
    e = intake.extract(path)
    assert (e.issue_date, e.expiry_date, e.date_order, e.ambiguous) == ("2024-02-09", "2027-02-08", "DMY", [])


def test_a_printed_validity_gives_the_expiry(tmp_path):
    path = make_pdf(tmp_path / "a.pdf", [[
        (72, 60, 16, "Harbourside Guild Ltd"), (72, 120, 11, "Holder: Ann Lee"),
        (72, 170, 11, "Date of Issue: March 4, 2024"),
        (72, 195, 11, "This certificate remains valid for a period of three (3) years.")]])
    assert intake.extract(path).expiry_date == "2027-03-04"


@pytest.mark.parametrize("text, expected", [
    ("Practising Ist of April 2021", "2021-04-01"),   # OCR reads the 1 of "1st" as a capital I ...
    ("lst of March 2022", "2022-03-01"),              # ... or a small l
    ("31st of March 2022", "2022-03-31"),
    ("REGISTERED FROM ...... : January lst, 2019", "2019-01-01"),   # month first, as a US printout says it
    ("Jan. Ist 2019", "2019-01-01"),
])
def test_an_ocr_ordinal_first_is_the_first(text, expected):
    got = [m.resolve("DMY").isoformat() for m in find_dates(text)]
    assert got == [expected]


def test_istanbul_is_no_first_of_the_month():
    assert [m.kind for m in find_dates("Istanbul of May 2020")] == ["month"]
    assert find_dates("January list, 2019") == []   # a word, not an ordinal


def test_an_expiry_on_or_before_the_issue_is_a_previous_periods():
    # the earlier expiry's label is the stronger one, but it ends before this period began
    from tests.intake.test_ocr_classes import fields
    got, _ = fields([(200, 150, "Harbourside Guild Ltd"), (200, 500, "Issued"), (900, 500, "14/01/2019"),
                     (200, 600, "Expiry Date"), (900, 600, "31/12/2018"),
                     (200, 700, "Renew before"), (900, 700, "30/06/2020")], conf=0.9)
    assert (got["issue_date"][0], got["expiry_date"][0]) == ("2019-01-14", "2020-06-30")


def test_a_date_run_on_into_the_next_cell_is_still_a_date():
    # a text layer can join a table's cells: "17th of February 2024CRS-4550 Hazard spotting"
    assert [m.resolve("DMY").isoformat() for m in find_dates("17th of February 2024CRS-4550 Hazard")] == ["2024-02-17"]
    assert [m.resolve("MDY").isoformat() for m in find_dates("Feb 17, 2024LAB-9441")] == ["2024-02-17"]
    assert find_dates("17th of February 20245") == []   # a fifth digit is no year


def test_an_issue_date_decades_before_the_expiry_yields_to_one_within_a_period():
    # a birth date that a shared column header made an "issue" date: no period runs 30 years
    from intake.fields.date_roles import MAX_PERIOD_YEARS, _within_a_period
    from intake.fields.candidates import Candidate, FieldResult
    birth, start = Candidate(dt.date(1991, 6, 10), [], 0.81, "issue"), Candidate(dt.date(2020, 7, 24), [], 0.79, "issue")
    expiry = FieldResult(dt.date(2022, 3, 31), 0.93)
    assert _within_a_period(FieldResult(birth.value, 0.65), [birth, start], expiry).value == dt.date(2020, 7, 24)
    # a long but possible period keeps its issue date; with nothing nearer, the date stays
    long = Candidate(dt.date(2022 - MAX_PERIOD_YEARS, 4, 1), [], 0.81, "issue")
    assert _within_a_period(FieldResult(long.value, 0.8), [long, start], expiry).value == long.value
    assert _within_a_period(FieldResult(birth.value, 0.8), [birth], expiry).value == birth.value
