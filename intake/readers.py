"""Readers: turn a file into pages of words (one word model for every route).

- Born-digital PDF pages: characters with positions and font sizes from
  PDFium's text layer (``pypdfium2``), grouped into words. PDFium reads a
  page's text in a few milliseconds where pdfminer (under pdfplumber) needs
  300+ ms on pages drawn with many vector paths, which decides whether a
  born-digital document is read in well under 150 ms.
- Pages with too little text, unmapped glyphs (the ``(cid:..)`` case) or a
  full-page image are rendered (pypdfium2, 300 dpi, grey) and OCR'd.
- Images (PNG, JPEG, TIFF, HEIC, ...) are opened with Pillow after a pixel
  cap check, EXIF-transposed, prepared as photos (``intake.photo``: the
  document found and flattened, its light evened, small text enlarged) and
  OCR'd.
"""
from __future__ import annotations

import ctypes
import math
import os
import unicodedata
from dataclasses import dataclass, field

from PIL import ExifTags, Image, ImageOps

from . import codes, ocr
from .errors import IntakeError
from .model import Page, Word, rotate_box
from .sniff import HEIC, IMAGE_TYPES, PDF, sniff

MAX_PAGES = 20
MAX_PIXELS = 60_000_000          # per image or rendered page
MAX_FILE_BYTES = 50 * 1024 * 1024
RENDER_DPI = 300
MIN_TEXT_CHARS = 40              # fewer printable chars on a page than this: OCR it
FULL_PAGE_IMAGE = 0.8            # an image covering this share of the page: OCR it

Image.MAX_IMAGE_PIXELS = MAX_PIXELS

try:  # HEIC/HEIF support is optional at runtime.
    import pillow_heif
    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except Exception:  # pragma: no cover - depends on the wheel
    HEIF_SUPPORTED = False


@dataclass
class Document:
    media_type: str
    pages: list[Page]
    codes: list[dict] = field(default_factory=list)   # intake.codes.read_codes of every page

    @property
    def method(self) -> str:
        kinds = {p.method for p in self.pages}
        return "mixed" if len(kinds) > 1 else (kinds.pop() if kinds else "text")


KEEP_PIXELS = 80_000_000         # page images kept for further looks (``reread``), at most this many pixels


