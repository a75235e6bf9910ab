"""extract(path, hints) -> Extraction: read, lay out, find fields, predict expiry."""
from __future__ import annotations

import datetime as dt
import re
import time

from . import dates as D
from .badge import read_badge
from .codes import use_aamva
from .directory import load_directory
from .errors import IntakeError
from .fields import DocumentFields, FieldResult
from .fields.candidates import GARBAGE_BELOW
from .hints import taught_for
from .layout import Layout
from .model import FIELDS, Evidence, Extraction, Page, Word
from .ocr import OTHER_THRESHOLD, PAPER_RELATIVE, TOP_BAND
from .readers import Document, read_document, reread

# Fields whose absence after the first OCR reading earns the page a second look.
CORE = ("holder_name", "license_number", "issue_date", "expiry_date")


def _evidence(res: FieldResult) -> Evidence | None:
    if not res.tokens:
        return None
    words = [t.word for t in res.tokens]
    page = words[0].page
    words = [w for w in words if w.page == page]
    bbox = [round(min(w.x0 for w in words), 4), round(min(w.top for w in words), 4),
            round(max(w.x1 for w in words), 4), round(max(w.bottom for w in words), 4)]
    return Evidence(page, bbox, " ".join(w.text for w in words))


def read_fields(pages: list[Page], hints: list[dict] | None) -> dict:
    """Every field of a document from its pages (no I/O)."""
    layout = Layout(pages)
    doc = DocumentFields(layout, hints)
    ctype_code = doc.credential_type()[1]
    dates = doc.dates()
    results = doc.calibrated()   # every field, its confidence mapped by how its words were read
    return {"results": results, "issuer_entry": doc.issuer_entry, "ctype_code": ctype_code,
            "date_order": doc.date_order or _iso_order(dates), "date_order_reason": doc.date_order_reason,
            "ambiguous": doc.ambiguous_dates}


def _iso_order(dates: dict) -> str | None:
    """YMD when the dates read are printed year first (2024-03-01) and no other order was needed."""
    for res in dates.values():
        if res.value is not None and res.tokens and re.match(r"(19|20)\d{2}-", res.tokens[0].text):
            return "YMD"
    return None


# Core fields that must be missing after the first reading to earn the page a
# second OCR look. The look costs a whole page reading: triggered by any one
# missing field it ran on half the OCR'd documents (+80% CPU, scans at ~2x
# plain tesseract) and recovered a field in one of ten of them; the readings
# it rescued had lost a whole block (licence number and both dates at once).
WEAK_MISSING = 3


def _weak(found: dict) -> bool:
    """Whether the first reading lost a block (worth a second OCR look).

    A low-confidence value is not enough: the second look costs a full page
    reading, and re-reading a field that was found rarely changes it. An
    expiry absent next to an issue date (a never-expiring credential) and an
    issue date absent next to an expiry (cards that print only an expiry) are
    legitimate.
    """
    r = found["results"]
    missing = [f for f in CORE if not r[f].stated]   # a null the document states ("No expiry") is read
    if "expiry_date" in missing and r["issue_date"].value is not None:
        missing.remove("expiry_date")
    if "issue_date" in missing and r["expiry_date"].value is not None and r["expiry_date"].confidence >= 0.8:
        missing.remove("issue_date")
    return len(missing) >= WEAK_MISSING


def _overlay(first: Page, second: Page) -> Page:
    """``first`` plus the words of ``second`` where the first reading found nothing."""
    def hit(w: Word, boxes) -> bool:
        return any(x0 <= w.lx <= x1 and t <= w.ly <= b for x0, t, x1, b in boxes)
    pad = 0.004
    boxes = [(w.x0 - pad, w.top - pad, w.x1 + pad, w.bottom + pad) for w in first.words]
    extra = [w for w in second.words if w.conf >= 0.3 and not hit(w, boxes)]
    return Page(first.number, first.words + extra, first.method, first.width_px, first.height_px,
                first.rotation, first.skew, first.ocr_seconds + second.ocr_seconds)


