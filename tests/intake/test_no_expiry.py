"""A null expiry the document states ("Expiry: Lifetime", a "Valid to" column reading "Not
applicable") is a reading with its confidence and evidence; a null that is only an absence is not.
Documents made in the test."""
import pytest

import intake
from tests.intake.conftest import make_image, make_pdf

HEAD = [(72, 50, 16, "Lakeshore Chiropody Council"), (72, 110, 20, "Certificate of Competence"),
        (72, 160, 11, "Registrant: Marta Rivera"), (72, 180, 11, "Permit No.: LC-20931"),
        (72, 200, 11, "Date of issue: 03/14/2024")]


@pytest.mark.parametrize("label, phrase", [
    ("Expiry:", "Lifetime"), ("Valid until:", "Not applicable"), ("Expiration Date:", "N/A"),
    ("Expires:", "Never"), ("Renew before:", "Non-expiring"), ("Valid to:", "Permanent / Permanent"),
])
def test_a_no_expiry_phrase_beside_an_expiry_label_is_a_confident_null(tmp_path, label, phrase):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD + [(72, 220, 11, label), (200, 220, 11, phrase)]]))
    assert e.error is None and e.issue_date == "2024-03-14"
    assert e.expiry_date is None
    assert e.confidence["expiry_date"] >= 0.9
    assert e.evidence["expiry_date"].text == phrase.split(" /")[0] or e.evidence["expiry_date"].text == phrase


def test_a_no_expiry_phrase_under_an_expiry_column_header(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD[:4] + [
        (72, 230, 10, "ISSUED"), (200, 230, 10, "VALID UNTIL"), (340, 230, 10, "REFERENCE"),
        (72, 246, 11, "03/14/2024"), (200, 246, 11, "Not applicable"), (340, 246, 11, "QX-11")]]))
    assert (e.issue_date, e.expiry_date) == ("2024-03-14", None)
    assert e.confidence["expiry_date"] >= 0.9
    assert e.evidence["expiry_date"].text == "Not applicable"


def test_a_statement_under_an_expiry_label_even_when_it_starts_with_label_words(tmp_path):
    """"No expiry date" begins with words that are labels themselves ("No", "Expiry date"), which
    the value finder skips under a label; as the expiry label's value it states the null."""
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD + [
        (72, 230, 9, "RENEW BEFORE"), (72, 246, 11, "No expiry date"), (300, 230, 9, "EXAM VERSION"),
        (300, 246, 11, "438977888")]]))
    assert e.expiry_date is None
    assert e.confidence["expiry_date"] >= 0.9
    assert e.evidence["expiry_date"].text == "No expiry date"


def test_a_statement_away_from_any_label_is_evidence_below_review(tmp_path):
    """"This certificate does not expire" says it, but its sentence may be about something else."""
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD + [
        (72, 240, 10, "This certificate does not expire. Keep it with your records.")]]))
    assert e.expiry_date is None
    assert 0 < e.confidence["expiry_date"] < 0.9
    assert e.evidence["expiry_date"].text == "does not expire."


@pytest.mark.parametrize("line", [
    "Lifetime member of the Council since 2001",     # a value word, but no expiry label's value
    "Keep this certificate for your lifetime records",
])
def test_a_value_word_elsewhere_states_nothing(tmp_path, line):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD + [(72, 240, 10, line)]]))
    assert e.expiry_date is None
    assert e.confidence["expiry_date"] == 0.0 and e.evidence["expiry_date"] is None


def test_an_expiry_label_whose_value_is_a_longer_phrase_states_nothing(tmp_path):
    """"None" starts "None of the above": a value phrase must be the label's whole value."""
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD + [(72, 220, 11, "Expiry:"),
                                                              (200, 220, 11, "None of the restrictions apply")]]))
    assert e.expiry_date is None and e.confidence["expiry_date"] == 0.0


def test_a_date_the_document_also_says_never_expires_stays_below_review(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD + [
        (72, 220, 11, "Expiration Date: 03/14/2027"), (72, 240, 11, "Valid until:"), (200, 240, 11, "N/A")]]))
    assert e.expiry_date == "2027-03-14"
    assert e.confidence["expiry_date"] <= 0.7


