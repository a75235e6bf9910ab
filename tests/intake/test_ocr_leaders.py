"""Dot leaders in a printout ("LICENSE NO. ..........: PJ957410") are removed before Tesseract reads the page."""
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from intake.ocr import dot_leaders, ocr_page, without_dot_leaders

MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
ROWS = [("MEMBER NAME", "IVES, NORA K"), ("LICENSE NO.", "PJ957410"), ("STATUS", "CURRENT"),
        ("LICENSE EXPIRES", "December 31, 2021"), ("PUBLIC ACTIONS", "NO RECORD")]
PROSE = "This extract is the record at the time of printing. Verify it online at a.b.c.i.j."


def printout(leaders: bool = True) -> Image.Image:
    """A scanned monospace registry printout: labels padded to their values with dots, a line of prose."""
    img = Image.new("L", (2550, 1800), 236)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(MONO, 40)
    draw.text((200, 200), "NORTHWIND BOARD OF PLUMBING", fill=25, font=font)
    for i, (label, value) in enumerate(ROWS):
        text = (label + " ").ljust(26, ".") + ": " + value if leaders else label.ljust(26) + ": " + value
        draw.text((200, 400 + 70 * i), text, fill=25, font=font)
    draw.text((200, 900), PROSE, fill=25, font=ImageFont.truetype(MONO, 30))
    noise = np.random.default_rng(5).normal(0, 5, (1800, 2550))
    page = np.asarray(img.rotate(0.6, fillcolor=236).filter(ImageFilter.GaussianBlur(0.8)))
    return Image.fromarray(np.clip(page + noise, 0, 255).astype(np.uint8))


def test_the_dots_of_leaders_are_found_and_nothing_else():
    boxes = dot_leaders(np.asarray(printout()))
    # every row's leader (10-20 dots each), and no box on the heading, the values or the prose
    assert len(boxes) >= 50
    assert all(400 <= top <= 800 for _, top, _, _ in boxes)
    plain = printout(leaders=False)
    assert dot_leaders(np.asarray(plain)) == []
    assert without_dot_leaders(plain) is plain          # a page without leaders is read as it was


def test_a_printout_with_dot_leaders_reads_its_labels_and_values():
    # Read with its leaders, Tesseract turns this page's dots into letters
    # ("PIIS7416", "STAIUS"); without them it reads every label and value.
    words = [w.text for w in ocr_page(printout(), 1).words]
    text = " ".join(words)
    for label, value in ROWS:
        assert label in text and value in text
    assert "Verify it online" in text
