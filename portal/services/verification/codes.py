"""Codes on the document: the QR or barcode payloads intake read.

A verification URL or badge URL is kept as a "check at source" link. A code
that is not a link (an AHA eCard code, a card number) is checked for shape
against the issuer's number formats and compared with the credential's
number; the issuer's own verification page is then the place to check it.
Reading a code proves nothing about the credential by itself, so the outcome
is ``unverifiable``: the link is the evidence a person can follow.
"""
from __future__ import annotations

from urllib.parse import urlparse

from portal.policies import verification as rules
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
    return str(url) if is_web_address(url) else None


def is_web_address(url) -> bool:
    parsed = urlparse(str(url or ""))
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _shape(code: dict, patterns: list[str], number: str) -> dict:
    """What a code that is not a link says: its shape by the issuer's ``patterns``, and whether it holds
    the credential's ``number`` (compacted)."""
    text = rules.compact_number(str(code["text"]))
    return {"text": text, "format": code.get("format"),
            "issuer_shape": rules.matches_pattern(str(code["text"]), patterns),
            "names_number": bool(number) and number in text}


def _sentence(shapes: list[dict], issuer_name: str) -> str:
    if any(s["names_number"] for s in shapes):
        return f"The document's code carries the credential's number: check it on {issuer_name}'s page."
    if any(s["issuer_shape"] for s in shapes):
        return (f"The document's code has the shape of {issuer_name}'s numbers, but is not the credential's number: "
                "check both at the source.")
    if any(s["issuer_shape"] is False for s in shapes):
        return f"The document carries a code that has no shape {issuer_name} uses, and no link to check it."
    return "The document carries a code but no link to check it."


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
    issuer = subject.credential.credential_type.issuer
    number = rules.compact_number(subject.credential.license_number)
    shapes = [_shape(code, issuer.license_number_patterns, number) for code in found[:10]]
    evidence["shapes"] = shapes
    if is_web_address(issuer.verification_url) and any(s["issuer_shape"] or s["names_number"] for s in shapes):
        evidence["links"] = [issuer.verification_url]  # a code of theirs is checked on their page
    return Check(METHOD, f"{issuer.name} code" if evidence["links"] else "document code", "unverifiable",
                 _sentence(shapes, issuer.name), evidence)
