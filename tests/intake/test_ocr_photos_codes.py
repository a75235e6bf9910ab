"""Phone photos and barcodes, made in the test and read with real OpenCV, Tesseract and zxing-cpp.

A photo here is a card drawn with Pillow, then put on a textured desk at an
angle with a shadow (a perspective warp of the whole picture), or small in
a big frame, or stored sideways. Codes are written with zxing-cpp itself
and decoded from the page: a QR verification link and a driver's licence
PDF417 carrying AAMVA data.
"""
import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFilter, ImageFont

import intake
from intake.codes import aamva_fields
from intake.ocr import ocr_page
from intake.photo import find_outline
from tests.intake.conftest import FONT

CARD = [(70, 50, 46, "Northwind Crane Safety Council"),
        (70, 170, 36, "Operator Name: Grace Okafor"),
        (70, 240, 36, "Certificate Number: NCS-208814"),
        (70, 310, 36, "Issue Date: 03/14/2024"),
        (70, 380, 36, "Expiration Date: 03/14/2029")]
AAMVA = ("@\n\x1e\rANSI 636014090002DL00410278ZC03190024DLDAQD1234567\nDCSOKAFOR\nDACGRACE\nDADNONE\n"
         "DBD03142024\nDBB01011990\nDBA03142029\nDAG123 MAIN ST\nDCGUSA\n\r")


def card(size=(1400, 880), lines=CARD) -> Image.Image:
    img = Image.new("L", size, 250)
    draw = ImageDraw.Draw(img)
    for x, y, px, text in lines:
        draw.text((x, y), text, fill=20, font=ImageFont.truetype(FONT, px))
    return img


def code_image(text: str, fmt, scale: int) -> Image.Image:
    return Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(text, fmt),
                                                                      scale=scale)))


def photograph(doc: Image.Image, frame=(2000, 1500), at=(300, 250), shadow=True) -> Image.Image:
    """``doc`` on a dark textured desk, seen at an angle, with a shadow across it."""
    rng = np.random.default_rng(7)
    desk = Image.fromarray((70 + rng.integers(0, 40, (frame[1], frame[0]))).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(2))
    desk.paste(doc, at)
    w, h = frame
    # a perspective that shrinks the top edge (the phone held below the desk's edge)
    coeffs = _perspective([(0, 0), (w, 0), (w, h), (0, h)], [(60, 40), (w - 90, 0), (w, h), (0, h - 30)])
    photo = desk.transform(frame, Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=80)
    if shadow:
        ramp = np.linspace(1.0, 0.55, w)[None, :].repeat(h, axis=0)
        photo = Image.fromarray((np.asarray(photo) * ramp).astype(np.uint8))
    return photo


def _perspective(src, dst):
    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows, float), np.array([c for p in src for c in p], float))


def test_the_card_is_found_in_the_photo():
    photo = np.asarray(photograph(card()))
    corners = find_outline(photo)
    assert corners is not None
    x0, y0 = corners[:, 0].min(), corners[:, 1].min()
    x1, y1 = corners[:, 0].max(), corners[:, 1].max()
    # the card (pasted at 300,250, 1400x880, then warped a little) and not the whole frame
    assert 250 < x0 < 420 and 200 < y0 < 330 and 1600 < x1 < 1760 and 1050 < y1 < 1180


def test_a_card_photographed_at_an_angle_with_a_shadow_is_read(tmp_path):
    path = tmp_path / "photo.jpg"
    photograph(card()).convert("RGB").save(path, quality=85)
    e = intake.extract(path)
    assert e.error is None
    assert e.holder_name == "Grace Okafor"
    assert e.license_number == "NCS-208814"
    assert (e.issue_date, e.expiry_date) == ("2024-03-14", "2029-03-14")
    # evidence boxes are fractions of the cropped, flattened card the preview shows
    preview = intake.render_page(path, 1, rotation=e.rotations[0])
    assert abs(preview.width / preview.height - 1400 / 880) < 0.12
    x0, top, x1, bottom = e.evidence["license_number"].bbox
    assert 0.3 < x0 < x1 < 0.9 and 0.2 < top < bottom < 0.4


def test_a_small_card_in_a_big_photo_is_enlarged_and_read(tmp_path):
    small = card().resize((560, 352), Image.LANCZOS)       # letters ~8 px high
    path = tmp_path / "far.png"
    photograph(small, frame=(1800, 1400), at=(600, 500), shadow=False).save(path)
    e = intake.extract(path)
    assert e.license_number == "NCS-208814"
    assert e.holder_name == "Grace Okafor"


def test_a_sideways_photo_is_turned_upright(tmp_path):
    path = tmp_path / "sideways.jpg"
    photograph(card()).rotate(90, expand=True).convert("RGB").save(path, quality=85)
    e = intake.extract(path)
    assert e.rotations == [90]
    assert e.license_number == "NCS-208814"


def bannered_page() -> Image.Image:
    """A page whose heading is white on a dark banner, then dark lines of fields."""
    img = Image.new("L", (1240, 1754), 245)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1240, 200), fill=40)
    draw.text((80, 60), "Northwind Crane Safety Council", fill=250, font=ImageFont.truetype(FONT, 56))
    body = [text for _, _, _, text in CARD[1:]] + ["This certifies that the holder has completed the",
                                                   "required training and assessment for the class."]
    for i, text in enumerate(body):
        draw.text((90, 300 + 60 * i), text, fill=30, font=ImageFont.truetype(FONT, 30))
    return img


