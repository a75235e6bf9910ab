"""Page images for the review UI, upright so evidence bboxes line up."""
from __future__ import annotations

from functools import lru_cache

from PIL import Image

from . import ocr
from .errors import IntakeError
from .readers import _pdf_page_words, load_page, open_image_frames, open_pdf, render_pdf_page
from .sniff import IMAGE_TYPES, PDF, sniff


def render_page(path: str, page_no: int = 1, dpi: int = 150, rotation: int | None = None) -> Image.Image:
    """Page ``page_no`` (1-based) of ``path`` as an upright RGB image.

    ``rotation`` is the clockwise turn the extraction applied to that page
    (``Extraction.rotations[page_no - 1]``); pass it to skip detection. Without
    it, image-only pages are checked with the same orientation detection the
    OCR uses. Evidence bboxes are fractions of this image, so they overlay at
    any ``dpi``.
    """
    media = sniff(path)
    if media == PDF:
        pdf = open_pdf(path)
        try:
            if not 1 <= page_no <= len(pdf):
                raise IntakeError("unreadable", f"There is no page {page_no}.")
            page = load_page(pdf, page_no - 1)
            try:
                image = render_pdf_page(page, dpi=dpi, grey=False)
                if rotation is None:
                    _, needs_ocr = _pdf_page_words(page, page_no)
                    rotation = _detected(path, page_no) if needs_ocr else 0
            finally:
                page.close()
        finally:
            pdf.close()
    elif media in IMAGE_TYPES:
        frames = open_image_frames(path, grey=False)
        if not 1 <= page_no <= len(frames):
            raise IntakeError("unreadable", f"There is no page {page_no}.")
        from .photo import document_view   # (OpenCV loaded only for photos)
        image = document_view(frames[page_no - 1])   # the crop the OCR read
        if rotation is None:
            rotation = _detected(path, page_no)
    else:
        raise IntakeError("unsupported_type")
    if rotation:
        image = image.rotate(-rotation, expand=True)
    return image.convert("RGB")


@lru_cache(maxsize=64)
def _detected(path: str, page_no: int) -> int:
    from .pipeline import extract_document
    result = extract_document(path)
    if result.rotations and page_no <= len(result.rotations):
        return result.rotations[page_no - 1]
    return 0


__all__ = ["render_page", "ocr"]
