"""Classes of OCR failure, each on a small word model made in the test (no Tesseract run).

Every test is a kind of document, not a sample file: a table whose values sit
below their header cells, a label remnant OCR left behind, a fuzzy spelling
that must not steal an exact label, a letter/digit confusion in a prefixed
ID, stray quote marks before a name, an issuer known only by its web domain,
a credential title on a card whose issuer the directory does not know.
"""
import pytest

from intake.directory import load_directory
from intake.fields import id_ambiguity, normalise_id
from intake.model import Page, Word
from intake.pipeline import read_fields

W, H = 2550, 3300      # a letter page at 300 dpi


def ocr_page(rows, conf=0.93, size=40):
    """A Page of OCR words: rows of (x_px, y_px, text) or (x_px, y_px, text, conf)."""
    words = []
    for row in rows:
        x, y, text = row[:3]
        c = row[3] if len(row) > 3 else conf
        for part in text.split():
            w = 0.55 * size * len(part)
            words.append(Word(part, x / W, y / H, (x + w) / W, (y + size) / H, 1, c, size / H))
            x += w + 0.5 * size
    return Page(1, words, "ocr", W, H)


def fields(rows, **kw):
    found = read_fields([ocr_page(rows, **kw)], None)
    return {k: (r.value.isoformat() if hasattr(r.value, "isoformat") else r.value, r.confidence)
            for k, r in found["results"].items()}, found


def issuer(code):
    return load_directory().issuer(code)


# --- IDs -------------------------------------------------------------------------

def test_prefix_letters_read_as_digits_come_back_when_the_issuer_pattern_says_so():
    comptia = next(i for i in load_directory().issuers if any("COMP" in p for p in i.license_number_patterns))
    assert normalise_id("C0MP001036591367", comptia) == ("COMP001036591367", True)
    # the digits after the prefix stay digits even when they look like letters
    assert normalise_id("COMP0010365913G7", comptia) == ("COMP001036591367", True)


def test_letters_inside_a_hex_id_are_not_turned_into_digits():
    assert normalise_id("9F1A-DD7B", None)[0] == "9F1A-DD7B"
    assert normalise_id("81O23", None)[0] == "81023"             # a letter inside a digit run
    assert normalise_id("C0MPX-1234", None)[0] == "COMPX-1234"   # a digit inside a letter prefix


@pytest.mark.parametrize("value, ambiguous", [
    ("RN 995882", False), ("HVW-40917", False), ("859139", False),   # each part one character class
    ("V5LF-WFFB", True), ("AGJPDHNL7HEVKQTL", True),                 # mixed parts with look-alikes
    # a letter run and a digit run: a look-alike inside a run is of its class, one at the boundary open
    ("CSMT990099", False), ("201514064LPN", False), ("SA956715000", False),
    ("PM849997", True), ("52X1964540", True), ("MS63/601102", True),
    # a lowercase UUID: no look-alike of a hex digit is one
    ("45d7dec4-ec83-40c5-8afc-862615be6f0a", False), ("45D7DEC4-EC83-40C5-8AFC-862615BE6F0A", True),
])
def test_id_ambiguity(value, ambiguous):
    assert id_ambiguity(value, None) is ambiguous


def test_an_ocr_id_with_a_character_class_guess_is_not_confident():
    got, _ = fields([(200, 300, "Harbor Valley Welding Institute", 0.97),
                     (200, 500, "Certificate ID: V5LF-WFFB", 0.97),
                     (200, 600, "Issue Date: 03/25/2021", 0.97)])
    assert got["license_number"][0] == "V5LF-WFFB"
    assert got["license_number"][1] < 0.9


# --- labels and layout -------------------------------------------------------------

def test_exact_label_wins_over_a_fuzzy_neighbour_spelling():
    # "Issued" is one letter from "Issuer"; read with OCR confidence below 1 it must stay a date label
    got, _ = fields([(200, 300, "Harbor Valley Welding Institute"),
                     (200, 500, "Licensee Name"), (900, 500, "HILL, MICHAEL"),
                     (200, 600, "Issued"), (900, 600, "May 21, 2021"),
                     (200, 700, "Expiration Date"), (900, 700, "May 21, 2022")], conf=0.8)
    assert got["issue_date"][0] == "2021-05-21"
    assert got["expiry_date"][0] == "2022-05-21"


