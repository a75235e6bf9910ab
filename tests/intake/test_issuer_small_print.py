"""An issuer named only in small print set in capitals (a register printout's footer: "THE ONLINE
REGISTER OF / X BOARD OF Y IS THE PRIMARY SOURCE."): documents made in the test."""
import intake
from tests.intake.conftest import make_pdf

BODY = [(72, 60, 12, "STATE OF OREGON"), (72, 80, 10, "PAGE 1"),
        (72, 130, 10, "REGISTERED PERSON ........: KOWALSKI, ANNA"),
        (72, 150, 10, "LICENSE NO. ...............: RPH-0048213"),
        (72, 170, 10, "TERM BEGINS ...............: 04-01-2023"),
        (72, 190, 10, "TERM ENDS .................: 03-31-2025")]


def test_a_granting_body_named_in_caps_small_print_is_the_issuer(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "printout.pdf", [BODY + [
        (72, 700, 7, "THIS EXTRACT REFLECTS THE RECORD AT THE TIME OF PRINTING. THE ONLINE REGISTER OF"),
        (72, 710, 7, "OREGON BOARD OF PHARMACY IS THE PRIMARY SOURCE. VERIFY AT WWW.EXAMPLE.GOV.")]]))
    assert e.error is None
    assert e.issuer == "OREGON BOARD OF PHARMACY"
    assert e.confidence["issuer"] < 0.9   # small print in running text: a reviewer confirms it


def test_a_name_the_caps_sentence_wraps_inside_is_read_whole(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "printout.pdf", [BODY + [
        (72, 700, 7, "THIS EXTRACT REFLECTS THE RECORD AT THE TIME OF PRINTING. THE ONLINE REGISTER OF NEW"),
        (72, 710, 7, "MEXICO BOARD OF PHARMACY IS THE PRIMARY SOURCE. VERIFY AT WWW.EXAMPLE.GOV.")]]))
    assert e.issuer == "NEW MEXICO BOARD OF PHARMACY"


def test_a_name_with_a_joined_pair_before_its_head(tmp_path):
    e = intake.extract(make_pdf(tmp_path / "printout.pdf", [BODY + [
        (72, 700, 7, "THE PUBLIC REGISTER OF THE HEALTH AND SOCIAL CARE COUNCIL IS THE PRIMARY SOURCE.")]]))
    assert e.issuer == "HEALTH AND SOCIAL CARE COUNCIL"


def test_a_caps_sentence_naming_no_body_gives_none(tmp_path):
    """"THE BOARD" alone is no name, and a heading in caps is the heading reader's."""
    e = intake.extract(make_pdf(tmp_path / "printout.pdf", [BODY + [
        (72, 700, 7, "THIS LICENCE IS ISSUED UNDER THE AUTHORITY OF THE BOARD AND REMAINS ITS PROPERTY.")]]))
    assert e.issuer is None or "BOARD" not in e.issuer.upper()
