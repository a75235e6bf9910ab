"""An expiry printed as a period from the issue, in any words for the start ("two years from the
date of assessment", "24 months from course completion"): documents made in the test."""
import pytest

import intake
from tests.intake.conftest import make_pdf


@pytest.mark.parametrize("period, expiry", [
    ("two years from the date of assessment", "2026-03-14"),
    ("24 months from course completion", "2026-03-14"),
    ("18 months from the practical test", "2025-09-14"),
])
def test_a_validity_period_counted_from_the_start_gives_the_expiry(tmp_path, period, expiry):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [[
        (72, 50, 16, "Lakeshore Chiropody Council"), (72, 110, 20, "Certificate of Competence"),
        (72, 160, 11, "Permit No.: LC-20931"), (72, 180, 11, "Date of issue: 03/14/2024"),
        (72, 200, 11, "Validity period"), (250, 200, 11, period)]]))
    assert e.error is None
    assert (e.issue_date, e.expiry_date) == ("2024-03-14", expiry)
    assert e.confidence["expiry_date"] <= e.confidence["issue_date"]   # computed, not read


def _permit(tmp_path, rows):
    """A council's permit (its name, the registrant, the permit number) with ``rows`` below, read."""
    return intake.extract(make_pdf(tmp_path / "doc.pdf", [[
        (72, 50, 16, "Lakeshore Chiropody Council"), (72, 110, 11, "Registrant: Marta Rivera"),
        (72, 130, 11, "Permit No.: LC-20931"), *rows]]))


def test_a_date_under_a_sentence_that_prints_a_date_takes_no_role_from_it(tmp_path):
    """"... is due by 05/01/2023. The next renewal window opens on" / "04/12/2023.": the line above
    the second date is running text, not its column's header, so its "next renewal" does not make
    that date an expiry rivalling the one labelled."""
    e = _permit(tmp_path, [
        (72, 150, 11, "Valid until: 05/31/2023"),
        (72, 190, 10, "Please note that your CPD declaration is due by 05/01/2023. The next renewal window opens on"),
        (72, 204, 10, "04/12/2023.")])
    assert e.expiry_date == "2023-05-31" and e.confidence["expiry_date"] >= 0.9


def test_a_date_after_words_of_its_own_line_takes_no_role_from_the_line_above(tmp_path):
    """"... The next renewal" / "window opens on 09/09/2023.": the date stands in running text, not
    in a cell under a column header, so "next renewal" above does not make it an expiry."""
    e = _permit(tmp_path, [
        (72, 150, 11, "Valid until: 11/30/2023"),
        (72, 190, 10, "Your payment has been received with thanks. The next renewal"),
        (72, 204, 10, "window opens on 09/09/2023. Questions? Call us.")])
    assert e.expiry_date == "2023-11-30" and e.confidence["expiry_date"] >= 0.9


def test_a_history_rows_period_that_ended_before_the_current_one_began_is_no_rival(tmp_path):
    e = _permit(tmp_path, [
        (72, 150, 11, "Registered from 06/01/2022"),
        (72, 170, 11, "Registration expiry 05/31/2023"),
        (72, 220, 10, "REGISTRATION HISTORY"), (72, 236, 10, "From"), (200, 236, 10, "To"), (320, 236, 10, "Outcome"),
        (72, 252, 10, "06/01/2021"), (200, 252, 10, "05/31/2022"), (320, 252, 10, "Lapsed - restored")])
    assert (e.issue_date, e.expiry_date) == ("2022-06-01", "2023-05-31")
    assert e.confidence["issue_date"] >= 0.9


def test_a_column_header_cut_in_two_by_ocr_gives_its_role_to_the_date_under_it():
    """"Date" | "of expiry": OCR set the header's words apart, and the part the date stands under
    most is the generic "Date"; the other part over the date names the role."""
    from tests.intake.test_ocr_classes import fields
    rows = [(200, 150, "Lakeshore Chiropody Council"), (200, 300, "Registrant: Marta Rivera"),
            (200, 500, "Licence"), (1000, 500, "Date"), (1150, 500, "of expiry"),
            (200, 560, "LC-20931"), (1000, 560, "05/31/2025")]
    got, found = fields(rows)
    assert got["expiry_date"][0] == "2025-05-31"


def test_a_form_whose_labels_stand_left_of_their_values_off_the_baseline(tmp_path):
    """"Birthdate" beside "October 12, 1977" a little higher: the date's label is the one beside
    it, not the previous row's value above it ("Registered / Inscrite"), so the birth date is no
    rival to the issue date."""
    rows = [(50, 40, 16, "Lakeshore Chiropody Council"), (50, 80, 8, "Registrant"), (254, 86, 11, "Marta Rivera"),
            (50, 110, 8, "Number"), (254, 116, 11, "550112"),
            (50, 140, 8, "Granted"), (254, 146, 11, "January 1, 2023"),
            (50, 170, 8, "Valid till"), (254, 176, 11, "December 31, 2023"),
            (50, 200, 8, "Status"), (254, 206, 11, "Registered / Inscrite"),
            (50, 230, 8, "Birthdate"), (254, 236, 11, "October 12, 1977")]
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [rows]))
    assert (e.issue_date, e.expiry_date) == ("2023-01-01", "2023-12-31")
    assert e.confidence["issue_date"] >= 0.9