def _merge(a: dict, b: dict) -> dict:
    """Field-wise best of two readings; a value both agree on gains confidence. A null the
    document states ("Expiry: Lifetime") is a reading like a value: a weaker guess of the
    other pass does not replace it, and both stating it is agreement."""
    out = {"results": {}, "issuer_entry": a["issuer_entry"] or b["issuer_entry"],
           "ctype_code": a["ctype_code"] or b["ctype_code"]}
    dated = b if a["date_order"] is None else a
    out.update(date_order=dated["date_order"], date_order_reason=dated["date_order_reason"],
               ambiguous=sorted(set(a["ambiguous"]) | set(b["ambiguous"])))
    for f in FIELDS:
        ra, rb = a["results"][f], b["results"][f]
        if ra.stated and rb.stated and ra.value == rb.value:
            ra.confidence = round(min(ra.cap, rb.cap, max(ra.confidence, rb.confidence) + 0.05), 3)
            out["results"][f] = ra
        else:
            out["results"][f] = ra if (ra.stated and ra.confidence >= rb.confidence) or not rb.stated else rb
    if b["results"]["issuer"] is out["results"]["issuer"]:
        out["issuer_entry"] = b["issuer_entry"]
    return out


# The further looks at the pages of a document whose first reading lost a
# block, each overlaid on the pages before it: binarised against the paper
# (light grey labels both of Tesseract's thresholds drop; a binary page
# reads in ~1/3 of a first reading's time), then Tesseract's other
# thresholding method (a block its page segmentation dropped). Either alone
# loses what the other finds: the paper look alone lifts val scans 76.4 ->
# 78.7% and photos 83.6 -> 85.5% but loses a licence block on a dev scan
# that the other method reads.
LOOKS = (PAPER_RELATIVE, OTHER_THRESHOLD)


BAND_SURE = 0.85     # a word of the band read this confidently replaces what the first reading made of its place


def _banded(first: Page, band: Page) -> Page:
    """``first`` with the confident words of its top band's reading in place of the words
    the first reading made of the same place (a wordmark read as "iS AC A"), and the band's
    other words where the first reading found nothing. Places are compared by the words'
    boxes in the page image (their layout centres are levelled, their boxes are not)."""
    def centre_in(w: Word, boxes: list[Word]) -> bool:
        cx, cy = (w.x0 + w.x1) / 2, (w.top + w.bottom) / 2
        return any(b.x0 <= cx <= b.x1 and b.top <= cy <= b.bottom for b in boxes)
    sure = [w for w in band.words if w.conf >= BAND_SURE]
    kept = [w for w in first.words if not centre_in(w, sure)]
    extra = [w for w in band.words if GARBAGE_BELOW <= w.conf < BAND_SURE and not centre_in(w, first.words)]
    return Page(first.number, kept + sure + extra, first.method, first.width_px, first.height_px,
                first.rotation, first.skew, first.ocr_seconds + band.ocr_seconds)


# An issuer read with less confidence than this (or none) earns the first
# page's top band a look as sparse text (``intake.ocr.TOP_BAND``): the
# wordmark a logo-like issuer is printed as. Sparse text is slow to read: a
# band costs 0.15-0.33 s of Tesseract's CPU on a page at 300 dpi, a quarter to
# a third of a page reading (read at half size it saves only a quarter of that
# and loses smaller heading words). The look ran on 15 of the 94 OCR'd
# documents of dev and val.
ISSUER_WEAK = 0.6


def _issuer_weak(found: dict) -> bool:
    res = found["results"]["issuer"]
    return res.value is None or res.confidence < ISSUER_WEAK


def _with_issuer(found: dict, other: dict) -> dict:
    """``found`` with the issuer of ``other`` where that one is the more confident reading:
    the band adds words to the top of the page only, so only the issuer is taken from it."""
    mine, theirs = found["results"]["issuer"], other["results"]["issuer"]
    if theirs.value is None or (mine.value is not None and theirs.confidence <= mine.confidence):
        return found
    return dict(found, results=dict(found["results"], issuer=theirs), issuer_entry=other["issuer_entry"])


