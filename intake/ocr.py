"""OCR with Tesseract: word boxes and confidences, orientation, skew.

One Tesseract process per page with ``OMP_THREAD_LIMIT=1`` (parallelism comes
from one worker process per core, which is several times faster than
Tesseract's own OpenMP threading). A page is read once, at the cost of a
plain ``tesseract`` run: global (Otsu) thresholding for an even background
(a flatbed scan), local (Sauvola) thresholding when the paper's brightness
varies across the image (a phone photo with a shadow or a desk around the
page), measured on a reduced image in a few milliseconds. Only when that
reading is poor (few confident words: an upside-down scan) is the page
read again turned over, and only when that is poor too is the orientation
detected with OSD on a reduced image (falling back to trying 90/180/270). Before the reading, dot leaders are
painted over and a page tilted by more than DESKEW_MIN degrees is levelled
(its skew measured from line blobs in a few milliseconds); the words' boxes
are moved back onto the page image as it is. Skew is measured from the recognised
lines and removed from the words' layout coordinates; bboxes stay in the
(orientation-corrected) page image's space so they line up with
``intake.render_page``.
"""
from __future__ import annotations

import math
import os
import re
import statistics
import tempfile
import time
from dataclasses import dataclass

from PIL import Image

from .errors import IntakeError
from .model import Page, Word, rotate_box

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

MAX_SIDE = 4200          # longer images are reduced before OCR
MIN_SIDE_UPSCALE = 1000  # a whole page image shorter than this is enlarged 2x
OSD_SIDE = 2000          # orientation is detected on an image reduced to this side
_ALPHA = re.compile(r"[A-Za-z]{3,}")


def opencv():
    """OpenCV, loaded on first use, on one thread: parallelism comes from one
    worker process per core (as for Tesseract), and OpenCV's own thread pool
    only added CPU on top of the same work (a levelling 88 -> 73 ms)."""
    import cv2
    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
    return cv2


def components(ink):
    """``cv2.connectedComponentsWithStats(ink, connectivity=8)``: the same labels, stats and
    centres, found by Grana's block-based algorithm in 30-70% of the CPU of OpenCV's default
    (Spaghetti) on pages of text (every dot-leader, skew and letter-height image of the OCR'd
    pages of dev and val compared)."""
    cv2 = opencv()
    return cv2.connectedComponentsWithStatsWithAlgorithm(ink, 8, cv2.CV_32S, cv2.CCL_GRANA)


def _tesseract():
    try:
        import pytesseract
    except ImportError:  # pragma: no cover
        raise IntakeError("ocr_unavailable", "pytesseract is not installed.") from None
    return pytesseract


def tesseract_version() -> str:
    """The version line of the Tesseract this process would run (one
    ``tesseract --version``); raises ``IntakeError("ocr_unavailable")``."""
    pytesseract = _tesseract()
    try:
        return f"tesseract {pytesseract.get_tesseract_version()}"
    except (pytesseract.TesseractNotFoundError, OSError, RuntimeError) as exc:
        raise IntakeError("ocr_unavailable") from exc


def _run(pytesseract, path: str, config: str, timeout: float, what: str = "data"):
    try:
        if what == "osd":
            return pytesseract.image_to_osd(path, config=config, output_type=pytesseract.Output.DICT,
                                            timeout=timeout)
        return pytesseract.image_to_data(path, config=config, output_type=pytesseract.Output.DICT,
                                         timeout=timeout)
    except pytesseract.TesseractNotFoundError:
        raise IntakeError("ocr_unavailable") from None
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise IntakeError("timeout", f"OCR of a page took longer than {timeout:.0f} s.") from None
        raise


def _save(image: Image.Image, directory: str, name: str) -> str:
    # Uncompressed TIFF: no encode cost here, and Tesseract (Leptonica) reads
    # it at 0.72-0.86x the CPU of the PGM it was given before, same text.
    path = os.path.join(directory, name + ".tif")
    image.save(path, format="TIFF", compression="raw")
    return path


def _quality(data: dict) -> tuple[int, float]:
    """(confident alphabetic words, mean confidence) of a Tesseract reading."""
    good, confs = 0, []
    for text, conf in zip(data["text"], data["conf"]):
        conf = float(conf)
        if conf < 0 or not text.strip():
            continue
        confs.append(conf)
        if conf >= 70 and _ALPHA.search(text):
            good += 1
    return good, (statistics.fmean(confs) if confs else 0.0)


