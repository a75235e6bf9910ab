"""extract(path, hints) -> Extraction: read, lay out, find fields, predict expiry."""
from __future__ import annotations

import datetime as dt
import os
import time

from . import dates as D
from .directory import load_directory
from .errors import IntakeError
from .fields import DocumentFields, FieldResult
from .layout import Layout
from .model import FIELDS, Evidence, Extraction, Page
from .readers import Document, read_document

# Fields whose weak reading on an OCR page earns a second, thorough OCR look.
CORE = ("holder_name", "license_number", "issue_date", "expiry_date")
RETRY_BELOW = 0.6


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
    issuer = doc.issuer()
    holder = doc.holder()
    license_ = doc.license()
    ctype, ctype_code = doc.credential_type()
    dates = doc.dates()
    results = {"issuer": issuer, "holder_name": holder, "license_number": license_,
               "credential_type": ctype, **dates}
    return {"results": results, "issuer_entry": doc.issuer_entry, "ctype_code": ctype_code}


def _weak(found: dict) -> bool:
    r = found["results"]
    weak = [f for f in CORE if r[f].value is None or r[f].confidence < RETRY_BELOW]
    # an expiry legitimately absent (never-expiring type) is not a weakness
    if "expiry_date" in weak and r["expiry_date"].value is None and r["issue_date"].value is not None:
        weak.remove("expiry_date")
    return bool(weak)


def _merge(a: dict, b: dict) -> dict:
    """Field-wise best of two readings; a value both agree on gains confidence."""
    out = {"results": {}, "issuer_entry": a["issuer_entry"] or b["issuer_entry"],
           "ctype_code": a["ctype_code"] or b["ctype_code"]}
    for f in FIELDS:
        ra, rb = a["results"][f], b["results"][f]
        if ra.value is not None and ra.value == rb.value:
            ra.confidence = round(min(0.99, max(ra.confidence, rb.confidence) + 0.05), 3)
            out["results"][f] = ra
        else:
            out["results"][f] = ra if (ra.confidence >= rb.confidence and ra.value is not None) or rb.value is None else rb
    if b["results"]["issuer"] is out["results"]["issuer"]:
        out["issuer_entry"] = b["issuer_entry"]
    return out


def extract_document(path: str, hints: list[dict] | None = None, ocr_timeout: float = 60.0) -> Extraction:
    started = time.perf_counter()
    result = Extraction(path=str(path))
    try:
        doc: Document = read_document(str(path), ocr_timeout=ocr_timeout)
        found = read_fields(doc.pages, hints)
        if any(p.method == "ocr" for p in doc.pages) and _weak(found):
            from .readers import reread_thorough
            pages2 = reread_thorough(str(path), doc, ocr_timeout)
            if pages2 is not None:
                found = _merge(found, read_fields(pages2, hints))
                doc = Document(doc.media_type, [p2 if p.method == "ocr" else p for p, p2 in zip(doc.pages, pages2)])
        _fill(result, found)
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
        result.confidence[f] = res.confidence if value is not None else 0.0
        result.evidence[f] = _evidence(res) if value is not None else None
    entry = found["issuer_entry"]
    result.issuer_code = entry.code if entry else None
    result.credential_type_code = found["ctype_code"]
    # No printed expiry: predict it from the directory's validity for this credential type.
    if result.expiry_date is None and result.issue_date and found["ctype_code"]:
        ctype = load_directory().credential_type(found["ctype_code"])
        if ctype and ctype.validity_months:
            issued = dt.date.fromisoformat(result.issue_date)
            result.expiry_date = D.add_months(issued, ctype.validity_months).isoformat()
            result.expiry_predicted = True
            result.confidence["expiry_date"] = round(min(0.6, r["issue_date"].confidence * r["credential_type"].confidence), 3)
            result.evidence["expiry_date"] = None