def read_document(path: str, ocr_timeout: float = 60.0, images: dict[int, ocr.PreparedPage] | None = None
                  ) -> Document:
    """All pages of ``path`` as words, or raise IntakeError.

    ``images`` (optional) receives each OCR'd page made ready for Tesseract
    (rendered, or the photo prepared, then ``ocr.prepare_page``) by page
    number, up to KEEP_PIXELS in all, so that ``reread`` of the same document
    neither renders nor prepares them again.
    """
    if not os.path.exists(path):
        raise IntakeError("not_found")
    size = os.path.getsize(path)
    if size == 0:
        raise IntakeError("empty")
    if size > MAX_FILE_BYTES:
        raise IntakeError("too_large", f"The file is over {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    media = sniff(path)
    if media == PDF:
        return Document(media, *_read_pdf(path, ocr_timeout, images))
    if media in IMAGE_TYPES:
        if media == HEIC and not HEIF_SUPPORTED:
            raise IntakeError("unsupported_type", "HEIC images are not supported on this server.")
        return Document(media, *_read_image(path, ocr_timeout, images))
    raise IntakeError("unsupported_type")


# --- PDF -------------------------------------------------------------------

def open_pdf(path: str):
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        text = str(exc).lower()
        if "password" in text:
            raise IntakeError("encrypted") from None
        raise IntakeError("unreadable", f"The PDF cannot be opened ({exc}).") from None
    n = len(pdf)
    if n == 0:
        pdf.close()
        raise IntakeError("unreadable", "The PDF has no pages.")
    if n > MAX_PAGES:
        pdf.close()
        raise IntakeError("too_many_pages", f"The PDF has {n} pages; at most {MAX_PAGES} are read.")
    return pdf


def load_page(pdf, index: int):
    """Page ``index`` (0-based) of an open PDF; a page PDFium cannot load
    (a /Pages tree that contains itself, a missing page object) is ``unreadable``."""
    import pypdfium2 as pdfium
    try:
        return pdf[index]
    except pdfium.PdfiumError as exc:
        raise IntakeError("unreadable", f"Page {index + 1} of the PDF cannot be loaded ({exc}).") from None


def _ready(images: dict | None, number: int, image: Image.Image) -> ocr.PreparedPage:
    """``image`` made ready for Tesseract, kept in ``images`` for further looks while they fit in KEEP_PIXELS."""
    ready = ocr.prepare_page(image)
    pixels = ready.image.width * ready.image.height
    if images is not None and sum(i.image.width * i.image.height for i in images.values()) + pixels <= KEEP_PIXELS:
        images[number] = ready
    return ready


def _read_pdf(path: str, ocr_timeout: float, images: dict | None = None) -> tuple[list[Page], list[dict]]:
    pdf = open_pdf(path)
    try:
        pages, found = [], []
        for index in range(len(pdf)):
            page = load_page(pdf, index)
            try:
                words, needs_ocr = _pdf_page_words(page, index + 1)
                if needs_ocr:
                    image = render_pdf_page(page)
                    pages.append(ocr.ocr_page(_ready(images, index + 1, image), index + 1, timeout=ocr_timeout))
                    found += _upright(codes.read_codes(image, index + 1), pages[-1].rotation)
                else:
                    w, h = page.get_size()
                    pages.append(Page(index + 1, words, "text", int(w), int(h)))
                    found += _embedded_codes(page, index + 1)
            finally:
                page.close()
        return pages, found
    finally:
        pdf.close()


def _upright(found: list[dict], rotation: int) -> list[dict]:
    """Code bboxes moved into the upright page the OCR words refer to."""
    for code in found:
        code["bbox"] = [round(v, 4) for v in rotate_box(*code["bbox"], rotation)]
    return found


def _embedded_codes(page, number: int) -> list[dict]:
    """Codes in the image objects of a born-digital page (a QR placed as a picture).

    Only the images are decoded, not a rendering of the page: that keeps a
    born-digital document well under its time budget. (A code drawn as
    vector paths is not found.)
    """
    import pypdfium2.raw as raw
    w, h = page.get_size()
    found = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        px_w, px_h = obj.get_px_size()
        if min(px_w, px_h) < 21 or px_w * px_h > MAX_PIXELS:   # 21 modules: the smallest QR code
            continue
        try:
            image = obj.get_bitmap(render=False).to_pil()
        except Exception:   # an image format PDFium cannot hand out raw: skip it
            continue
        left, bottom, right, top = obj.get_bounds()
        for code in codes.read_codes(image, number):
            x0, t, x1, b = code["bbox"]
            code["bbox"] = [round((left + x0 * (right - left)) / w, 4), round(1 - (top - t * (top - bottom)) / h, 4),
                            round((left + x1 * (right - left)) / w, 4), round(1 - (top - b * (top - bottom)) / h, 4)]
            found.append(code)
    return found


def render_pdf_page(page, dpi: int = RENDER_DPI, grey: bool = True) -> Image.Image:
    """``page`` drawn at ``dpi`` (within MAX_PIXELS), in grey (mode L) or colour (RGB)."""
    import pypdfium2.raw as raw
    w, h = page.get_size()
    scale = dpi / 72
    if w * h * scale * scale > MAX_PIXELS:
        scale = math.sqrt(MAX_PIXELS / (w * h))
    if grey and _grey_pictures_only(page):
        # PDFium's grey rendering mode converts every colour it draws, and costs
        # 65-160 ms on a scanned page at 300 dpi; drawn straight into a grey
        # bitmap, a page of grey pictures has nothing to convert and comes out
        # byte for byte the same in 15-45 ms (every grey scan of dev and val compared).
        bitmap = page.render(scale=scale, force_bitmap_format=raw.FPDFBitmap_Gray)
    else:
        bitmap = page.render(scale=scale, grayscale=grey)
    return bitmap.to_pil()


def _grey_pictures_only(page) -> bool:
    """Whether all ``page`` draws is 8-bit DeviceGray pictures (a grey scan): no text, paths,
    annotations or colour, so that grey rendering has nothing to convert."""
    import pypdfium2.raw as raw
    if raw.FPDFPage_GetAnnotCount(page.raw):
        return False
    pictures = 0
    for obj in page.get_objects(max_depth=2):
        if obj.type == raw.FPDF_PAGEOBJ_FORM:
            continue
        if obj.type != raw.FPDF_PAGEOBJ_IMAGE:
            return False
        try:
            meta = obj.get_metadata()
        except Exception:   # pragma: no cover - metadata unavailable: render as before
            return False
        if (meta.colorspace, meta.bits_per_pixel) != (raw.FPDF_COLORSPACE_DEVICEGRAY, 8):
            return False
        pictures += 1
    return pictures > 0


def _page_image_coverage(page) -> float:
    """Largest share of the page one image covers; raises ``too_large`` for an image over the pixel cap.

    An image XObject declares its pixel size; one over MAX_PIXELS (a few KB
    of Flate that inflate to gigabytes) is refused before PDFium decodes it.
    """
    import pypdfium2.raw as raw
    w, h = page.get_size()
    best = 0.0
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=2):
        try:
            px_w, px_h = obj.get_px_size()
        except Exception:   # pragma: no cover - metadata unavailable: the render cap still applies
            px_w = px_h = 0
        if px_w * px_h > MAX_PIXELS:
            raise IntakeError("too_large", f"The PDF holds a {px_w}x{px_h} image; the limit is {MAX_PIXELS:,} pixels.")
        left, bottom, right, top = obj.get_bounds() if hasattr(obj, "get_bounds") else obj.get_pos()
        area = max(0.0, min(right, w) - max(left, 0)) * max(0.0, min(top, h) - max(bottom, 0))
        best = max(best, area / (w * h) if w * h else 0.0)
    return best


