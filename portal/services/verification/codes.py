"""Codes on the document: the QR or barcode payloads intake read.

A verification URL or badge URL is kept as a "check at source" link. Reading
a code proves nothing about the credential by itself, so the outcome is
``unverifiable``: the link is the evidence a person can follow.
"""
from __future__ import annotations

from urllib.parse import urlparse

from portal.services.verification.base import Check, Subject, verifier

METHOD = "code"


def codes_of(subject: Subject) -> list[dict]:
    document = subject.document
    extraction = document.latest_extraction if document is not None else None
    fields = (extraction.fields or {}) if extraction is not None else {}
    found = fields.get("codes") or []  # stored by documents.finish_reading
    return [c for c in found if isinstance(c, dict) and c.get("text")]


def _link(code: dict) -> str | None:
    url = code.get("url") or code.get("text")
    parsed = urlparse(str(url))
    return str(url) if parsed.scheme in ("http", "https") and parsed.netloc else None


@verifier(METHOD)
def check(subject: Subject) -> Check | None:
    found = codes_of(subject)
    if not found:
        return None
    links = [link for link in map(_link, found) if link]
    evidence = {"codes": found[:10], "links": links[:10]}
    if links:
        return Check(METHOD, urlparse(links[0]).netloc, "unverifiable",
                     "The document carries a verification link: check it at the source.", evidence)
    return Check(METHOD, "document code", "unverifiable", "The document carries a code but no link to check it.",
                 evidence)
