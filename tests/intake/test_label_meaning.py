"""Labels read by the meaning of their words, values set off a label's baseline, issuer headings
without a listed body: documents made in the test with wordings no label list spells."""
import intake
from tests.intake.conftest import make_pdf

COUNCIL = (72, 60, 16, "Lakeshore Chiropody Council")


def _read(tmp_path, lines, name="doc.pdf"):
    e = intake.extract(make_pdf(tmp_path / name, [lines]))
    assert e.error is None
    return e


def _rows(*rows, top=140, step=22):
    """One line per text (label and value written as one), from ``top`` down."""
    return [(72, top + k * step, 11, text) for k, text in enumerate(rows)]


def test_an_identifier_label_belongs_to_the_noun_before_it(tmp_path):
    e = _read(tmp_path, [COUNCIL, *_rows("Trainee No.: 77120934", "Permit Serial: PX-4471", "Issued: 03/14/2024")])
    assert e.license_number == "PX-4471"          # the permit's serial, not the trainee's number


def test_only_someone_elses_number_means_no_licence_number(tmp_path):
    e = _read(tmp_path, [COUNCIL, *_rows("Delegate No.: 556021", "Invoice Ref.: PR-88123", "Issued: 03/14/2024")])
    assert e.license_number is None


def test_value_beside_its_label_off_the_baseline_past_a_qualifier_and_leaders(tmp_path):
    beside = [COUNCIL, (72, 140, 9, "Number"), (260, 145, 12, "7305 118 42"), (72, 154, 9, "Numero")]
    assert _read(tmp_path, beside, "beside.pdf").license_number == "7305 118 42"   # all three digit groups
    leaders = [COUNCIL, *_rows("Permit No. (Lakeshore) ..........: LC-20931")]
    assert _read(tmp_path, leaders, "leaders.pdf").license_number == "LC-20931"


def test_date_roles_from_the_words_of_unlisted_labels(tmp_path):
    e = _read(tmp_path, [COUNCIL, *_rows(
        "INITIALLY ENTERED ...: 09/02/2011", "CE CYCLE CLOSES ......: 02/14/2025",
        "COVER COMMENCED ......: 04/01/2023", "COVER ENDS ...........: 03/31/2025",
        "REPORT PRODUCED ......: 05/05/2024")])
    assert (e.issue_date, e.expiry_date) == ("2023-04-01", "2025-03-31")
    # read from word meanings, not a listed phrase: weaker than a listed label's 0.95
    assert e.confidence["issue_date"] < 0.95 and e.confidence["expiry_date"] < 0.95


def test_a_preposition_inside_a_phrase_names_no_end_date(tmp_path):
    assert _read(tmp_path, [COUNCIL, *_rows("Permit to practise 04/01/2023")]).expiry_date is None


def _heading(first, second, size=15):
    return [(72, 50, size, first), (72, 68, size, second), *_rows("Permit No.: CA-55120")]


def test_a_heading_wrapped_without_a_connector_is_one_issuer(tmp_path):
    e = _read(tmp_path, _heading("Coastal Allied Therapists", "Licensing Agency"))
    assert e.issuer == "Coastal Allied Therapists Licensing Agency"
    e = _read(tmp_path, _heading("Guild for Marine", "Surveying Standards"), "tail.pdf")
    assert e.issuer == "Guild for Marine Surveying Standards"


def test_the_granting_body_not_its_government_nor_a_sentence_or_signatory(tmp_path):
    page = _heading("State of Westmarch", "Westmarch Board of Pharmacy")
    page += [(72, 110, 13, "By the authority vested in it, the Council confers upon"),
             (72, 140, 14, "Harriet Q. Lindqvist")]
    page += [(72, 300, 11, "Marcus Ellery"), (72, 316, 14, "Board President")]
    assert _read(tmp_path, page).issuer == "Westmarch Board of Pharmacy"


def test_a_one_word_brand_at_the_top_is_the_issuer_when_nothing_names_a_body(tmp_path):
    e = _read(tmp_path, [(72, 50, 24, "Cloudvantix"), (72, 120, 12, "Certified Data Steward"),
                         *_rows("Credential No.: 4410923", top=160)])
    assert e.issuer == "Cloudvantix"
    assert e.confidence["issuer"] < 0.9


def test_a_label_ending_on_a_person_noun_names_the_holder(tmp_path):
    e = _read(tmp_path, [COUNCIL, *_rows("Course name ........: Foot Care Essentials",
                                         "Licensed person ....: HALVORSEN, INGRID", "Permit No.: LC-20931")])
    assert e.holder_name == "Ingrid Halvorsen"


def test_given_and_family_names_under_their_own_labels_are_joined(tmp_path):
    e = _read(tmp_path, [COUNCIL, (72, 130, 8, "SURNAME"), (72, 142, 12, "KOWALCZYK"),
                         (72, 170, 8, "GIVEN NAMES"), (72, 182, 12, "Tomasz Jan"), *_rows("Permit No.: LC-20931", top=220)])
    assert e.holder_name == "Tomasz Jan Kowalczyk"


