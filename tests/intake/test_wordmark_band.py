"""An issuer printed only as a large logo-like wordmark at the top of a scan: the first reading
splits it into letters ("N O RVEX") or drops it, and a look at the page's top band as sparse
text reads it whole. The look is taken only when the first reading found no confident issuer."""
from PIL import Image, ImageDraw, ImageFont

from intake.model import Page, Word
from intake.ocr import TOP_BAND, TOP_BAND_SHARE, ocr_page
from intake.pipeline import _banded, _Reading, extract_document
from tests.intake.conftest import FONT

BOLD = FONT.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FIELDS = ["Certified Quality Auditor", "Credential earner", "MARTA L RIVERA", "Certificate ref.  504463",
          "Commencement date  11/23/2022", "Recertify by  11/23/2025"]


def badge(top: str, bold: bool) -> Image.Image:
    """A scanned badge page at 300 dpi: ``top`` in a grey header band over a credential's fields."""
    img = Image.new("L", (2550, 3300), 225)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 2550, 450), fill=210)
    draw.text((240, 180), top, fill=80, font=ImageFont.truetype(BOLD if bold else FONT, 110 if bold else 64))
    draw.text((1950, 240), "DIGITAL CREDENTIAL", fill=90, font=ImageFont.truetype(FONT, 30))
    for i, text in enumerate(FIELDS):
        draw.text((600, 1200 + 120 * i), text, fill=50, font=ImageFont.truetype(FONT, 44))
    return img


def scan(path, image: Image.Image):
    """``image`` as a scanned PDF (an image-only page at 300 dpi)."""
    image.save(path, "PDF", resolution=300)
    return path


def test_the_band_look_reads_only_the_top_band_with_boxes_on_the_page():
    image = badge("NORVEX", bold=True)
    band = ocr_page(image, 1, rotation=0, look=TOP_BAND)
    assert (band.width_px, band.height_px) == image.size
    assert "NORVEX" in [w.text for w in band.words]
    assert all(w.bottom <= TOP_BAND_SHARE for w in band.words)
    mark = next(w for w in band.words if w.text == "NORVEX")
    assert 0.08 < mark.x0 < 0.11 and 0.05 < mark.top < 0.07   # where it is drawn (240, 180 px + the font's bearing)


def test_a_wordmark_the_first_reading_splits_is_read_as_the_issuer(tmp_path):
    path = scan(tmp_path / "badge.pdf", badge("NORVEX", bold=True))
    first = _Reading(str(path), 60.0)
    assert "NORVEX" not in [w.text for w in first.doc.pages[0].words]   # the failure the look is for
    result = extract_document(str(path))
    assert result.issuer == "NORVEX"
    assert result.confidence["issuer"] < 0.9   # a wordmark alone names a brand, not surely the issuer
    assert result.holder_name == "Marta L Rivera" and result.issue_date == "2022-11-23"


def test_a_confident_issuer_costs_no_band_look(tmp_path):
    path = scan(tmp_path / "card.pdf", badge("Northwind Crane Safety Council", bold=False))
    reading = _Reading(str(path), 60.0)
    found, _ = reading.fields(None)
    assert found["results"]["issuer"].value == "Northwind Crane Safety Council"
    assert reading._band is None


def word(text, x0, x1, conf, top=0.05, bottom=0.09):
    w = Word(text, x0, top, x1, bottom, 1, conf, bottom - top)
    w.lx, w.ly = w.lx + 0.004, w.ly + 0.006   # layout centres are levelled, boxes are not
    return w


def test_a_confident_band_word_replaces_the_fragments_read_in_its_place():
    first = Page(1, [word("iS", 0.10, 0.13, 0.91), word("AC", 0.135, 0.17, 0.47), word("A", 0.175, 0.19, 0.94),
                     word("DIGITAL", 0.70, 0.78, 0.39, 0.08, 0.09), word("Holder", 0.1, 0.2, 0.95, 0.5, 0.52)],
                 "ocr", 2550, 3300)
    band = Page(1, [word("ISACA", 0.10, 0.19, 0.92), word("DIGITAL", 0.70, 0.78, 0.95, 0.08, 0.09),
                    word("~", 0.3, 0.31, 0.6, 0.15, 0.16), word("ee", 0.70, 0.72, 0.5, 0.08, 0.09)],
                "ocr", 2550, 3300)
    texts = sorted(w.text for w in _banded(first, band).words)
    # the sure words take their places; an unsure one only where the first reading has nothing
    assert texts == sorted(["ISACA", "DIGITAL", "~", "Holder"])
