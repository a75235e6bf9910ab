"""A renewal letter's "has moved from <old day> to <new day>": the old day is the previous expiry,
not the issue date; the new day is the expiry. Documents made in the test."""
import pytest

import intake
from tests.intake.conftest import make_pdf

HEAD = [(72, 50, 16, "Lakeshore Chiropody Council"), (72, 100, 11, "Marta Rivera"),
        (72, 116, 11, "14 Harbour Road, Galway"), (72, 150, 12, "Renewal notice - Registered Chiropodist"),
        (72, 170, 11, "Registration No.: LC-20931"), (72, 200, 11, "Dear Marta,")]


@pytest.mark.parametrize("verb", ["has moved from", "has been extended from", "was changed from"])
def test_the_day_a_change_starts_from_is_no_issue_date(tmp_path, verb):
    e = intake.extract(make_pdf(tmp_path / "letter.pdf", [HEAD + [
        (72, 220, 10, f"We have processed your renewal. The expiry date held for your registration {verb} 31 October 2023"),
        (72, 234, 10, "to 31 October 2024. The renewed registration took effect on 1 November 2023."),
        (72, 260, 10, "The next renewal window opens on 1 September 2024.")]]))
    assert e.error is None
    assert (e.issue_date, e.expiry_date) == ("2023-11-01", "2024-10-31")


def test_a_start_date_after_from_without_a_change_is_still_a_start(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "letter.pdf", [HEAD + [
        (72, 220, 10, "Your registration is valid from 1 November 2023 to 31 October 2024."),
        (72, 240, 10, "Thank you for renewing.")]]))
    assert (e.issue_date, e.expiry_date) == ("2023-11-01", "2024-10-31")
