"""What the OCR path's speed-ups must keep: the same label matches, barcodes and upright pages."""
from intake.fields import labels
from intake.layout import Layout
from intake.model import Page, Word

W, H = 2550, 3300      # a letter page at 300 dpi


def ocr_page(rows, size=40):
    """A Page of OCR words: rows of (x_px, y_px, text, conf)."""
    words = []
    for x, y, text, conf in rows:
        for part in text.split():
            w = 0.55 * size * len(part)
            words.append(Word(part, x / W, y / H, (x + w) / W, (y + size) / H, 1, conf, size / H))
            x += w + 0.5 * size
    return Page(1, words, "ocr", W, H)


MISREAD = [(200, 300, "Harbor Valley Welding Institute", 0.95),
           (200, 500, "Expiratlon Date", 0.6), (900, 500, "May 21, 2022", 0.9),
           (200, 600, "DateIssued", 0.6), (900, 600, "May 21, 2021", 0.9),
           (200, 700, "Certifcate Numbr", 0.5), (900, 700, "HVW-40917", 0.9),
           (200, 800, "Issued", 0.8), (200, 900, "Holder Narne", 0.55), (900, 900, "Ann Lee", 0.9)]


def _matches(hints=None):
    ex = labels.Extractor(Layout([ocr_page(MISREAD)]), hints)
    return [(m.line.tokens[m.first].text, m.kind, m.phrase, m.first, m.last, m.strength)
            for _, ms in sorted(ex.labels.items()) for m in ms]


def test_fuzzy_label_pass_finds_what_the_whole_table_scan_finds(monkeypatch):
    hints = [{"field": "license_number", "label": "Registrn No"}]
    fast = _matches(), _matches(hints)
    kinds = {(text, kind) for text, kind, *_ in fast[0]}
    assert ("Expiratlon", "date:expiry") in kinds           # a misread word
    assert ("DateIssued", "date:issue") in kinds            # two words OCR merged
    assert ("Narne", "holder_name") in kinds or ("Holder", "holder_name") in kinds
    # the prefilter only skips phrases that cannot match: scanning every phrase gives the same
    monkeypatch.setattr(labels._LabelIndex, "fuzzy_entries", lambda self, norms, unsure: self.table)
    assert (_matches(), _matches(hints)) == fast


# --- OCR and readers ------------------------------------------------------------------

def test_background_spread_counts_what_pillows_max_filter_counts():
    import numpy as np
    from PIL import Image, ImageFilter

    from intake.ocr import _max_filtered_histogram, background_spread
    rng = np.random.default_rng(3)
    for shape in [(1, 1), (3, 7), (230, 301), (299, 188)]:
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8))
        assert _max_filtered_histogram(image).tolist() == image.filter(ImageFilter.MaxFilter(5)).histogram()
    # a page with a shadow over its right half is uneven, an evenly lit one is not
    ramp = np.linspace(250, 120, 2400)[None, :].repeat(3000, axis=0).astype(np.uint8)
    assert background_spread(Image.fromarray(ramp)) > 100
    assert background_spread(Image.new("L", (2400, 3000), 240)) == 0


def _scan(tmp_path):
    from PIL import Image, ImageDraw, ImageFont

    from tests.intake.conftest import FONT
    page = Image.new("L", (1400, 900), 250)
    draw = ImageDraw.Draw(page)
    for y, text in ((80, "Northwind Crane Safety Council"), (300, "Certificate Number: NCS-208814")):
        draw.text((80, y), text, fill=20, font=ImageFont.truetype(FONT, 44))
    path = tmp_path / "scan.pdf"
    page.save(path, resolution=200)
    return str(path)


def test_the_first_readings_page_images_serve_the_further_looks(tmp_path):
    from intake import readers
    from intake.ocr import PAPER_RELATIVE
    path = _scan(tmp_path)
    images = {}
    doc = readers.read_document(path, images=images)
    assert list(images) == [1] and images[1].size == readers.render_pdf_page(readers.open_pdf(path)[0]).size
    kept = images[1]
    again = readers.reread(path, doc, 60.0, PAPER_RELATIVE, images=images)
    assert images[1] is kept                      # not rendered again
    fresh = readers.reread(path, doc, 60.0, PAPER_RELATIVE)
    assert [w.text for w in again[0].words] == [w.text for w in fresh[0].words]
    assert "NCS-208814" in [w.text for w in again[0].words]


def test_page_images_beyond_the_budget_are_not_kept(tmp_path, monkeypatch):
    from intake import readers
    monkeypatch.setattr(readers, "KEEP_PIXELS", 1000)
    images = {}
    readers.read_document(_scan(tmp_path), images=images)
    assert images == {}


