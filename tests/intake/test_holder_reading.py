"""Where the holder's name stands: after an intro phrase, and not over a signatory's title
(documents made in the test)."""
import intake
from tests.intake.conftest import make_pdf

HEADING = (72, 50, 16, "Lakeshore Chiropody Council")


def _read(tmp_path, lines, name="doc.pdf"):
    e = intake.extract(make_pdf(tmp_path / name, [lines]))
    assert e.error is None
    return e


def test_an_intro_sentence_that_goes_on_names_no_one_on_the_lines_below(tmp_path):
    # "... confirms that you now hold X." is about the credential: the words under it
    # ("Dated | June 18, 2020") are a label and its value, not a name
    e = _read(tmp_path, [HEADING, (72, 110, 11, "Dear Elspeth Rose Marlowe,"),
                         (72, 130, 11, "This message confirms that you now hold Foot Care Practitioner."),
                         (72, 150, 11, "Permit No."), (250, 150, 11, "LC-20931"),
                         (72, 170, 11, "Dated"), (250, 170, 11, "June 18, 2020")])
    assert e.holder_name == "Elspeth Rose Marlowe"


def test_a_name_after_an_intro_stays_in_its_own_column(tmp_path):
    # the name is the segment under the intro, not words of the column beside it joined to it
    e = _read(tmp_path, [HEADING, (300, 110, 11, "Be it known that"),
                         (72, 130, 11, "ACME"), (300, 130, 11, "Verified"),
                         (72, 150, 9, "Harbour Road"), (300, 150, 14, "NORA LINDQVIST"),
                         (300, 180, 11, "Permit No.: LC-20931")])
    assert e.holder_name == "Nora Lindqvist"


def test_a_signatory_over_a_title_past_a_line_of_another_column_is_not_the_holder(tmp_path):
    e = _read(tmp_path, [HEADING, (72, 110, 9, "Licensing"), (300, 110, 14, "HALVORSEN, Ingrid M."),
                         (300, 140, 11, "Permit No.: LC-20931"),
                         (72, 700, 8, "Dwight Hollander-Park"), (300, 706, 6, "Verify: www.example.org/verify"),
                         (72, 712, 6, "Director, Bureau of Licensing")])
    assert e.holder_name == "Ingrid M. Halvorsen"
