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


def test_a_lowercase_wordmark_printed_again_in_the_footer_is_the_issuer(tmp_path):
    # no organisation word and no label: the name recurs (address line, footer) where a heading
    # that is only a wrapped table cell ("Developer II") is printed once
    page = [(72, 40, 16, "torvexa"), (72, 70, 10, "Torvexa · Harbour City, CA 94105"),
            (72, 110, 11, "Learner DANA OKONJO"), *ROWS, (300, 300, 11, "Torvexa Certified Builder"),
            (300, 314, 11, "Developer II"),
            (72, 400, 10, "This transcript was generated from the learning record of Torvexa.")]
    e = _read(tmp_path, page)
    assert e.issuer.lower() == "torvexa"


def test_a_name_cut_short_is_not_the_longer_name_printed_again(tmp_path):
    from intake.fields.recurrence import _approximately_in
    assert _approximately_in("federal aviatio", "if found return to federal aviatio washington") is True
    assert _approximately_in("federal aviatio", "if found return to federal aviation administration") is False
    assert _approximately_in("harbour pilots guild", "return to the harbour pi1ots guild dublin") is True


def test_a_given_name_repeated_in_an_email_is_no_issuer(tmp_path):
    page = [(72, 40, 11, "Fwd: your certificate"), (72, 70, 11, "Hi Brendan,"),
            (72, 100, 11, "Brendan"), (72, 130, 11, "Thanks Brendan for the file"), *ROWS]
    e = _read(tmp_path, page)
    assert (e.issuer or "").lower() != "brendan"


def test_a_heading_in_lowercase_connectors_is_an_organisation_and_its_note_stays_apart(tmp_path):
    from intake.fields.issuer import org_likeness
    assert org_likeness(["Kammer", "Nordheim", "und", "Umland"]) > 0   # "und" joins, it is no sentence
    page = [(72, 40, 14, "THE GUILD OF HARBOUR PILOTS OF LAKESHORE"), (72, 58, 9, "(Set Up By AN Act OF PARLIAMENT)"),
            (72, 110, 20, "Certificate of Registration"), *ROWS]
    assert _read(tmp_path, page).issuer == "THE GUILD OF HARBOUR PILOTS OF LAKESHORE"


def test_a_web_address_that_spells_the_issuers_name_confirms_it():
    from intake.fields.issuer_domain import _labels, _spelt
    text = ("Verify at dpor.lakeshore.gov or www.lakeshore.gov/lcrb/verify; heartandsole.example/check; "
            "hosted by https://verify.badgevault.net/c/x; write to frank@lcc.example")
    labels = _labels(text)
    assert _spelt(labels, "Lakeshore Department of Professional and Occupational Regulation")   # initials of its last words
    assert _spelt(labels, "Lakeshore Council for Registration and Boards")                      # "lcrb": with connectors left out
    assert _spelt(labels, "Heart and Sole Foundation of Lakeshore")                              # first words run together
    assert not _spelt(labels, "Lakeshore Chiropody Council")     # an e-mail's domain, and a name's word alone, are no evidence
    assert not _spelt(labels, "Apex Learning Centre")


def test_a_shared_second_level_of_an_address_spells_no_ones_initials():
    from intake.fields.issuer_domain import _labels, _spelt
    labels = _labels("Standards at www.nursing.gov.uk; apply via https://x.ac.nz/apply or reg.co.za")
    assert {"gov", "ac", "co"}.isdisjoint(labels) and {"nursing", "x", "reg"} <= labels
    assert not _spelt(labels, "Allied College")        # "ac" is every university's, not this body's
    assert not _spelt(labels, "Government of Victoria")      # "gov" with its connector
    assert _spelt(labels, "Nursing")


def test_an_ocr_issuer_whose_initials_the_page_address_spells_is_confirmed():
    from tests.intake.test_ocr_classes import fields
    rows = [(200, 150, "Lakeshore Chiropody Council"), (200, 600, "Licence No."), (900, 600, "LC-20931")]
    _, plain = fields(rows, conf=0.8)
    got, addressed = fields(rows + [(200, 1800, "Verify this licence at www.lcc.example/verify")], conf=0.8)
    assert plain["results"]["issuer"].confirmed is None
    assert addressed["results"]["issuer"].confirmed and got["issuer"][1] >= 0.9


def test_marks_at_the_ends_of_a_heading_are_no_part_of_the_name():
    """A logo's speck read as "@" before the name, a bar after it ("Harbour Guild of Chiropodists |"):
    the heading is the name between them."""
    from intake.fields import DocumentFields
    from intake.fields.issuer import _heading_org
    from intake.layout import Layout
    from tests.intake.test_ocr_classes import ocr_page
    rows = [(200, 600, "Certificate of Registration"), (200, 800, "Registrant: Marta Rivera")]
    for heading in ("@ Harbour Guild of Chiropodists", "Harbour Guild of Chiropodists |"):
        layout = Layout([ocr_page([(200, 150, heading)] + rows)])
        _, text, org = _heading_org(DocumentFields(layout), layout.lines, 40 / 3300)
        assert (text, org) == ("Harbour Guild of Chiropodists", True), heading


def test_a_country_after_the_head_word_ends_a_bodys_name():
    from intake.fields.issuer import org_likeness
    assert org_likeness(["Lakeshore", "Lifeguard", "Society", "UK"]) == org_likeness(["Lakeshore", "Lifeguard", "Society"])
    assert org_likeness(["Harbour", "Pilots", "Institute", "Ireland"]) >= 0.8
    assert org_likeness(["Society", "President", "UK"]) < 0.8     # the head qualifies a title, the country does not help


def test_vocabulary_words_with_diacritics_match_tokens_as_they_are_compared():
    """Tokens are compared accents folded ("für" as "fur"), so the word lists hold that form too;
    and every entry is a word (YAML reads a bare on as true)."""
    from intake.fields.issuer import org_likeness
    from intake.fields.vocabulary import CHANGE_WORDS, CONNECTOR_WORDS
    assert {"fur", "on"} <= CONNECTOR_WORDS and "verlangert" in CHANGE_WORDS
    assert all(isinstance(w, str) for w in CONNECTOR_WORDS)
    assert org_likeness(["Verband", "für", "Sicherheit"]) == 1.0   # "für" joins, as "for" would


def test_a_government_named_before_a_body_called_after_the_same_place_is_its_parent():
    from intake.fields import DocumentFields
    from intake.fields.issuer import _two_bodies
    from intake.layout import Layout
    from tests.intake.test_ocr_classes import ocr_page

    def cut(heading):
        layout = Layout([ocr_page([(200, 150, heading)])])
        DocumentFields(layout)
        return [" ".join(t.text for t in part) for part in _two_bodies(layout.lines[0].tokens)]
    assert cut("GOVERNMENT OF LAKESHORE TRANSPORT LAKESHORE") == ["GOVERNMENT OF LAKESHORE", "TRANSPORT LAKESHORE"]
    assert cut("STATE OF NEW YORK DEPARTMENT OF EDUCATION") == ["STATE OF NEW YORK DEPARTMENT OF EDUCATION"]