def _pdf_page_words(page, number: int) -> tuple[list[Word], bool]:
    """Words of a born-digital page and whether the page should go to OCR instead."""
    import pypdfium2.raw as raw
    textpage = page.get_textpage()
    try:
        tp = textpage.raw
        count = raw.FPDFText_CountChars(tp)
        w, h = page.get_size()
        rotation = page.get_rotation()
        rect = raw.FS_RECTF()
        ox, oy = ctypes.c_double(), ctypes.c_double()
        words: list[Word] = []
        cur: list[tuple[str, float, float, float, float, float]] = []
        printable = bad = 0

        def flush() -> None:
            if cur:
                text = "".join(c[0] for c in cur)
                x0 = min(c[1] for c in cur)
                x1 = max(c[2] for c in cur)
                base = sum(c[3] for c in cur) / len(cur)
                size = max(c[4] for c in cur)
                words.append(_pdf_word(text, x0, x1, base, size, w, h, rotation, number))
                cur.clear()

        for i in range(count):
            code = raw.FPDFText_GetUnicode(tp, i)
            ch = chr(code) if code else ""
            if raw.FPDFText_IsGenerated(tp, i) == 1 or not ch or ch.isspace() or ch in "\ufffe\uffff":
                flush()
                continue
            if abs(raw.FPDFText_GetCharAngle(tp, i)) > 0.05 and abs(raw.FPDFText_GetCharAngle(tp, i) - 2 * math.pi) > 0.05:
                flush()   # rotated text (watermarks, vertical labels) is not part of the reading
                continue
            printable += 1
            cat = unicodedata.category(ch)
            if ch == "\ufffd" or cat in ("Co", "Cc", "Cn") or raw.FPDFText_HasUnicodeMapError(tp, i) == 1:
                bad += 1
            # loose boxes follow the glyph advance, so gaps inside a word are ~0
            raw.FPDFText_GetLooseCharBox(tp, i, rect)
            raw.FPDFText_GetCharOrigin(tp, i, ox, oy)
            size = raw.FPDFText_GetFontSize(tp, i) or (rect.top - rect.bottom)
            if cur:
                prev = cur[-1]
                gap = rect.left - prev[2]
                if gap > 0.3 * max(size, 1) or abs(oy.value - prev[3]) > 0.4 * max(size, 1) or gap < -2 * max(size, 1):
                    flush()
            cur.append((ch, rect.left, rect.right, oy.value, size, 0.0))
        flush()
    finally:
        textpage.close()
    coverage = _page_image_coverage(page)      # (also refuses an image bomb)
    needs_ocr = (
        printable < MIN_TEXT_CHARS
        or (printable and bad / printable > 0.1)
        or coverage >= FULL_PAGE_IMAGE
    )
    return words, needs_ocr


