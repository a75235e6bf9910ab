"""A tilted scan is levelled before Tesseract reads it; its words' boxes still fall on the page image as it is."""
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from intake.layout import Layout
from intake.ocr import measure_skew, ocr_page
from tests.intake.conftest import FONT

LINES = ["Northwind Crane Safety Council", "Certificate of Competence", "Holder: Grace Okafor",
         "Certificate Number: NCS-208814", "Issued: 14 March 2024", "Expires: 14 March 2029"]


def page(tilt: float) -> Image.Image:
    """A letter page at 300 dpi with a heading over a rule and a few field lines, turned ``tilt`` degrees
    anticlockwise as a flatbed scan tilts it."""
    img = Image.new("L", (2550, 3300), 238)
    draw = ImageDraw.Draw(img)
    draw.text((300, 300), LINES[0], fill=25, font=ImageFont.truetype(FONT, 80))
    draw.line((300, 430, 2250, 430), fill=25, width=6)
    for i, text in enumerate(LINES[1:]):
        draw.text((300, 600 + 140 * i), text, fill=25, font=ImageFont.truetype(FONT, 48))
    return img.rotate(tilt, resample=Image.BICUBIC, fillcolor=238)


@pytest.mark.parametrize("tilt", [-3.0, 2.0])
def test_the_tilt_is_measured(tilt):
    # lines descend to the right by the clockwise tilt (y down): an anticlockwise tilt measures negative
    assert abs(measure_skew(page(tilt)) + tilt) < 0.25
    assert abs(measure_skew(page(0))) < 0.2


@pytest.mark.parametrize("tilt", [-3.0, 2.5])
def test_a_tilted_page_is_read_line_by_line_with_boxes_on_its_ink(tilt):
    image = page(tilt)
    read = ocr_page(image, 1)
    assert (read.width_px, read.height_px) == image.size and read.rotation == 0
    lines = [" ".join(t.text for t in line.tokens) for line in Layout([read]).lines]
    for text in LINES:
        assert text in lines
    ink = np.asarray(image) < 128
    for word in read.words:
        if len(word.text) < 4:
            continue
        x0, top = int(word.x0 * image.width), int(word.top * image.height)
        x1, bottom = int(word.x1 * image.width) + 1, int(word.bottom * image.height) + 1
        box = ink[top:bottom, x0:x1]
        # the box holds its word's ink: most of the box's rows and columns have some
        assert box.any(axis=1).mean() > 0.5 and box.any(axis=0).mean() > 0.5, word.text
        # and the box is tight: the word's ink does not spill beyond it
        assert not ink[max(0, top - 12):top - 8, x0 + 5:x1 - 5].any() or word.text in LINES[0]


def _data(words):
    """A Tesseract image_to_data result: one line of (text, left) words, 40 px high."""
    n = len(words)
    return {"text": [t for t, _ in words], "conf": [90] * n, "left": [x for _, x in words], "top": [100] * n,
            "width": [30 * len(t) for t, _ in words], "height": [40] * n,
            "block_num": [1] * n, "par_num": [1] * n, "line_num": [1] * n}


def test_a_first_of_the_month_misread_as_ist_is_put_right():
    from intake.ocr import _words
    read = [("commencing", 100), ("Ist", 450), ("of", 560), ("January", 640), ("2022", 900),
            ("lst", 1100), ("March", 1200), ("ist", 1450), ("Juni", 1550), ("Ist", 1700), ("Street", 1800)]
    words, _, _ = _words(_data(read), 1, 2550, 3300)
    assert [w.text for w in words] == ["commencing", "1st", "of", "January", "2022", "1st", "March",
                                       "ist", "Juni", "Ist", "Street"]