def test_a_sideways_page_tesseract_turns_the_wrong_way_is_read_the_other_way(tmp_path):
    # Tesseract reads this page's sideways lines as if its top were on the
    # right (upside-down words, few of them confident); reading it turned the
    # other way finds the fields.
    path = tmp_path / "sideways-page.jpg"
    photograph(bannered_page(), frame=(2000, 2400)).rotate(90, expand=True).convert("RGB").save(path, quality=85)
    e = intake.extract(path)
    assert e.rotations == [90]
    assert (e.holder_name, e.license_number, e.issue_date) == ("Grace Okafor", "NCS-208814", "2024-03-14")


def faint_label_scan() -> Image.Image:
    """A scanned page on grey paper whose small field labels are printed in light grey over their
    dark values (a digital credential's "AWARD DATE" / "2024-03-14" grid), blurred and noisy."""
    img = Image.new("L", (2550, 3300), 228)
    draw = ImageDraw.Draw(img)
    big, small = ImageFont.truetype(FONT, 64), ImageFont.truetype(FONT, 30)
    draw.text((200, 300), "Northwind Crane Safety Council", fill=30, font=ImageFont.truetype(FONT, 90))
    draw.text((200, 700), "Grace Okafor", fill=30, font=big)
    for x, y, label, value in [(200, 1000, "CERTIFICATE NO.", "NCS-208814"), (1400, 1000, "AWARD DATE", "2024-03-14"),
                               (200, 1300, "EXPIRES", "2029-03-14"), (1400, 1300, "ASSESSMENT CODE", "900075044")]:
        draw.text((x, y), label, fill=150, font=small)
        draw.text((x, y + 50), value, fill=30, font=big)
    noise = np.random.default_rng(3).normal(0, 6, (3300, 2550))
    return Image.fromarray(np.clip(np.asarray(img.filter(ImageFilter.GaussianBlur(1.2))) + noise, 0, 255).astype(np.uint8))


def test_light_grey_labels_lost_by_both_thresholds_are_read_against_the_paper(tmp_path):
    # Tesseract's global and local thresholds both drop the labels (so the
    # licence number and both dates have nothing naming them); the further
    # look binarised against the paper's own brightness reads them.
    page = faint_label_scan()
    assert "AWARD" not in " ".join(w.text for w in ocr_page(page, 1).words)
    path = tmp_path / "faint.pdf"
    page.save(path, resolution=300)
    e = intake.extract(path)
    assert (e.license_number, e.issue_date, e.expiry_date) == ("NCS-208814", "2024-03-14", "2029-03-14")


def test_a_qr_verification_link_is_kept_as_evidence(tmp_path):
    page = card(size=(1400, 1100))
    page.paste(code_image("https://verify.northwind.example/c/NCS-208814", zxingcpp.BarcodeFormat.QRCode, 8),
               (1100, 700))
    path = tmp_path / "qr.png"
    page.save(path)
    e = intake.extract(path)
    assert e.error is None
    [qr] = e.codes
    assert qr["format"] == "QRCode" or "QR" in qr["format"]
    assert qr["url"] == "https://verify.northwind.example/c/NCS-208814"
    x0, top, x1, bottom = qr["bbox"]
    assert 0.7 < x0 < x1 < 1 and 0.55 < top < bottom < 1
    assert intake.Extraction.from_dict(e.to_dict()).codes == e.codes


def test_a_scanned_pdf_page_is_searched_for_codes(tmp_path):
    page = card(size=(1700, 2200))
    page.paste(code_image("https://verify.northwind.example/c/1", zxingcpp.BarcodeFormat.QRCode, 8), (1200, 1700))
    path = tmp_path / "scan.pdf"
    page.save(path, resolution=200)
    e = intake.extract(path)
    assert [c["url"] for c in e.codes] == ["https://verify.northwind.example/c/1"]


def test_a_licence_pdf417_gives_its_fields_with_their_own_confidence(tmp_path):
    # the printed number is wrong on purpose: the barcode is the issuer's machine-readable copy
    lines = CARD[:2] + [(70, 240, 36, "Certificate Number: NCS-2O8B14")] + CARD[3:]
    page = card(size=(1400, 1100), lines=lines)
    page.paste(code_image(AAMVA, zxingcpp.BarcodeFormat.PDF417, 3), (70, 600))
    path = tmp_path / "licence.png"
    page.save(path)
    e = intake.extract(path)
    assert e.license_number == "D1234567" and e.confidence["license_number"] >= 0.95
    assert e.holder_name == "Grace Okafor"
    assert (e.issue_date, e.expiry_date) == ("2024-03-14", "2029-03-14")
    assert e.evidence["license_number"].text == "PDF417 barcode"


@pytest.mark.parametrize("country, issued, want", [
    ("USA", "03142024", "2024-03-14"),     # AAMVA in the US: MMDDCCYY
    ("CAN", "20240314", "2024-03-14"),     # in Canada: CCYYMMDD
])
def test_aamva_date_order_follows_the_country(country, issued, want):
    found = aamva_fields(AAMVA.replace("DBD03142024", f"DBD{issued}").replace("DCGUSA", f"DCG{country}"))
    assert found["issue_date"].isoformat() == want


def test_text_that_is_not_aamva_gives_no_fields():
    assert aamva_fields("https://example.org/ANSI") is None
    assert aamva_fields("DAQ123 but no header") is None