def test_a_name_after_another_roles_label_is_not_the_holder(tmp_path):
    e = _read(tmp_path, [COUNCIL, (72, 130, 14, "MARTINEZ, LUCIA"), *_rows("Permit No.: LC-20931", top=170),
                         (72, 300, 11, "Assessor"), (200, 300, 11, "Gerald Moss")])
    assert e.holder_name == "Lucia Martinez"


def test_the_salutation_of_a_quoted_reply_names_the_holder(tmp_path):
    e = _read(tmp_path, [(72, 60, 11, "From: Credentials Desk <desk@example.org>"),
                         (72, 90, 11, "> Dear OKAFOR, Chinwe,"), (72, 110, 11, "> Your permit LC-20931 is active.")])
    assert e.holder_name == "Chinwe Okafor"


def test_a_column_header_gives_its_last_date_role_and_a_period_header_its_two_dates(tmp_path):
    e = _read(tmp_path, [COUNCIL, (72, 130, 8, "CERTIFIED PERMIT EXPIRES"), (72, 142, 11, "31/10/2026"),
                         (72, 170, 8, "ISSUED"), (72, 182, 11, "01/11/2023")], "header.pdf")
    assert (e.issue_date, e.expiry_date) == ("2023-11-01", "2026-10-31")
    e = _read(tmp_path, [COUNCIL, (72, 130, 8, "PERIOD"), (72, 142, 11, "04-02-2024"), (200, 142, 11, "04-01-2026")],
              "period.pdf")
    assert (e.issue_date, e.expiry_date) == ("2024-04-02", "2026-04-01")


def test_month_only_card_expiries(tmp_path):
    for name, printed in (("slash.pdf", "Not valid after: 06/27"), ("iso.pdf", "Not valid after: 2027-06")):
        e = _read(tmp_path, [COUNCIL, *_rows("Issued: 12 June 2024", printed)], name)
        assert e.expiry_date == "2027-06-30", printed


def test_a_month_name_is_the_date_not_part_of_its_label(tmp_path):
    e = _read(tmp_path, [COUNCIL, *_rows("Issued: 12 June 2024", "Cover deadline June 30, 2026")])
    assert e.expiry_date == "2026-06-30"


def _record_row(y, *cells):
    xs = (40, 130, 200, 330, 400, 470, 540)
    return [(x, y, 8, text) for x, text in zip(xs, cells)]


def test_the_credential_row_of_a_training_record(tmp_path):
    page = [COUNCIL, (72, 90, 10, "Record of learning for Priya Ramaswamy")]
    page += _record_row(130, "Date", "Code", "Activity", "Type", "Outcome", "Ref", "Valid until")
    page += _record_row(150, "Mar 2,2023", "MOD-11", "Wound care basics", "Module", "Completed", "R-5521", "-")
    page += _record_row(170, "Apr 9,2023", "EX-4", "Final assessment", "Exam", "Passed", "A-88120", "-")
    page += _record_row(190, "Apr 20,2023", "PCS", "Podiatry Care Specialist", "Credential", "Awarded",
                        "71 226 904", "Apr 30,2026")
    e = _read(tmp_path, page)
    assert (e.license_number, e.issue_date, e.expiry_date) == ("71 226 904", "2023-04-20", "2026-04-30")
    assert e.confidence["license_number"] < 0.9     # no label: a column says what it is


def test_an_issuer_named_only_in_running_text_or_as_an_e_mail_sender(tmp_path):
    footer = [(72, 60, 11, "Permit No.: LC-20931"),
              (72, 400, 9, "This statement was generated from the learning record of Coastal Pilots Association.")]
    assert _read(tmp_path, footer, "footer.pdf").issuer == "Coastal Pilots Association"
    mail = [(72, 60, 10, "From: Westmarch Surveyors Guild Credentials <noreply@example.org>"),
            (72, 80, 10, "Subject: your permit"), (72, 120, 10, "Permit No.: LC-20931")]
    e = _read(tmp_path, mail, "mail.pdf")
    assert e.issuer == "Westmarch Surveyors Guild" and e.confidence["issuer"] < 0.9


def test_the_later_cell_of_a_before_and_after_row_is_the_current_value(tmp_path):
    page = [COUNCIL, (250, 130, 9, "Before renewal"), (380, 130, 9, "After renewal"),
            (72, 150, 10, "Permit expires"), (250, 150, 10, "31/03/2025"), (380, 150, 10, "31/03/2027"),
            (72, 170, 10, "Issued"), (250, 170, 10, "-"), (380, 170, 10, "01/04/2025")]
    e = _read(tmp_path, page)
    assert (e.issue_date, e.expiry_date) == ("2025-04-01", "2027-03-31")


def test_double_barrelled_names_read_as_names(tmp_path):
    page = [COUNCIL, (72, 130, 10, "14 Quayside Row"), (330, 130, 12, "Søren N. Al-Rashid"),
            *_rows("Permit No.: LC-20931", top=170)]
    assert _read(tmp_path, page).holder_name == "Søren N. Al-Rashid"


