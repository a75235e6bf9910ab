"""A licence number no label names: the one identifier set on a line of its own in the body of
the page (documents made in the test)."""
import intake
from tests.intake.conftest import make_pdf

CARD = [(72, 50, 14, "Lakeshore Chiropody Council"), (72, 90, 11, "REGISTERED CHIROPODIST"),
        (72, 140, 20, "HALVORSEN, Ingrid"), (72, 190, 14, "LC20931"),
        (72, 260, 9, "Issued: 03/14/2024"), (72, 280, 9, "Expires: 03/13/2026")]


def _read(tmp_path, lines, name="doc.pdf"):
    e = intake.extract(make_pdf(tmp_path / name, [lines]))
    assert e.error is None
    return e


def test_the_one_unlabelled_identifier_in_the_body_is_the_number(tmp_path):
    e = _read(tmp_path, CARD)
    assert e.license_number == "LC20931"
    assert e.confidence["license_number"] < 0.9   # no label says whose number it is


def test_a_serial_in_the_page_foot_is_no_licence_number(tmp_path):
    page = [line for line in CARD if line[3] != "LC20931"] + [(72, 720, 8, "9389095066")]
    assert _read(tmp_path, page).license_number is None


def test_two_unlabelled_identifiers_leave_the_number_open(tmp_path):
    assert _read(tmp_path, CARD + [(72, 220, 11, "88120934")]).license_number is None


def test_a_number_printed_again_in_the_renewed_column_is_confirmed():
    from tests.intake.test_ocr_classes import fields
    rows = [(200, 150, "Lakeshore Chiropody Council"), (200, 400, "Before renewal"), (900, 400, "After renewal")]
    once, found_once = fields(rows + [(200, 500, "Practitioner No."), (900, 500, "499739")], conf=0.8)
    twice, found_twice = fields(rows + [(200, 500, "Practitioner No."), (600, 500, "499739"), (900, 500, "499739")], conf=0.8)
    assert once["license_number"][0] == twice["license_number"][0] == "499739"
    assert found_once["results"]["license_number"].confirmed is None
    assert found_twice["results"]["license_number"].confirmed and twice["license_number"][1] >= 0.9
    # a short code that repeats by chance is no evidence
    _, found_short = fields(rows + [(200, 500, "Practitioner No."), (600, 500, "4997"), (900, 500, "4997")], conf=0.8)
    assert found_short["results"]["license_number"].confirmed is None


def test_a_number_and_a_name_are_printed_again_by_one_definition():
    """A repeat is the same for the licence number as for the issuer's name: another line that
    prints it, or its own line printing it twice; a longer number that starts with it is none."""
    from tests.intake.test_ocr_classes import fields
    rows = [(200, 150, "Lakeshore Chiropody Council"), (200, 500, "Practitioner No."), (900, 500, "LC-499739")]
    _, back = fields(rows + [(200, 1700, "Card no. LC-499739 (reverse)")], conf=0.8)
    _, longer = fields(rows + [(200, 1700, "Order LC-499739X")], conf=0.8)
    assert back["results"]["license_number"].confirmed
    assert longer["results"]["license_number"].confirmed is None


def test_a_transcripts_credential_row_names_the_type_its_type_column_does_not():
    """The "Type" column's first value is another row's ("Webinar"); the row whose type cell names
    a credential names it ("PALS Provider"), so a type the directory knows predicts the expiry."""
    from tests.intake.test_ocr_classes import fields
    cols = (150, 600, 850, 1400, 1850, 2200)
    def row(y, *cells):
        return [(x, y, text) for x, text in zip(cols, cells)]
    page = [(200, 150, "Lakeshore Resuscitation Council Training Record"), (200, 300, "Transcript for Luis A. Brown"),
            *row(500, "Date", "Code", "Item", "Type", "Outcome", "Identifier"),
            *row(600, "2 October 2019", "MOD-8618", "Infection control", "Webinar", "Completed", "ACT-163085"),
            *row(700, "6 January 2021", "PP", "PALS Provider", "Certification", "Granted", "383523885"),
            *row(800, "23 May 2021", "MOD-6986", "Pharmacology", "Webinar", "Passed", "ACT-265538")]
    got, found = fields(page)
    assert found["ctype_code"] == "AHA-PALS"
    assert got["issue_date"][0] == "2021-01-06" and got["license_number"][0] == "383523885"