def _rotate(image: Image.Image, clockwise: int) -> Image.Image:
    if clockwise % 360 == 0:
        return image
    return image.rotate(-clockwise, expand=True)


def detect_rotation(image: Image.Image, timeout: float = 30.0, directory: str | None = None) -> int:
    """Clockwise degrees that upright ``image`` (0, 90, 180, 270)."""
    pytesseract = _tesseract()
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        reduced = image.copy()
        reduced.thumbnail((OSD_SIDE, OSD_SIDE))   # OSD needs letter shapes, not full resolution
        path = _save(reduced, tmp, "osd")
        try:
            osd = _run(pytesseract, path, "--psm 0 -c min_characters_to_try=10", timeout, "osd")
            if float(osd.get("orientation_conf", 0)) >= 1.5:
                return int(osd.get("rotate", 0)) % 360
        except pytesseract.TesseractError:
            pass   # too few characters for OSD: fall back to trying each rotation
        small = image.copy()
        small.thumbnail((1700, 1700))
        best, best_score = 0, -1.0
        for rot in (0, 90, 180, 270):
            data = _run(pytesseract, _save(_rotate(small, rot), tmp, f"r{rot}"), "--psm 3", timeout)
            good, mean = _quality(data)
            score = good + mean / 100
            if score > best_score:
                best, best_score = rot, score
        return best


def _words(data: dict, number: int, width: int, height: int) -> tuple[list[Word], int, float]:
    """Words of a reading, turned upright when Tesseract read sideways lines.

    Returns (words, extra clockwise rotation applied to the boxes, skew degrees).
    """
    words: list[Word] = []
    lines: dict[tuple, list[Word]] = {}
    for i, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        x, y, w, h = data["left"][i], data["top"][i], data["width"][i], data["height"][i]
        word = Word(text, x / width, y / height, (x + w) / width, (y + h) / height, number,
                    max(0.0, min(1.0, conf / 100)), h / height)
        words.append(word)
        lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(word)

    def direction(line: list[Word]) -> float:
        a, b = line[0], line[-1]
        return math.degrees(math.atan2((b.ly - a.ly) * height, (b.lx - a.lx) * width))

    for line in lines.values():
        _ordinals(line)
    multi = [ln for ln in lines.values() if len(ln) >= 2]
    turn = _turn(statistics.median(direction(ln) for ln in multi)) if multi else 0
    if turn:
        for w in words:
            w.x0, w.top, w.x1, w.bottom = rotate_box(w.x0, w.top, w.x1, w.bottom, turn)
            w.lx, w.ly = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
        if turn in (90, 270):
            width, height = height, width
        for w in words:
            w.size = w.bottom - w.top
    # Skew: median reading direction of the lines, removed from the layout coordinates only.
    angles = [direction(ln) for ln in multi]
    skew = statistics.median(angles) if len(angles) >= 3 else 0.0
    if 0.2 < abs(skew) < 20:
        rad = math.radians(-skew)
        cos, sin = math.cos(rad), math.sin(rad)
        cx, cy = width / 2, height / 2
        for w in words:
            px, py = w.lx * width - cx, w.ly * height - cy
            w.lx = (px * cos - py * sin + cx) / width
            w.ly = (px * sin + py * cos + cy) / height
    return words, turn, skew


_MISREAD_FIRST = re.compile(r"[Il|i]st")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _ordinals(line: list[Word]) -> None:
    """"1st" that Tesseract read as "Ist", "lst" or "ist" ("commencing Ist of January 2022"), put
    right where the next word shows it is a day: "of" or a month name. (The I/l/1 confusion
    is Tesseract's; "Ist of", "lst March" are no words; German "ist" is left alone before a month.)"""
    for word, nxt in zip(line, line[1:]):
        after = nxt.text.lower()
        if _MISREAD_FIRST.fullmatch(word.text) and (after == "of" or (word.text != "ist" and after[:3] in _MONTHS)):
            word.text = "1st"


def _turn(direction: float) -> int:
    """Clockwise degrees that make lines read at ``direction`` degrees run left to right."""
    return (-round(direction / 90) * 90) % 360 if abs(direction) > 45 else 0


