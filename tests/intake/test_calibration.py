"""Raw reader scores mapped by how the words were read (intake.fields.calibration)."""
import intake
from intake.fields.calibration import RAW_TO_CONFIDENT, calibrate
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