def test_header_row_table_with_values_below_and_specks_between():
    got, _ = fields([(200, 300, "Harbor Valley Welding Institute"),
                     (200, 500, "NAME OF CERTIFICANT"), (200, 560, "JENNIFER LINDQVIST"),
                     (200, 800, "MEMBER SINCE"), (900, 800, "CERTIFICATION NO."), (1700, 800, "PRINTED ON"),
                     (1000, 845, "|", 0.5),
                     (200, 880, "11/08/2012"), (900, 880, "859139"), (1700, 880, "09/27/2025"),
                     (200, 1100, "EXAM DATE"), (900, 1100, "CERTIFICATION DATE"),
                     (200, 1180, "01/13/2021"), (900, 1180, "01/29/2021"),
                     (200, 1400, "CANDIDATE ID"), (900, 1400, "VALID THROUGH"),
                     (200, 1480, "5324759"), (900, 1480, "01/31/2024")])
    assert got["license_number"][0] == "859139"            # not the candidate ID
    assert got["issue_date"][0] == "2021-01-29"             # not the exam or print date
    assert got["expiry_date"][0] == "2024-01-31"
    assert got["holder_name"][0] == "Jennifer Lindqvist"


def test_label_remnant_does_not_hide_the_value_below():
    # OCR read "CERTIFICATE ID" as "CERTIFICATE ip": the value is still the cell below
    got, _ = fields([(200, 300, "Harbor Valley Welding Institute"),
                     (200, 500, "CERTIFICATE"), (560, 500, "ip", 0.6), (1300, 500, "ISSUE DATE"),
                     (200, 580, "HVW-40917"), (1300, 580, "March 25, 2021")])
    assert got["license_number"][0] == "HVW-40917"


def test_stray_quote_marks_before_a_name():
    got, _ = fields([(200, 300, "Harbor Valley Welding Institute"),
                     (200, 500, "Name"), (700, 500, "\u201cChidi N. Oyelaran", 0.5)])
    assert got["holder_name"][0] == "Chidi N. Oyelaran"


# --- issuer and credential type ------------------------------------------------------

def test_issuer_from_its_web_domain_when_the_heading_is_the_credential():
    got, found = fields([(200, 300, "PALS Provider", 0.95),
                         (200, 420, "In\u00e9s C. Green"),
                         (200, 520, "eCard Code: 684667805279"),
                         (200, 620, "Issue Date: 03/04/2025"),
                         (200, 1000, "heart.org/cpr")])
    assert found["issuer_entry"] is issuer("aha")
    assert got["credential_type"][0] == "PALS Provider"


def test_logo_noise_does_not_spell_an_acronym_in_the_heading():
    got, found = fields([(200, 300, "Texas Department of Licensing and Regulation", 0.95),
                         (1900, 300, "arc", 0.16),
                         (200, 600, "License # 182498")])
    assert found["issuer_entry"] is issuer("tdlr")


def test_labelled_value_resolves_to_the_issuers_credential_type():
    got, found = fields([(200, 300, "Construction Skills Certification Scheme"),
                         (200, 500, "Name: AMANDA DUBOIS"),
                         (200, 600, "Credential: Supervisor"),
                         (200, 700, "Registration Number: 10480898")])
    assert found["ctype_code"] == "CSCS-SUPERVISOR"
    assert got["credential_type"][0] == "CSCS Supervisor Card"


def test_unknown_issuer_gets_the_title_line_as_credential_type():
    got, found = fields([(200, 250, "Northwind Crane Safety Council", 0.95, ),
                         (200, 450, "Tower Scaffold Inspector Level Two"),
                         (200, 700, "Operator Name: Grace Okafor"),
                         (200, 800, "Certificate Number: NCS-208814"),
                         (200, 900, "Verification of this credential may be obtained online.")])
    assert found["ctype_code"] is None
    assert got["credential_type"][0] == "Tower Scaffold Inspector Level Two"
    assert got["credential_type"][1] < 0.9