def _line_direction(data: dict) -> float:
    """Median reading direction of the recognised lines in degrees (0 = left to right, y down)."""
    lines: dict[tuple, list[tuple[float, float]]] = {}
    for i, text in enumerate(data["text"]):
        if text.strip() and float(data["conf"][i]) >= 50:
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append((data["left"][i] + data["width"][i] / 2,
                                              data["top"][i] + data["height"][i] / 2))
    angles = [math.degrees(math.atan2(pts[-1][1] - pts[0][1], pts[-1][0] - pts[0][0]))
              for pts in lines.values() if len(pts) >= 2]
    return statistics.median(angles) if len(angles) >= 2 else 0.0


UNEVEN_SPREAD = 55       # background brightness spread (p95 - p10) of a photo with shadows or a backdrop
POOR_SHARE = 0.3         # below this share of confident words a reading is poor (sideways, upside down)


def background_spread(image: Image.Image) -> int:
    """Spread (p95 - p10) of the estimated paper brightness over the image.

    A flatbed scan has an even background (spread ~10-45); a phone photo with
    a shadow across the page or a desk around it has an uneven one (70+).
    The background is the local maximum over a reduced image, which removes
    the text strokes. The low end is the 10th percentile, not the 5th: a
    scan's dark header banner or seal covers 5-10% of the page and made it
    "uneven" (measured 120-180 at p5, 13-50 at p10); Sauvola's local
    threshold then reads the banner's words with boxes as tall as the banner,
    so a heading's words landed on the neighbouring lines (val scans 80.4 ->
    81.8% of fields, dev unchanged).
    """
    factor = max(1, round(max(image.size) / 300))
    hist = _max_filtered_histogram(image.reduce(factor)).tolist()
    total = sum(hist)

    def pct(q: float) -> int:
        acc = 0
        for value, count in enumerate(hist):
            acc += count
            if acc >= q * total:
                return value
        return 255
    return pct(0.95) - pct(0.10)


def _max_filtered_histogram(image: Image.Image, size: int = 5):
    """The histogram of ``image.filter(ImageFilter.MaxFilter(size))``, the same counts at a
    quarter of the CPU: the window's maximum taken along rows, then along columns, over the
    image padded with its edge pixels as Pillow pads it."""
    import numpy as np
    r = size // 2
    padded = np.pad(np.asarray(image if image.mode == "L" else image.convert("L")), r, mode="edge")
    rows = padded[:, :padded.shape[1] - 2 * r].copy()
    for k in range(1, size):
        np.maximum(rows, padded[:, k:padded.shape[1] - 2 * r + k], out=rows)
    out = rows[:rows.shape[0] - 2 * r].copy()
    for k in range(1, size):
        np.maximum(out, rows[k:rows.shape[0] - 2 * r + k], out=out)
    return np.bincount(out.ravel(), minlength=256)


OTSU, SAUVOLA = "--psm 3", "--psm 3 -c thresholding_method=2"


# The looks a page can be read with: the first (Tesseract's thresholding
# chosen by the background), the other thresholding method, and the page
# binarised against its own paper (see ``paper_relative``).
FIRST, OTHER_THRESHOLD, PAPER_RELATIVE = "first", "other_threshold", "paper_relative"
PAPER_INK_BELOW = 215    # on paper evened to 255, darker than this is ink (measured: 200 and 225 lose text)

# The look at the top band of a page as sparse text: an issuer printed only as
# a large logo-like wordmark ("ASQ" over a swoosh, "ISACA") stands alone in
# the band above the document's title, and Tesseract's page segmentation
# (--psm 3) takes it for a picture and drops it or splits it into letters
# ("iS AC A"); read as sparse text (--psm 11), without the rest of the page,
# it comes through whole at 90+ confidence. (White letters on a coloured
# logo, "IOSH" or "salesforce" in a cloud, still do not.)
TOP_BAND = "top_band"
TOP_BAND_SHARE = 0.28    # the share of the upright page from the top a wordmark stands in (also the issuer reader's)


def paper_relative(image: Image.Image) -> Image.Image:
    """``image`` divided by its paper brightness and binarised at PAPER_INK_BELOW.

    Small labels printed in light grey over a grey paper tone ("AWARD DATE"
    over its value) fall on the paper's side of Tesseract's global and local
    thresholds alike and are dropped as a block; against the paper's own
    brightness they are clearly ink. It loses text elsewhere (a tinted cell
    turns black), so it is a second look, never the first.
    """
    import numpy as np

    from .photo import even_light
    even = even_light(np.asarray(image))
    # (what np.where(even < PAPER_INK_BELOW, 0, 255) gives, without its 64-bit copy of the page: 190 -> 2 ms)
    cv2 = opencv()
    _, binary = cv2.threshold(even, PAPER_INK_BELOW - 1, 255, cv2.THRESH_BINARY)
    return Image.fromarray(binary)