def test_a_scan_with_a_dark_header_banner_is_even_but_a_shadowed_photo_is_not():
    # A banner across the top 7% of a flatbed scan is print, not uneven light:
    # it must not send the page to Sauvola's local threshold (whose word boxes
    # on the banner are as tall as the banner). A shadow over a third of the page is uneven.
    import numpy as np
    from PIL import Image

    from intake.ocr import UNEVEN_SPREAD, background_spread
    page = np.full((3000, 2400), 238, np.uint8)
    page[:210] = 50
    assert background_spread(Image.fromarray(page)) < UNEVEN_SPREAD
    shadow = np.full((3000, 2400), 238, np.uint8)
    shadow[:, 1600:] = 120
    assert background_spread(Image.fromarray(shadow)) >= UNEVEN_SPREAD


def test_an_upside_down_page_is_read_twice_and_osd_is_not_asked(tmp_path, monkeypatch):
    # Level lines read poorly are most often a page upside down: reading it
    # turned over comes first, OSD (and its four trial readings) only if that fails too.
    import intake
    from intake import ocr
    from tests.intake.conftest import make_image
    card = [(80, 60, 44, "Northwind Crane Safety Council"), (80, 170, 34, "Operator Name: Grace Okafor"),
            (80, 240, 34, "Certificate Number: NCS-208814"), (80, 310, 34, "Issue Date: 03/14/2024")]
    asked = []
    run = ocr._run
    monkeypatch.setattr(ocr, "_run", lambda *a, **kw: asked.append(a[4] if len(a) > 4 else "data") or run(*a, **kw))
    e = intake.extract(make_image(tmp_path / "upside.png", card, rotate=180))
    assert e.rotations == [180]
    assert (e.license_number, e.issue_date) == ("NCS-208814", "2024-03-14")
    assert asked == ["data", "data"]


def test_a_grey_scan_is_drawn_straight_into_grey_and_comes_out_the_same(tmp_path, card_pdf):
    # PDFium's grey mode converts every colour it draws (4x the CPU on a scan);
    # a page of grey pictures has nothing to convert, so it is drawn without it.
    from PIL import Image

    from intake import readers
    grey = Image.effect_noise((1200, 1500), 40).point(lambda v: 160 + v // 3)
    grey.save(tmp_path / "grey.pdf", resolution=150)
    grey.convert("RGB").save(tmp_path / "colour.pdf", resolution=150)
    for name, fast in (("grey.pdf", True), ("colour.pdf", False), (card_pdf, False)):
        page = readers.open_pdf(str(tmp_path / name))[0]
        assert readers._grey_pictures_only(page) is fast
        drawn = readers.render_pdf_page(page)
        assert drawn.mode == "L"
        assert drawn.tobytes() == page.render(scale=readers.RENDER_DPI / 72, grayscale=True).to_pil().tobytes()


def test_opencv_runs_on_one_thread_once_a_page_is_prepared():
    # parallelism comes from one worker process per core; OpenCV's pool only added CPU
    import cv2
    from PIL import Image

    from intake import ocr
    ocr.prepare_page(Image.new("L", (1200, 1600), 240))
    assert cv2.getNumThreads() == 1


def test_the_paper_relative_look_binarises_at_the_paper_threshold():
    import numpy as np
    from PIL import Image

    from intake.ocr import PAPER_INK_BELOW, paper_relative
    from intake.photo import even_light
    page = np.random.default_rng(4).integers(150, 256, (900, 700), dtype=np.uint8)
    page[300:340, 100:600] = 205      # a light grey label on the paper
    binary = np.asarray(paper_relative(Image.fromarray(page)))
    assert np.array_equal(binary, np.where(even_light(page) < PAPER_INK_BELOW, 0, 255).astype(np.uint8))


def test_components_finds_what_opencvs_default_labelling_finds():
    import cv2
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from intake.ocr import components
    from tests.intake.conftest import FONT
    page = Image.new("L", (1600, 1000), 0)
    draw = ImageDraw.Draw(page)
    for y in range(40, 960, 60):
        draw.text((40, y), "Licence No. ..........: PJ957410  Issued 03/14/2024", fill=255,
                  font=ImageFont.truetype(FONT, 36))
    ink = np.asarray(page).copy()
    ink[np.random.default_rng(2).random(ink.shape) < 0.01] = 255   # specks
    want = cv2.connectedComponentsWithStats(ink, connectivity=8)
    got = components(ink)
    assert got[0] == want[0] and all(np.array_equal(a, b) for a, b in zip(got[1:], want[1:]))


def test_a_photo_is_turned_as_its_exif_says_and_only_then(tmp_path):
    import numpy as np
    from PIL import Image, ImageOps

    from intake.readers import open_image_frames
    photo = Image.fromarray(np.random.default_rng(6).integers(0, 256, (300, 400, 3), dtype=np.uint8))
    for orientation in (1, 6, 3):
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"photo{orientation}.jpg"
        photo.save(path, exif=exif.tobytes())
        want = ImageOps.exif_transpose(Image.open(path)).convert("L")
        [got] = open_image_frames(str(path))
        assert got.size == ((400, 300) if orientation != 6 else (300, 400))
        assert got.tobytes() == want.tobytes()
