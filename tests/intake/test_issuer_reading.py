"""Who grants the credential, from signals any document carries: names set side by side, a
brand and its product, a name wrapped in running text, initials spelt out (documents made in
the test)."""
import intake
from tests.intake.conftest import make_pdf


def _read(tmp_path, lines, name="doc.pdf"):
    e = intake.extract(make_pdf(tmp_path / name, [lines]))
    assert e.error is None
    return e


ROWS = [(72, 300, 11, "Permit No.: LC-20931"), (72, 320, 11, "Issued: 03/14/2024")]


def test_two_names_set_side_by_side_with_a_bar_are_two_names(tmp_path):
    e = _read(tmp_path, [(72, 50, 12, "COLLEGE OF CHIROPODISTS OF LAKESHORE | ORDRE DES PODIATRES DU LAC"),
                         (72, 110, 20, "Certificate of Registration"), *ROWS])
    assert e.issuer == "COLLEGE OF CHIROPODISTS OF LAKESHORE"


def _brand_page(top_word="ORCAVEX"):
    return [(72, 60, 12, top_word), (72, 90, 10, "C E R T I F I C A T E"),
            (72, 130, 12, "By the authority vested in it, the Institute confers upon"),
            (72, 170, 24, "Harriet Q. Lindqvist"), (72, 210, 11, "the designation of"),
            (72, 240, 18, "Orcavex Certified Administrator"), *ROWS]


def test_a_brand_printed_alone_grants_the_product_named_after_it(tmp_path):
    # not the product's name, nor a title set letter by letter
    assert _read(tmp_path, _brand_page()).issuer == "ORCAVEX"


def test_a_name_wrapped_in_running_text_is_read_whole(tmp_path):
    e = _read(tmp_path, [(72, 110, 20, "Certificate of Competence"), *ROWS,
                         (72, 400, 10, "Given under the common seal of the Guild of Harbour Pilots and"),
                         (72, 414, 10, "Marine Engineers.")])
    assert e.issuer == "Guild of Harbour Pilots and Marine Engineers"


def test_a_name_spelt_out_beats_its_initials_and_their_product(tmp_path):
    page = [(72, 50, 12, "GHPME"), (72, 110, 20, "GHPME Bridge Watchkeeping"), *ROWS,
            (72, 400, 10, "Given under the common seal of the Guild of Harbour Pilots and"),
            (72, 414, 10, "Marine Engineers.")]
    e = _read(tmp_path, page)
    assert e.issuer == "Guild of Harbour Pilots and Marine Engineers"
    assert e.confidence["issuer"] < 0.9   # initials say which name, not that it grants


def test_the_holders_name_in_big_type_leaves_the_heading_to_the_wordmark(tmp_path):
    # a given name no list knows ("Yukari") does not make the holder's line an organisation
    page = [(72, 50, 14, "KORVANTH"), (72, 90, 11, "Upon the recommendation of the examiners, the Board confers upon"),
            (72, 140, 40, "Yukari Lee Harmsworth"), (72, 200, 11, "the title and credential"),
            (72, 230, 18, "Safe Lifting & Hoist Awareness Training"), *ROWS]
    assert _read(tmp_path, page).issuer == "KORVANTH"