DESKEW_MIN, DESKEW_MAX = 1.0, 10.0   # degrees of skew the page image is levelled for before it is read (below 1, Tesseract copes)
SKEW_SIDE = 1000         # skew is measured on an image reduced to this side


def measure_skew(gray) -> float:
    """Degrees the text lines of ``gray`` (an image or array) descend to the right (y down), or 0.0 when unsure.

    Words are smeared into line blobs on a reduced image (dilated across
    about a word space); each long, thin blob's main axis is its
    line's direction, and the length-weighted median over at least
    SKEW_MIN_LINES blobs is the page's skew (a few milliseconds). Sideways
    pages are measured on the image transposed.
    """
    cv2 = opencv()
    import numpy as np
    gray = np.asarray(gray)
    scale = min(1.0, SKEW_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    for transposed in (False, True):
        found = _line_blob_angle(np.ascontiguousarray(ink.T) if transposed else ink)
        if found is not None:
            return -found if transposed else found
    return 0.0


SKEW_MIN_LINES = 5


def _line_blob_angle(ink) -> float | None:
    cv2 = opencv()
    import numpy as np
    k = max(3, round(ink.shape[1] / 100))
    blobs = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    n, labels, stats, _ = components(blobs)
    angles, weights = [], []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        thick = area / w              # (a tilted line's box is taller than the line is thick)
        if w < 40 or w < 8 * thick or not 2 <= thick <= 30 or h > thick + 0.2 * w:
            continue
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == i)
        xs, ys = xs - xs.mean(), ys - ys.mean()
        angles.append(math.degrees(math.atan(float((xs * ys).mean()) / max(float((xs * xs).mean()), 1e-9))))
        weights.append(w)
    if len(angles) < SKEW_MIN_LINES:
        return None
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def deskewed(image: Image.Image, angle: float) -> Image.Image:
    """``image`` turned ``angle`` degrees anticlockwise about its centre, on a canvas grown to hold
    all of it (the new corners filled with the paper's brightness)."""
    cv2 = opencv()
    import numpy as np
    gray = np.asarray(image)
    h, w = gray.shape
    rad = math.radians(angle)
    nw = int(math.ceil(w * abs(math.cos(rad)) + h * abs(math.sin(rad))))
    nh = int(math.ceil(w * abs(math.sin(rad)) + h * abs(math.cos(rad))))
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[0, 2] += (nw - w) / 2
    matrix[1, 2] += (nh - h) / 2
    return Image.fromarray(cv2.warpAffine(gray, matrix, (nw, nh), flags=cv2.INTER_CUBIC,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=_paper_level(gray)))


def _paper_level(gray) -> int:
    """The paper's brightness in a grey page (an array): what levelling and painting out fill with."""
    import numpy as np
    return int(np.percentile(gray[::8, ::8], 90))


def _undo_deskew(words: list[Word], angle: float, read: tuple[int, int], page: tuple[int, int]) -> None:
    """Boxes of words read on a page levelled by ``deskewed(.., angle)`` (an image of size ``read``)
    moved back into the page image as it is (size ``page``); their layout centres stay level."""
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    (rw, rh), (pw, ph) = read, page

    def back(x: float, y: float) -> tuple[float, float]:
        u, v = x * rw - rw / 2, y * rh - rh / 2          # (anticlockwise on screen: y points down)
        return (u * cos - v * sin + pw / 2) / pw, (u * sin + v * cos + ph / 2) / ph

    for w in words:
        corners = [back(x, y) for x in (w.x0, w.x1) for y in (w.top, w.bottom)]
        w.lx, w.ly = (w.lx * rw - rw / 2 + pw / 2) / pw, (w.ly * rh - rh / 2 + ph / 2) / ph
        w.x0, w.x1 = min(c[0] for c in corners), max(c[0] for c in corners)
        w.top, w.bottom = min(c[1] for c in corners), max(c[1] for c in corners)
        w.size = (w.size * rh) / ph


LEADER_MIN_DOTS = 5      # a dot leader is at least this many dots in a row
DOT_OF_LETTER = 0.4      # a dot is at most this share of the page's median letter height


