"""Barcodes and QR codes on a page (zxing-cpp): verification links and AAMVA licence data.

A code is evidence for the reviewer: a verification URL printed as a QR code
lets them check the credential at its source, so every decoded code is kept
with the extraction as ``{"format", "text", "url", "page", "bbox"}``. The
PDF417 on a North American driver's licence carries the holder's name,
the licence number and its dates as AAMVA data elements; those fields are
read from it with their own high confidence, since a checksummed barcode
does not suffer from OCR's letter confusions.
"""
from __future__ import annotations

import datetime as dt
import re

from PIL import Image

# Formats certificates and cards carry; leaving out the retail 1-D codes
# keeps decoding fast and avoids reading a table's rules as a barcode.
FORMATS = ("QRCode", "MicroQRCode", "PDF417", "DataMatrix", "Aztec", "Code128", "Code39")
DECODE_SIDE = 1800          # pages are decoded at most this long side: a few ms, codes still readable
AAMVA_CONFIDENCE = 0.97
_URL = re.compile(r"https?://[^\s<>\"']+", re.I)
_AAMVA_HEADER = re.compile(r"ANSI \d{6}")


def _formats():
    import zxingcpp
    return zxingcpp.BarcodeFormats([getattr(zxingcpp.BarcodeFormat, name) for name in FORMATS])


def read_codes(image: Image.Image, page: int) -> list[dict]:
    """Every code on ``image`` (page ``page``), with its bbox in fractions of the image."""
    import numpy as np
    import zxingcpp
    gray = np.asarray(image if image.mode == "L" else image.convert("L"))   # (no copy of a grey page)
    scale = DECODE_SIDE / max(gray.shape)
    if scale < 1:   # (OpenCV only for a big page: a picture in a born-digital PDF is decoded as it is)
        from .ocr import opencv
        cv2 = opencv()
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    height, width = gray.shape
    found = []
    # (no inverted search: light-on-dark codes are rare on certificates and it triples the cost)
    for code in zxingcpp.read_barcodes(gray, formats=_formats(), text_mode=zxingcpp.TextMode.Plain,
                                       try_invert=False):
        text = code.text
        pos = code.position
        xs = [p.x for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)]
        ys = [p.y for p in (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)]
        bbox = [round(max(0.0, min(xs) / width), 4), round(max(0.0, min(ys) / height), 4),
                round(min(1.0, max(xs) / width), 4), round(min(1.0, max(ys) / height), 4)]
        url = _URL.search(text)
        found.append({"format": _format_name(code.format), "text": text,
                      "url": url.group(0).rstrip(".,;)") if url else None, "page": page, "bbox": bbox})
    return found


def _format_name(fmt) -> str:
    name = str(fmt)
    return name.split(".")[-1] if name.startswith("BarcodeFormat.") else name


# --- AAMVA (driver's licence / ID card PDF417) -----------------------------------

def _aamva_date(value: str, country: str | None) -> dt.date | None:
    """AAMVA dates are MMDDCCYY in the US and CCYYMMDD in Canada."""
    value = value.strip()
    if not re.fullmatch(r"\d{8}", value):
        return None
    orders = ("%Y%m%d", "%m%d%Y") if country == "CAN" else ("%m%d%Y", "%Y%m%d")
    for fmt in orders:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def aamva_fields(text: str) -> dict | None:
    """Holder, licence number and dates from an AAMVA payload, or None if ``text`` is not one."""
    if not _AAMVA_HEADER.search(text[:40]):
        return None
    elements: dict[str, str] = {}
    for line in re.split(r"[\n\r\x1e]+", text):
        # a subfile starts with its type ("DL", "ID") glued to its first element
        line = re.sub(r"^.*?(?:DL|ID)(?=DA[A-Z]|DB[A-Z]|DC[A-Z])", "", line) if "ANSI" in line else line
        if len(line) > 3 and re.fullmatch(r"D[A-Z]{2}", line[:3]):
            elements.setdefault(line[:3], line[3:].strip())
    if not elements:
        return None
    given = elements.get("DAC") or elements.get("DCT", "").replace(",", " ")
    middle = elements.get("DAD", "")
    family = elements.get("DCS") or elements.get("DAB", "")
    suffix = elements.get("DCU", "")
    name = " ".join(p for p in (given, middle, family, suffix) if p and p.upper() not in ("NONE", "UNAVL"))
    country = elements.get("DCG")
    out = {
        "holder_name": name.title() if name else None,
        "license_number": elements.get("DAQ") or None,
        "issue_date": _aamva_date(elements.get("DBD", ""), country),
        "expiry_date": _aamva_date(elements.get("DBA", ""), country),
    }
    return out if any(out.values()) else None


def use_aamva(result, codes: list[dict]) -> None:
    """Fields of the first AAMVA payload among ``codes`` replace what OCR read, at their own confidence.

    (The barcode is the issuer's own machine-readable copy of the card's data.)
    """
    from .model import Evidence
    for code in codes:
        found = aamva_fields(code["text"])
        if not found:
            continue
        for name, value in found.items():
            if value is None:
                continue
            setattr(result, name, value.isoformat() if isinstance(value, dt.date) else value)
            result.confidence[name] = AAMVA_CONFIDENCE
            result.evidence[name] = Evidence(code["page"], code["bbox"], f"{code['format']} barcode")
        if found.get("expiry_date"):
            result.expiry_predicted = False
        return
