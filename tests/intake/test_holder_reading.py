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


def test_a_letters_addressee_beside_its_date_label_is_the_holder(tmp_path):
    # the address block's first line carries the letter's date on its right
    e = _read(tmp_path, [HEADING, (72, 110, 11, "Ashley J. McAllister"), (400, 110, 11, "Date: 10 November 2019"),
                         (72, 124, 11, "198 Church Street"), (72, 138, 11, "Glasgow"),
                         (72, 200, 11, "Practitioner No. 499739")])
    assert e.holder_name == "Ashley J. McAllister"


def test_a_cards_holder_line_over_a_label_is_no_signatory(tmp_path):
    # "MEMBER" is also a title word: as the start of the label under the name it is no title
    e = _read(tmp_path, [HEADING, (72, 110, 11, "LICENSED"), (72, 130, 12, "ROBERTS, Agnieszka D."),
                         (72, 150, 9, "MEMBER NO."), (72, 164, 11, "SA824559000")])
    assert e.holder_name == "Agnieszka D. Roberts"


def test_a_surname_first_with_a_known_given_name_reads_more_as_a_name():
    from intake.fields.names import name_likeness
    assert name_likeness(["OYELARAN,", "Pawel", "W."]) > name_likeness(["Pawel", "W.", "Oyelaran"])
    assert name_likeness(["Hitchin,", "Hertfordshire"]) < 0.5


def test_ocr_brackets_around_a_name_are_specks():
    from tests.intake.test_ocr_classes import fields
    got, _ = fields([(200, 150, "Lakeshore Chiropody Council"), (200, 500, "Marisol] Chowdhury"),
                     (200, 600, "Licence No."), (900, 600, "LC-20931")], conf=0.8)
    assert got["holder_name"][0] == "Marisol Chowdhury"


def test_the_holders_own_email_address_confirms_the_name():
    from tests.intake.test_ocr_classes import fields
    rows = [(200, 150, "Lakeshore Chiropody Council Training Record"), (200, 400, "Transcript for Tariq Carlos De la Cruz"),
            (200, 600, "Licence No."), (900, 600, "LC-20931")]
    plain, found_plain = fields(rows, conf=0.8)
    mailed, found_mailed = fields(rows + [(200, 450, "E-mail tariq.delacruz@outlook.com")], conf=0.8)
    assert plain["holder_name"][0] == mailed["holder_name"][0] == "Tariq Carlos De la Cruz"
    assert found_plain["results"]["holder_name"].confirmed is None
    assert found_mailed["results"]["holder_name"].confirmed and mailed["holder_name"][1] >= 0.9
    # a colleague's address with the given name only confirms nothing
    _, found_other = fields(rows + [(200, 450, "To: tariq@lakeshore.example")], conf=0.8)
    assert found_other["results"]["holder_name"].confirmed is None


def test_a_name_under_a_header_cell_that_goes_on_after_its_label():
    """"NAME ON REGISTER" over "Marta A. Rivera": the words after "NAME" are the header's, not
    the value; the name is under the cell. A sentence with "holder" in it is no header cell."""
    from tests.intake.test_ocr_classes import fields
    rows = [(200, 150, "Lakeshore Chiropody Council"), (200, 300, "LICENCE"), (200, 360, "LC-20931"),
            (200, 500, "NAME ON REGISTER"), (1400, 500, "BIRTHDATE"),
            (200, 560, "Marta A. Rivera"), (1400, 560, "10th of May 1971")]
    got, found = fields(rows)
    assert got["holder_name"][0] == "Marta A. Rivera"
    assert found["results"]["holder_name"].source == "label"   # read as the header's value, not a bare name line
    sentence = [(200, 150, "Lakeshore Chiropody Council"),
                (200, 500, "This card certifies that the holder has completed the course"),
                (200, 560, "Frank Radcliffe"), (200, 620, "Registrar")]
    got, _ = fields(sentence)
    assert got["holder_name"][0] != "Frank Radcliffe" or got["holder_name"][1] < 0.6
