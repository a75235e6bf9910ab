"""Dates: formats, locales and traps."""
import datetime as dt

import pytest

from intake.dates import decide_order, expand_year, find_dates, parse_date


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