class _Reading:
    """One document's pages, read once, and what its fields say with given hints.

    The further OCR looks (``LOOKS``) are taken at most once, when a reading
    of the fields first finds a block lost, and kept for any later reading
    with other hints: applying an issuer's taught hints re-reads the fields,
    never the file. A look's pages are the pages before it with its words
    added where those found nothing.
    """

    def __init__(self, path: str, ocr_timeout: float):
        self.path, self.ocr_timeout = path, ocr_timeout
        self._images: dict = {}   # page images the first reading and the looks share (readers.reread)
        self.doc: Document = read_document(path, ocr_timeout=ocr_timeout, images=self._images)
        self._looks: dict[str, list[Page] | None] = {}
        self._band: list[Page] | None = None

    def _overlaid(self, look: str, pages: list[Page]) -> list[Page] | None:
        if look not in self._looks:
            again = reread(self.path, self.doc, self.ocr_timeout, look, images=self._images)
            self._looks[look] = None if again is None else [
                _overlay(p, p2) if p.method == "ocr" else p for p, p2 in zip(pages, again)]
        return self._looks[look]

    def fields(self, hints: list[dict] | None) -> tuple[dict, Document]:
        """The fields found with ``hints``, and the pages they were found on."""
        found, pages = read_fields(self.doc.pages, hints), self.doc.pages
        if not any(p.method == "ocr" for p in pages):
            return found, self.doc
        if _weak(found):
            for look in LOOKS:
                merged = self._overlaid(look, pages)
                if merged is not None:
                    found, pages = _merge(found, read_fields(merged, hints)), merged
        if _issuer_weak(found) and pages[0].method == "ocr":
            if self._band is None:
                self._band = reread(self.path, self.doc, self.ocr_timeout, TOP_BAND,
                                    images=self._images, first_only=True) or []
            if self._band:
                banded = [_banded(pages[0], self._band[0]), *pages[1:]]
                found = _with_issuer(found, read_fields(banded, hints))
        if pages is self.doc.pages:
            return found, self.doc
        return found, Document(self.doc.media_type, pages, self.doc.codes)


def extract_document(path: str, hints: list[dict] | None = None, ocr_timeout: float = 60.0,
                     taught: dict[str, list[dict]] | None = None) -> Extraction:
    """Read the document at ``path``. ``hints`` are used from the start (the
    issuer is known); without them, ``taught`` (hints per issuer key, see
    ``intake.hints.taught_for``) is looked up for the issuer the reading
    names, and that issuer's hints are applied to the pages already read."""
    started = time.perf_counter()
    result = Extraction(path=str(path), hints_used=len(hints or []))
    try:
        if read_badge(result, str(path)):  # a baked badge states its own fields: nothing to OCR
            result.seconds = time.perf_counter() - started
            return result
        reading = _Reading(str(path), ocr_timeout)
        found, doc = reading.fields(hints)
        if not hints and taught:
            issuer = found["results"]["issuer"].value
            entry = found["issuer_entry"]
            learned = taught_for(issuer, entry.code if entry else None, taught)
            if learned:
                found, doc = reading.fields(learned)
                result.hints_used = len(learned)
        _fill(result, found)
        result.codes = doc.codes
        use_aamva(result, doc.codes)
        result.method = doc.method
        result.pages = len(doc.pages)
        result.rotations = [p.rotation for p in doc.pages]
    except IntakeError as exc:
        result.error = exc.to_dict()
    except MemoryError:
        result.error = IntakeError("too_large", "The document needs more memory than allowed.").to_dict()
    except Exception as exc:  # a reader bug must not take the portal's job down
        result.error = IntakeError("internal", f"{type(exc).__name__}: {exc}").to_dict()
    result.seconds = time.perf_counter() - started
    return result


def _fill(result: Extraction, found: dict) -> None:
    r = found["results"]
    for f in FIELDS:
        res = r[f]
        value = res.value
        if isinstance(value, dt.date):
            value = value.isoformat()
        setattr(result, f, value)
        # a null the document states ("Expiry: Lifetime") keeps its confidence and evidence
        result.confidence[f] = res.confidence if res.stated else 0.0
        result.evidence[f] = _evidence(res) if res.stated else None
    result.date_order, result.date_order_reason = found["date_order"], found["date_order_reason"]
    result.ambiguous = [f for f in found["ambiguous"] if getattr(result, f) is not None]
    entry = found["issuer_entry"]
    result.issuer_code = entry.code if entry else None
    result.credential_type_code = found["ctype_code"]
    # No printed expiry: predict it from the directory's validity for this
    # credential type, or, for a type that never expires, say null with the
    # confidence we have in the type (null is then the right answer).
    ctype = load_directory().credential_type(found["ctype_code"]) if found["ctype_code"] else None
    if result.expiry_date is None and ctype is not None and not r["expiry_date"].stated:
        if ctype.validity_months and result.issue_date:
            issued = dt.date.fromisoformat(result.issue_date)
            result.expiry_date = D.predicted_expiry(issued, ctype.validity_months).isoformat()
            result.expiry_predicted = True
            result.confidence["expiry_date"] = round(min(0.6, r["issue_date"].confidence * r["credential_type"].confidence), 3)
            result.evidence["expiry_date"] = None
        elif ctype.validity_months is None:
            result.confidence["expiry_date"] = round(0.85 * r["credential_type"].confidence, 3)
