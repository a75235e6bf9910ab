"""Name-likeness: a person's name against titles, organisations and labels (issue 11)."""
import pytest

import intake
from intake.fields.names import name_likeness, title_words
from tests.intake.conftest import make_pdf


@pytest.mark.parametrize("text, low, high", [
    ("Jessica Moore", 0.8, 1.0),
    ("MOORE, JESSICA", 0.8, 1.0),            # SURNAME, Given
    ("Callum van der Berg", 0.8, 1.0),       # particles
    ("Siobhán S. Jackson", 0.8, 1.0),        # accents and an initial
    ("Chief Executive Officer", 0.0, 0.0),   # a signatory's title
    ("Skilled Trades Council", 0.0, 0.0),    # an organisation
    ("Enrolment Key", 0.0, 0.4),             # a label the vocabulary does not know
])
def test_name_likeness(text, low, high):
    assert low <= name_likeness(text.split()) <= high


def test_street_abbreviations_are_no_titles():
    assert "registrar" in title_words() and "st" not in title_words()


def test_an_unlabelled_holder_beats_a_signatory_and_a_leading_label_word_is_dropped(tmp_path):
    path = make_pdf(tmp_path / "a.pdf", [[
        (72, 60, 16, "Harbourside Guild of Riggers"),
        (72, 120, 11, "Permittee  JANE M. DOE"),
        (72, 145, 11, "Certificate No: HC-40112"),
        (72, 400, 11, "Arthur Wellesley"),
        (72, 415, 9, "Executive Director"),
    ]])
    assert intake.extract(path).holder_name == "Jane M. Doe"


def test_a_heading_that_wraps_is_read_whole_and_a_sub_unit_loses_to_the_granting_body(tmp_path):
    from intake.fields.issuer import org_likeness
    assert org_likeness("Division of Occupational Licensing".split()) < org_likeness("Utah Board of Nursing".split())
    assert org_likeness("and holds the".split()) < 0.3
    assert org_likeness("Jessica Moore".split()) < 0.1
    path = make_pdf(tmp_path / "a.pdf", [[
        (72, 50, 20, "Harbourside State Board of"),
        (72, 74, 20, "Crane and Rigging Examiners"),
        (72, 140, 11, "Licensee: Ann Lee"),
        (72, 165, 11, "License No: HC-40112"),
    ]])
    assert intake.extract(path).issuer == "Harbourside State Board of Crane and Rigging Examiners"


def test_an_issuer_named_only_in_running_text_is_cut_to_its_name(tmp_path):
    path = make_pdf(tmp_path / "a.pdf", [[
        (72, 60, 14, "Certificate of Competence"),
        (72, 120, 11, "Holder: Ann Lee"),
        (72, 145, 11, "Certificate No: HC-40112"),
        (72, 400, 9, "Issued by the Harbourside Rigging Council on behalf of its members."),
    ]])
    assert intake.extract(path).issuer == "Harbourside Rigging Council"
