"""Raw reader scores mapped by how the words were read (intake.fields.calibration)."""
import intake
from intake.fields.calibration import FIELD_RAW_TO_CONFIDENT, RAW_TO_CONFIDENT, calibrate
from intake.fields.candidates import FieldResult
from tests.intake.conftest import make_pdf


def test_text_layer_values_from_the_threshold_up_are_confident_ocr_values_keep_their_score():
    low, high = RAW_TO_CONFIDENT["text"]
    assert calibrate(FieldResult("x", high - 0.15), "text").confidence == high - 0.15
    assert calibrate(FieldResult("x", low), "text").confidence == high
    assert calibrate(FieldResult("x", 0.97), "text").confidence == 0.97       # never lowered
    assert calibrate(FieldResult("x", low), "ocr").confidence == low
    assert calibrate(FieldResult(None, low), "text").confidence == low        # nothing read, nothing to trust


def test_a_values_cap_still_bounds_it():
    # a day/month order only the locale decided stays below the review threshold
    capped = FieldResult("2024-02-09", 0.85, cap=0.7)
    assert calibrate(capped, "text").confidence == 0.7


def test_a_born_digital_document_read_by_a_weaker_label_is_confident(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [[
        (72, 60, 16, "Lakeshore Chiropody Council"), (72, 140, 11, "Cover commenced: 04/01/2023"),
        (72, 160, 11, "Cover ends: 03/31/2025")]]))
    assert (e.issue_date, e.expiry_date) == ("2023-04-01", "2025-03-31")
    assert 0.9 <= e.confidence["issue_date"] < 0.95


# --- an issue and an expiry that agree -------------------------------------------

def _ocr_dates(rows, conf=0.7):   # (OCR words read this surely score ~0.85 under a label)
    from tests.intake.test_ocr_classes import fields
    got, _ = fields([(200, 300, "Harbor Valley Welding Institute")] + rows, conf=conf)
    return got["issue_date"], got["expiry_date"]


def test_ocr_dates_a_whole_validity_period_apart_confirm_each_other():
    (issue, ci), (expiry, ce) = _ocr_dates([(200, 600, "Issued"), (900, 600, "May 21, 2021"),
                                            (200, 700, "Expiration Date"), (900, 700, "May 20, 2024")])
    assert (issue, expiry) == ("2021-05-21", "2024-05-20")
    assert ci >= 0.9 and ce >= 0.9


def test_ocr_dates_that_are_no_whole_period_apart_keep_their_score():
    (_, ci), (_, ce) = _ocr_dates([(200, 600, "Issued"), (900, 600, "May 21, 2021"),
                                   (200, 700, "Expiration Date"), (900, 700, "Feb 3, 2024")])
    assert ci < 0.9 and ce < 0.9


def test_a_period_ending_the_day_before_a_whole_year_is_a_whole_period():
    import datetime as dt

    from intake.dates import whole_period
    assert whole_period(dt.date(2022, 6, 1), dt.date(2023, 5, 31), None)      # one year, to the day before
    assert whole_period(dt.date(2021, 4, 1), dt.date(2026, 3, 31), None)      # five years
    assert whole_period(dt.date(2022, 6, 1), dt.date(2022, 11, 30), 6)        # the type's six months
    assert not whole_period(dt.date(2022, 6, 15), dt.date(2023, 5, 31), None)
    assert not whole_period(dt.date(2016, 2, 7), dt.date(2020, 12, 31), None)


def test_ocr_dates_of_one_year_to_the_day_before_confirm_each_other_past_an_original_grant():
    # an original grant ("First issued") does not compete with this period's issue date
    (issue, ci), (expiry, ce) = _ocr_dates([(200, 500, "First issued"), (900, 500, "Jan 8, 2008"),
                                            (200, 600, "Issued"), (900, 600, "Jan 1, 2021"),
                                            (200, 700, "Expiration Date"), (900, 700, "Dec 31, 2021")])
    assert (issue, expiry) == ("2021-01-01", "2021-12-31")
    assert ci >= 0.9 and ce >= 0.9


def test_a_range_no_label_names_confirms_nothing():
    # two days joined by a dash, whole years apart, with no label saying what the period is
    (issue, ci), (expiry, ce) = _ocr_dates([(200, 600, "Cover"), (900, 600, "May 21, 2021 - May 21, 2023")])
    assert (issue, expiry) == ("2021-05-21", "2023-05-21")
    assert ci < 0.9 and ce < 0.9


def test_a_day_agreeing_with_the_expiry_does_not_decide_between_two_issue_dates():
    (issue, ci), (_, ce) = _ocr_dates([(200, 600, "Issued"), (900, 600, "May 21, 2021"),
                                       (200, 700, "Issued"), (900, 700, "Jun 3, 2020"),
                                       (200, 800, "Expiration Date"), (900, 800, "May 20, 2024")])
    assert ci < 0.9 and ce < 0.9


def test_an_ambiguous_pair_only_the_locale_ordered_stays_below_review():
    # 04/05/2021 -> 04/05/2024 is three whole years month first and day first alike
    (issue, ci), (_, ce) = _ocr_dates([(200, 600, "Issued"), (900, 600, "04/05/2021"),
                                       (200, 700, "Expiration Date"), (900, 700, "04/05/2024")])
    assert issue is not None
    assert ci <= 0.7 and ce <= 0.7