def test_a_stated_null_is_not_replaced_by_the_types_predicted_validity(tmp_path):
    """The directory's BLS Provider card runs 24 months; a document that says it does not expire
    is read as it says (the reviewer decides), not given a predicted expiry."""
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [[
        (72, 50, 18, "American Heart Association"), (72, 100, 16, "BLS Provider"),
        (72, 150, 11, "Name: Erin Employee"), (72, 170, 11, "eCard Code: 2B7Q-44KD-91XZ"),
        (72, 190, 11, "Issue Date: March 1, 2025"), (72, 210, 11, "Expiration Date:"), (200, 210, 11, "Non-expiring")]]))
    assert e.credential_type_code is not None
    assert e.expiry_date is None and not e.expiry_predicted
    assert e.confidence["expiry_date"] >= 0.9


def test_a_missing_expiry_stays_an_absence(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "doc.pdf", [HEAD]))
    assert e.expiry_date is None
    assert e.confidence["expiry_date"] == 0.0 and e.evidence["expiry_date"] is None


def test_an_ocr_read_no_expiry_column_is_a_stated_null(tmp_path):
    """The same on a photo-like image: the null's evidence is where the phrase is printed."""
    path = make_image(tmp_path / "card.png", [
        (80, 60, 40, "Lakeshore Chiropody Council"), (80, 150, 30, "Certificate of Competence"),
        (80, 240, 26, "Registrant: Marta Rivera"), (80, 290, 26, "Permit No.: LC-20931"),
        (80, 380, 24, "ISSUED"), (500, 380, 24, "VALID UNTIL"),
        (80, 420, 26, "03/14/2024"), (500, 420, 26, "Non-expiring")])
    e = intake.extract(path)
    assert e.error is None and e.issue_date == "2024-03-14"
    assert e.expiry_date is None
    assert e.confidence["expiry_date"] >= 0.9
    assert e.evidence["expiry_date"].text == "Non-expiring"
    assert 0.25 < e.evidence["expiry_date"].bbox[0] < 0.35


def _reading(**results):
    from intake.fields import FieldResult
    from intake.model import FIELDS
    r = {f: results.get(f, FieldResult()) for f in FIELDS}
    return {"results": r, "issuer_entry": None, "ctype_code": None, "date_order": None,
            "date_order_reason": None, "ambiguous": []}


def test_a_stated_null_is_not_replaced_by_a_weaker_guess_of_another_reading():
    from intake.fields import FieldResult
    from intake.fields.candidates import NO_EXPIRY
    from intake.pipeline import _merge
    stated = FieldResult(None, 0.9, source=NO_EXPIRY)
    guess = FieldResult("2025-01-31", 0.6, source="label")
    assert _merge(_reading(expiry_date=stated), _reading(expiry_date=guess))["results"]["expiry_date"] is stated
    assert _merge(_reading(expiry_date=guess), _reading(expiry_date=stated))["results"]["expiry_date"] is stated
    # an absence (nothing read) still yields to any reading; two statements agree
    assert _merge(_reading(), _reading(expiry_date=stated))["results"]["expiry_date"] is stated
    both = _merge(_reading(expiry_date=stated), _reading(expiry_date=FieldResult(None, 0.9, source=NO_EXPIRY)))
    assert both["results"]["expiry_date"].confidence > 0.9


def test_a_stated_null_is_no_lost_field_worth_a_second_look():
    from intake.fields import FieldResult
    from intake.fields.candidates import NO_EXPIRY
    from intake.pipeline import _weak
    # the number and the issue date lost, the holder read, the expiry stated ("No expiry")
    holder = FieldResult("Marta Rivera", 0.9)
    assert not _weak(_reading(holder_name=holder, expiry_date=FieldResult(None, 0.9, source=NO_EXPIRY)))
    assert _weak(_reading(holder_name=holder))


def test_the_run_under_an_expiry_label_is_read_once(tmp_path):
    from intake.fields import DocumentFields
    from intake.fields.no_expiry import _labelled
    from intake.layout import Layout
    from intake.readers import read_document
    path = make_pdf(tmp_path / "doc.pdf", [HEAD + [(72, 230, 9, "VALID UNTIL"), (72, 246, 11, "Lifetime")]])
    found = _labelled(DocumentFields(Layout(read_document(str(path)).pages)))
    assert [[t.text for t in toks] for _, toks in found] == [["Lifetime"]]
