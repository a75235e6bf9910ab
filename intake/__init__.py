"""Credwatch intake: read issuer, holder, license number and dates from certificates.

Importable without Flask; imports nothing from ``portal`` or ``jobs``.

Public API (stable; the portal calls these):

``extract(path, hints=None, taught=None) -> Extraction``
    Read one file (PDF, PNG, JPEG, TIFF, HEIC; type sniffed from content) in
    this process. ``Extraction`` is a dataclass with the contract fields
    ``path, issuer, holder_name, license_number, credential_type, issue_date,
    expiry_date, expiry_predicted, confidence, evidence, method, pages,
    seconds, error`` (plus ``rotations``, ``issuer_code``,
    ``credential_type_code``, ``codes``: every barcode/QR code decoded on
    the pages as ``{"format", "text", "url", "page", "bbox"}``; an AAMVA
    PDF417 on a licence supplies holder, number and dates at 0.97) and ``.to_dict()`` (JSON-ready). Dates are ISO
    strings or None. ``error`` is None or ``{"code", "message"}`` with code in
    ``not_found, empty, unsupported_type, encrypted, unreadable,
    too_many_pages, too_large, ocr_unavailable, timeout, internal``; it never
    raises for a bad document. ``confidence[field]`` is 0..1 (at >= 0.9 the
    value has been right on the sample corpus; see bench/extract.py).
    ``evidence[field]`` is ``{"page", "bbox", "text"}`` or None, where bbox is
    ``[x0, top, x1, bottom]`` in fractions (0..1) of the upright page image
    that ``render_page`` returns. ``taught`` maps issuer keys to hints
    (``intake.hints``): without ``hints``, those of the issuer the reading
    names are applied to the pages already read (``hints_used`` says how many).

``extract_isolated(path, hints=None, timeout=120, memory_mb=2048, taught=None) -> Extraction``
    The same in a long-lived child process with RLIMIT_AS and a wall-clock
    timeout (decompression bombs, runaway parsers). The portal's job calls this.

``sniff(path) -> str | None``
    The media type by content ("application/pdf", "image/png", ...), or None.

``render_page(path, page_no, dpi=150, rotation=None) -> PIL.Image``
    Upright RGB page image for the review UI's preview (a photo cropped to
    the document and flattened, as the OCR read it) (pass
    ``Extraction.rotations[page_no - 1]`` to skip orientation detection).

``hints_from_correction(extraction_dict, field, corrected_value) -> dict``
    Turn a reviewer's correction into a JSON-serialisable hint (the label
    printed next to the value, its position and bbox). Store hints per issuer
    and pass them back: ``extract(path, hints=[...])``.

``hints_isolated(extraction_dict, field, corrected_value, timeout=120, memory_mb=2048) -> dict``
    The same in the isolated child process (it reads the document again);
    raises ``IntakeError`` when that fails, times out or runs out of memory.

``render_isolated(path, page, target, dpi=110, rotation=None, max_side=1400, timeout=120, memory_mb=2048)``
    ``render_page`` into the PNG file ``target`` in the isolated child process
    (same limits); raises ``IntakeError`` when that fails or times out.

``tesseract_version() -> str``
    "tesseract 5.3.0" for the Tesseract this process runs (one process per
    call); raises ``IntakeError("ocr_unavailable")`` when there is none.

``load_directory()``, ``find_issuer(text)``, ``find_credential_type(text)``
    The issuer directory (``intake/data/issuers.yaml``), loaded once.

Command line: ``python -m intake FILE [FILE ...] [--jobs N]`` prints one JSON
object per line in input order, using N worker processes (default: cores).
"""
from __future__ import annotations

from .directory import find_credential_type, find_issuer, load_directory
from .errors import IntakeError
from .hints import hints_from_correction
from .isolate import extract_isolated, hints_isolated, render_isolated
from .model import Evidence, Extraction
from .ocr import tesseract_version
from .render import render_page
from .sniff import sniff


def extract(path, hints: list[dict] | None = None, taught: dict[str, list[dict]] | None = None) -> Extraction:
    """Extract the fields of the document at ``path`` (see the module docstring)."""
    from .pipeline import extract_document
    return extract_document(str(path), hints, taught=taught)


__all__ = [
    "extract", "extract_isolated", "sniff", "render_page", "hints_from_correction", "hints_isolated", "render_isolated", "Extraction",
    "Evidence", "IntakeError", "load_directory", "find_issuer", "find_credential_type",
    "tesseract_version",
]