def test_a_text_layer_licence_under_a_label_read_by_its_meaning_is_confident(tmp_path):
    low, high = FIELD_RAW_TO_CONFIDENT[("text", "license_number")]
    assert calibrate(FieldResult("4411-2093", low), "text", "license_number").confidence == high
    assert calibrate(FieldResult("4411-2093", low), "ocr", "license_number").confidence == low
    assert calibrate(FieldResult("2024-02-09", low), "text", "issue_date").confidence == low   # dates: from 0.8
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [[
        (72, 60, 16, "Lakeshore Chiropody Council"), (72, 140, 11, "Practitioner enrolment number: 4411-2093")]]))
    assert e.license_number == "4411-2093"
    assert e.confidence["license_number"] >= 0.9


def test_a_text_layer_holder_is_confident_from_its_own_threshold():
    low, high = FIELD_RAW_TO_CONFIDENT[("text", "holder_name")]
    assert calibrate(FieldResult("Ingrid Halvorsen", low), "text", "holder_name").confidence == high
    assert calibrate(FieldResult("Ingrid Halvorsen", low), "ocr", "holder_name").confidence == low
    # a bare name-shaped line, no label (NAME_SHAPE_BASE x likeness 0.9), stays below
    assert calibrate(FieldResult("Ingrid Halvorsen", 0.558), "text", "holder_name").confidence == 0.558


def test_an_ocr_issuer_printed_again_elsewhere_is_confirmed_one_printed_once_is_not():
    from tests.intake.test_ocr_classes import fields
    head = [(200, 150, "Lakeshore Chiropody Council"), (200, 600, "Licence No."), (900, 600, "LC-20931"),
            (200, 700, "Holder"), (900, 700, "Dana Okonjo")]
    once, found_once = fields(head, conf=0.8)
    again, found_again = fields(head + [(200, 1800, "Issued under the seal of Lakeshore Chiropody Council.")], conf=0.8)
    assert once["issuer"][0] == again["issuer"][0] == "Lakeshore Chiropody Council"
    assert found_once["results"]["issuer"].confirmed is None and found_again["results"]["issuer"].confirmed
    assert once["issuer"][1] < 0.9 <= again["issuer"][1]


def test_a_confirmed_value_is_confident_on_any_layer_within_its_cap():
    from intake.fields.calibration import CONFIRMED
    assert calibrate(FieldResult("x", 0.55, confirmed="printed twice"), "ocr", "issuer").confidence == CONFIRMED
    assert calibrate(FieldResult("x", 0.55, cap=0.7, confirmed="printed twice"), "ocr").confidence == 0.7
    assert calibrate(FieldResult("x", 0.55), "ocr", "issuer").confidence == 0.55


def test_a_confirmation_lifts_only_a_reading_its_reader_rated_from_the_floor_up():
    # every confirmation obeys the floor, whichever reader confirmed the value (a number
    # printed twice, an e-mail address, a web address), not only a repeat of the issuer
    from intake.fields.calibration import CONFIRMED, CONFIRMED_MIN_RAW
    weak = FieldResult("LC-20931", CONFIRMED_MIN_RAW - 0.05, confirmed="the number is printed twice")
    assert calibrate(weak, "ocr", "license_number").confidence == CONFIRMED_MIN_RAW - 0.05
    held = FieldResult("LC-20931", CONFIRMED_MIN_RAW, confirmed="the number is printed twice")
    assert calibrate(held, "ocr", "license_number").confidence == CONFIRMED


def test_an_ocr_date_whose_words_were_read_surely_is_confident_from_the_text_threshold_up():
    # "Registration Ends" is a weaker label (raw ~0.81 beside it): a text layer's date would be
    # confident; an OCR'd one is when every word of it was read surely, not otherwise
    rows = [(200, 600, "Registration Ends"), (900, 600, "October 31, 2023")]
    _, (expiry, sure) = _ocr_dates(rows, conf=0.95)
    _, (_, unsure) = _ocr_dates(rows, conf=0.89)
    assert expiry == "2023-10-31" and sure >= 0.9 and unsure < 0.9


def _ocr_name(text, conf):
    from intake.layout import Layout
    from tests.intake.test_ocr_classes import ocr_page
    tokens = Layout([ocr_page([(200, 500, text)], conf=conf)]).tokens
    return FieldResult(text, 0.82, tokens, "label")


def test_an_ocr_name_read_surely_is_confident_unless_it_may_have_lost_its_diacritics():
    from intake.fields.names import may_have_lost_accents
    assert may_have_lost_accents(["Bjorn", "Schafer"]) and may_have_lost_accents(["Camila", "Ostergaard"])
    assert not may_have_lost_accents(["Björn", "Schäfer"]) and not may_have_lost_accents(["Bethany", "Romero"])
    assert calibrate(_ocr_name("Bethany Romero", 0.95), "ocr", "holder_name").confidence == 0.9
    assert calibrate(_ocr_name("Bjorn Schafer", 0.95), "ocr", "holder_name").confidence == 0.82   # "Björn Schäfer"?
    assert calibrate(_ocr_name("Bethany Romero", 0.85), "ocr", "holder_name").confidence == 0.82  # read unsurely