def test_two_bodies_on_one_line_the_one_that_grants(tmp_path):
    page = [(72, 50, 13, "WESTMARCH DIVISION OF TRADE AFFAIRS WESTMARCH BOARD OF PLUMBING"), *_rows("Permit No.: WB-5512")]
    assert _read(tmp_path, page).issuer == "WESTMARCH BOARD OF PLUMBING"


def test_the_holders_name_in_big_type_is_not_the_issuer(tmp_path):
    page = [(72, 60, 22, "Tomasz Kowalczyk"), (72, 100, 12, "Confined Space Entry"), (72, 116, 12, "Permit"),
            *_rows("Permit No.: WB-5512", "REGISTER OF ENTRANTS ......: CURRENT", top=160),
            (72, 400, 10, "Moira Dunleavy"), (72, 414, 10, "Registrar, Harbour Pilots Association")]
    e = _read(tmp_path, page)
    assert e.holder_name == "Tomasz Kowalczyk"
    assert e.issuer == "Harbour Pilots Association"    # the body its registrar signs for


def test_a_lone_registration_label_and_its_number(tmp_path):
    page = [COUNCIL, (72, 130, 9, "Registration"), (250, 130, 11, "480715"),
            *_rows("Start of registration: 04/01/2025", top=170)]
    e = _read(tmp_path, page)
    assert (e.license_number, e.issue_date) == ("480715", "2025-04-01")


def test_entry_on_the_register_and_a_history_column_are_not_the_current_issue(tmp_path):
    page = [COUNCIL, *_rows("Entered on register: 03/02/2011", "Dated: 09/30/2024", "Expires: 08/31/2026"),
            (72, 240, 9, "From"), (200, 240, 9, "To"),
            (72, 254, 10, "09/30/2022"), (200, 254, 10, "08/31/2024"),
            (72, 268, 10, "09/30/2020"), (200, 268, 10, "08/31/2022")]
    e = _read(tmp_path, page)
    assert (e.issue_date, e.expiry_date) == ("2024-09-30", "2026-08-31")


def test_a_day_printed_as_an_expiry_is_no_issue_date(tmp_path):
    e = _read(tmp_path, [COUNCIL, (72, 130, 10, "Your permit's end date has moved from 31/03/2025 to 31/03/2026."),
                         (72, 146, 10, "The renewed permit took effect on 01/04/2025."),
                         (72, 180, 10, "Permit expires"), (250, 180, 10, "31/03/2025"), (380, 180, 10, "31/03/2026")])
    assert (e.issue_date, e.expiry_date) == ("2025-04-01", "2026-03-31")


def test_a_date_its_label_calls_previous_is_not_the_expiry(tmp_path):
    e = _read(tmp_path, [COUNCIL, (72, 130, 10, "Your previous permit was due to expire on 31 March 2025;"),
                         (72, 146, 10, "it now remains in force until 31 March 2027.")])
    assert e.expiry_date == "2027-03-31"


def _ocr_page(*lines):
    """An OCR'd page: each line a list of (text, confidence) words set left to right."""
    from intake.model import Page, Word
    words = []
    for row, line in enumerate(lines):
        x = 0.1
        for text, conf in line:
            w = 0.012 * max(len(text), 1)
            top = 0.1 + 0.05 * row
            words.append(Word(text, x, top, x + w, top + 0.015, 1, conf, 0.015))
            x += w + 0.01
    return Page(1, words, "ocr", 1700, 2200)


def test_ocr_flourishes_around_a_script_name_are_not_part_of_it():
    from intake.pipeline import read_fields
    page = _ocr_page([("Upon", 0.95), ("the", 0.95), ("recommendation", 0.95), ("of", 0.95), ("the", 0.95),
                      ("examiners,", 0.95), ("the", 0.95), ("Board", 0.95), ("confers", 0.95), ("upon", 0.95)],
                     [("—~-~0'BRIEN,", 0.3), ("SIOBHAN", 0.9), ("~_", 0.5)])
    assert read_fields([page], None)["results"]["holder_name"].value == "Siobhan O'Brien"


def test_the_column_header_names_a_date_a_status_or_case_cell_stands_before(tmp_path):
    page = [COUNCIL, (72, 130, 8, "VALIDITY STATUS"), (250, 130, 8, "COVER STARTS"),
            (72, 142, 11, "Valid"), (250, 142, 11, "2025-08-03"),
            (72, 170, 8, "ENQUIRIES"), (180, 170, 8, "TICKET"), (330, 170, 8, "COVER ENDS"),
            (72, 182, 11, "555-0100"), (180, 182, 11, "CASE 281"), (330, 182, 11, "2027-08-02"),
            (72, 260, 9, "This permit remains the property of the issuing body. Registration is annual.")]
    e = _read(tmp_path, page)
    assert (e.issue_date, e.expiry_date) == ("2025-08-03", "2027-08-02")
    assert e.issuer == "Lakeshore Chiropody Council"      # not "Registration" after "the issuing body."