def dot_leaders(gray) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, top, x1, bottom; pixels of ``gray``) of the dots of dot leaders.

    A printout's "LICENSE NO. ..........: PJ957410" makes Tesseract read its
    dots as letters ("steessseecuesst", "LEG, ED! suis § doe") that swallow
    the label, and sometimes the value. A leader is a row of at least
    LEADER_MIN_DOTS filled, round components much smaller than the page's
    letters, of one size (within 1 px at half scale) and evenly spaced: the
    dots on i and j, a sentence's full stop or a colon never make such a row,
    nor do the letters of small print (unequal sizes, lower fill, uneven
    gaps). Measured on the page at half size (the dots are 3-4 px there).
    """
    cv2 = opencv()
    import numpy as np
    small = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    _, _, stats, centres = components(ink)
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    letters = h[(h >= 5) & (h <= 60) & (w <= 2 * h)]
    if len(letters) < 20:
        return []
    lh = float(np.median(letters))
    idx = np.flatnonzero((w <= DOT_OF_LETTER * lh) & (h <= DOT_OF_LETTER * lh) & (w <= 2 * h) & (h <= 2 * w)
                         & (area >= 0.65 * w * h))
    if len(idx) < LEADER_MIN_DOTS:
        return []
    cx, cy = centres[1:, 0][idx], centres[1:, 1][idx]
    order = np.lexsort((cx, np.round(cy / max(1.0, 0.3 * lh))))
    boxes: list[tuple[int, int, int, int]] = []

    def keep(run: list[int]) -> None:
        if len(run) < LEADER_MIN_DOTS:
            return
        gaps = np.diff(cx[run])
        hs, ws = h[idx[run]], w[idx[run]]
        if gaps.min() > 0 and gaps.max() <= 1.5 * gaps.min() + 1 and np.ptp(hs) <= 2 and np.ptp(ws) <= 2:
            boxes.extend((int(2 * x[i] - 1), int(2 * y[i] - 1), int(2 * (x[i] + w[i]) + 1), int(2 * (y[i] + h[i]) + 1))
                         for i in idx[run])

    run = [int(order[0])]
    for a, b in zip(order, order[1:]):
        ia, ib = idx[a], idx[b]
        if (abs(cy[b] - cy[a]) <= 0.25 * lh and 0 < cx[b] - cx[a] <= 1.2 * lh
                and not ink[int(max(0, cy[a] - lh)):int(cy[a] + 0.5 * lh) + 1, x[ia] + w[ia] + 1:x[ib] - 1].any()):
            run.append(int(b))   # (nothing printed between two dots of a leader)
        else:
            keep(run)
            run = [int(b)]
    keep(run)
    return boxes


def without_dot_leaders(image: Image.Image) -> Image.Image:
    """``image`` (mode L) with its dot leaders painted over with the paper (``image`` itself when it has none)."""
    import numpy as np
    gray = np.asarray(image)
    boxes = dot_leaders(gray)
    if not boxes:
        return image
    out = gray.copy()
    paper = _paper_level(gray)
    for x0, top, x1, bottom in boxes:
        out[max(0, top):bottom, max(0, x0):x1] = paper
    return Image.fromarray(out)


@dataclass(frozen=True)
class PreparedPage:
    """A page image made ready for Tesseract (``prepare_page``), and what reading it needs to know."""

    image: Image.Image       # grey, within the size limits, dot leaders painted out, levelled
    uneven: bool             # an uneven background: read with local thresholding
    size: tuple[int, int]    # the page image's size before levelling (word boxes are mapped back to it)
    level: float             # degrees it was turned to level it (0: it was not)


def prepare_page(image: Image.Image) -> PreparedPage:
    """What every look at a page starts from: done once per page however many looks it takes."""
    image = image.convert("L") if image.mode != "L" else image
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    elif max(image.size) < MIN_SIDE_UPSCALE:
        image = image.resize((image.width * 2, image.height * 2), Image.LANCZOS)
    image = without_dot_leaders(image)
    uneven = background_spread(image) >= UNEVEN_SPREAD
    size = image.size
    level = measure_skew(image)
    if DESKEW_MIN <= abs(level) <= DESKEW_MAX:
        image = deskewed(image, level)   # Tesseract drops blocks of tilted lines (a header over a rule)
    else:
        level = 0.0
    return PreparedPage(image, uneven, size, level)


def ocr_page(image: Image.Image | PreparedPage, number: int, timeout: float = 60.0,
             rotation: int | None = None, look: str = FIRST) -> Page:
    """OCR one page image (any mode) into a Page of words with confidences.

    One Tesseract reading per upright page. An uneven background (a photo
    with a shadow or a desk around the page) is read with Tesseract's local
    (Sauvola) thresholding instead of the global (Otsu) one. ``rotation``
    (clockwise degrees) skips orientation detection; otherwise a poor first
    reading of level lines (few confident words: an upside-down scan) is
    followed by a reading of the page turned over, and when that is poor too
    OSD is asked on a reduced image, falling back to trying 90/180/270. ``look`` OTHER_THRESHOLD reads
    with the other thresholding method, PAPER_RELATIVE the page binarised
    against its paper (the pipeline's further looks at a page whose first
    reading left fields missing: a block the page segmentation dropped often
    comes through under another binarisation). ``look`` TOP_BAND (with
    ``rotation`` given) reads only the upright page's top band, as sparse
    text (the look at a page whose reading found no confident issuer).
    """
    started = time.perf_counter()
    pytesseract = _tesseract()
    prepared = image if isinstance(image, PreparedPage) else prepare_page(image)
    image, original, level = prepared.image, prepared.size, prepared.level
    config = SAUVOLA if prepared.uneven != (look == OTHER_THRESHOLD) else OTSU
    if look == PAPER_RELATIVE:
        image, config = paper_relative(image), OTSU   # (already binary: the cheaper method)
    band = look == TOP_BAND and rotation is not None
    if band:
        config = config.replace("--psm 3", "--psm 11")
    deadline = started + timeout
    with tempfile.TemporaryDirectory() as tmp:
        def read(img: Image.Image, name: str) -> dict:
            left = max(1.0, deadline - time.perf_counter())
            return _run(pytesseract, _save(img, tmp, name), config, left)

        rot = rotation or 0
        upright = _rotate(image, rot)
        if band:   # (a word's pixels in the band are its pixels in the page: the boxes need no mapping)
            data = read(upright.crop((0, 0, upright.width, round(TOP_BAND_SHARE * upright.height))), "band")
        else:
            data = read(upright, "page")
        good, share = _share(data)
        direction = _line_direction(data)
        poor = share < POOR_SHARE or good < 3
        if rotation is None and abs(direction) <= 45 and poor:
            # Level lines read poorly: the page is most likely upside down (a
            # sideways page's lines run up the image, and Tesseract reads those
            # anyway; _words turns them upright for free). So the page turned
            # over is read first, and only when that reading is poor too is OSD
            # asked (0.3 s, and when unsure four more readings of a reduced page).
            flipped = _rotate(image, 180)
            fdata = read(flipped, "flipped")
            fgood, fshare = _share(fdata)
            if fshare >= POOR_SHARE and fgood >= max(3, good):
                rot, upright, data = 180, flipped, fdata
            else:
                found = detect_rotation(image, max(1.0, deadline - time.perf_counter()), tmp)
                if found:
                    candidate = flipped if found == 180 else _rotate(image, found)
                    cdata = fdata if found == 180 else read(candidate, "rotated")
                    if _quality(cdata)[0] >= good:
                        rot, upright, data = found, candidate, cdata
        elif rotation is None and abs(direction) > 45 and poor:
            # Sideways lines read poorly: Tesseract turned them the wrong way
            # (the page's top is on the other side), so its words are the
            # upside-down page's. Read the page turned so that the lines run
            # the other way, and keep the better reading.
            flip = (_turn(direction) + 180) % 360
            candidate = _rotate(image, flip)
            cdata = read(candidate, "flipped")
            if _quality(cdata)[0] > good:
                rot, upright, data = flip, candidate, cdata
    words, turn, skew = _words(data, number, upright.width, upright.height)
    sideways = ((rot + turn) // 90) % 2 == 1
    size = original[::-1] if sideways else original
    if level:
        read_size = (upright.width, upright.height) if turn in (0, 180) else (upright.height, upright.width)
        _undo_deskew(words, level, read_size, size)
    return Page(number, words, "ocr", size[0], size[1], (rot + turn) % 360, skew,
                time.perf_counter() - started)


def _share(data: dict) -> tuple[int, float]:
    """(confident alphabetic words, their share of all words) of a reading."""
    good, _ = _quality(data)
    n = sum(1 for text, conf in zip(data["text"], data["conf"]) if text.strip() and float(conf) >= 0)
    return good, (good / n if n else 0.0)