def _pdf_word(text, x0, x1, base, size, w, h, rotation, number) -> Word:
    # PDF user space has y up; the word model uses fractions with y down.
    top_y, bottom_y = base + 0.78 * size, base - 0.22 * size
    fx0, fx1 = x0 / w, x1 / w
    ftop, fbottom = 1 - top_y / h, 1 - bottom_y / h
    if rotation in (90, 180, 270):
        fx0, ftop, fx1, fbottom = rotate_box(fx0, ftop, fx1, fbottom, rotation)
    ph = w if rotation in (90, 270) else h
    return Word(text, fx0, ftop, fx1, fbottom, number, 1.0, size / ph)


# --- images ----------------------------------------------------------------

def open_image_frames(path: str, grey: bool = True) -> list[Image.Image]:
    """Upright greyscale (or RGB) frames of an image file (at most MAX_PAGES), pixel-capped."""
    try:
        img = Image.open(path)
        w, h = img.size
        frames = getattr(img, "n_frames", 1)
        if w * h > MAX_PIXELS:
            raise IntakeError("too_large", f"The image is {w}x{h} pixels; the limit is {MAX_PIXELS:,}.")
        if frames > MAX_PAGES:
            raise IntakeError("too_many_pages", f"The image has {frames} frames; at most {MAX_PAGES} are read.")
        out = []
        for i in range(frames):
            img.seek(i)
            # (only a photo its EXIF says to turn goes through exif_transpose, which
            # otherwise copies the photo: 10-20 ms of a phone photo's preparation)
            turn = i == 0 and img.getexif().get(ExifTags.Base.Orientation, 1) != 1
            out.append((ImageOps.exif_transpose(img) if turn else img).convert("L" if grey else "RGB"))
        return out
    except IntakeError:
        raise
    except Image.DecompressionBombError:
        raise IntakeError("too_large") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise IntakeError("unreadable", f"The image cannot be decoded ({exc}).") from None


def _photo_preparation():
    """``intake.photo.prepare_photo``, loaded on first use: OpenCV maps ~100 MB."""
    try:
        from .photo import prepare_photo
    except ImportError as exc:
        if "failed to map" in str(exc):   # the worker's address-space limit, not a missing package
            raise MemoryError(str(exc)) from None
        raise
    return prepare_photo


def _read_image(path: str, ocr_timeout: float, images: dict | None = None) -> tuple[list[Page], list[dict]]:
    prepare_photo = _photo_preparation()
    pages, found = [], []
    for i, frame in enumerate(open_image_frames(path)):
        prepared = prepare_photo(frame)
        pages.append(ocr.ocr_page(_ready(images, i + 1, prepared), i + 1, timeout=ocr_timeout))
        found += _upright(codes.read_codes(prepared, i + 1), pages[-1].rotation)
    return pages, found


def reread(path: str, doc: Document, ocr_timeout: float, look: str = ocr.OTHER_THRESHOLD,
           images: dict[int, ocr.PreparedPage] | None = None, first_only: bool = False) -> list[Page] | None:
    """The document's OCR pages read again upright with another ``look`` (``intake.ocr``);
    with ``first_only``, only its first page (which the issuer is read from) is read again
    and the others are returned as they were.

    ``images`` keeps each page made ready for Tesseract (rendered, or the photo
    prepared, then ``ocr.prepare_page``) by page number between looks, so a
    document read with several looks prepares each page once more, not once
    per look.
    """
    images = {} if images is None else images
    again = {p.number for p in doc.pages[:1 if first_only else None] if p.method == "ocr"}
    if doc.media_type == PDF:   # (a page read_document kept is not rendered again)
        pdf = open_pdf(path)
        try:
            out = []
            for page in doc.pages:
                if page.number not in again:
                    out.append(page)
                    continue
                if page.number not in images:
                    pdf_page = load_page(pdf, page.number - 1)
                    try:
                        images[page.number] = ocr.prepare_page(render_pdf_page(pdf_page))
                    finally:
                        pdf_page.close()
                out.append(ocr.ocr_page(images[page.number], page.number, ocr_timeout,
                                        rotation=page.rotation, look=look))
            return out
        finally:
            pdf.close()
    if any(n not in images for n in again):
        prepare_photo = _photo_preparation()
        images.update((p.number, ocr.prepare_page(prepare_photo(f)))
                      for f, p in zip(open_image_frames(path), doc.pages) if p.number in again and p.number not in images)
    return [ocr.ocr_page(images[p.number], p.number, ocr_timeout, rotation=p.rotation, look=look)
            if p.number in again else p for p in doc.pages if p.number in images or p.number not in again]
