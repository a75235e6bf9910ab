"""Signed PDFs: the signature is intact, nothing changed after signing, and the
signer's chain reaches a root the admin trusts.

Checked offline: revocation (CRL/OCSP) is reported as "not checked", never as
fine. An intact signature from a signer we do not trust is ``integrity_only``.
"""
from __future__ import annotations

import hashlib
import io
import logging
from contextlib import aclosing

from asn1crypto import pem, x509
from sqlalchemy import select

from portal.extensions import db
from portal.models import TrustRoot
from portal.services.verification.base import Check, Subject, run_coroutine, verifier

log = logging.getLogger(__name__)
METHOD = "pdf_signature"
# Changes after signing that do not alter what was signed (timestamps, DSS).
HARMLESS_CHANGES = ("NONE", "LTA_UPDATES")
MALFORMED = "The PDF's signature is malformed and cannot be checked."


class InvalidRoot(ValueError):
    pass


def load_root(pem_bytes: bytes) -> x509.Certificate:
    """A trust root from PEM or DER bytes; InvalidRoot with a reason otherwise."""
    try:
        der = pem.unarmor(pem_bytes)[2] if pem.detect(pem_bytes) else pem_bytes
        cert = x509.Certificate.load(der)
        cert.native  # parse it all now, so a broken file fails here
    except Exception as exc:  # asn1crypto raises many kinds for bad bytes
        raise InvalidRoot("This is not an X.509 certificate (PEM or DER).") from exc
    return cert


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def trust_roots() -> list[x509.Certificate]:
    roots = []
    for row in db.session.scalars(select(TrustRoot)):
        try:
            roots.append(load_root(row.pem.encode()))
        except InvalidRoot:
            log.warning("trust root %s cannot be read; skipped", row.id)
    return roots


def _is_pdf(data: bytes | None) -> bool:
    return bool(data) and data.lstrip()[:5] == b"%PDF-"


@verifier(METHOD)
def check(subject: Subject) -> Check | None:
    data = subject.content()
    if not _is_pdf(data):
        return None
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception as exc:  # a PDF pyHanko cannot parse
        if b"/ByteRange" in data:  # it claims a signature, and the signature is broken
            return Check(METHOD, "document", "failed", MALFORMED, {"error": str(exc)[:300]})
        return Check(METHOD, "document", "unverifiable", "The PDF could not be read to look for signatures.",
                     {"error": str(exc)[:300]})
    if not signatures:
        return None
    return _validate(signatures[-1], len(signatures), trust_roots())


async def _validation(signature, roots: list[x509.Certificate]):
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    async with aclosing(context):  # what the sync API does after each call
        return await async_validate_pdf_signature(signature, context)


def _validate(signature, count: int, roots: list[x509.Certificate]) -> Check:
    try:
        status = run_coroutine(_validation(signature, roots))
    except Exception as exc:  # malformed CMS, unsupported algorithm, broken byte range
        return Check(METHOD, "document", "failed", MALFORMED, {"error": str(exc)[:300], "signatures": count})
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else "unknown signer"
    modification = getattr(status.modification_level, "name", str(status.modification_level))
    evidence = {
        "signer": signer,
        "signer_sha256": fingerprint(status.signing_cert) if status.signing_cert else None,
        "intact": bool(status.intact), "valid": bool(status.valid), "trusted": bool(status.trusted),
        "coverage": getattr(status.coverage, "name", str(status.coverage)),
        "modification": modification,
        "signed_at": status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        "revocation": "not checked (offline)",
        "signatures": count,
    }
    if not (status.intact and status.valid):
        return Check(METHOD, signer, "failed",
                     "The signed bytes were changed after signing: the signature does not match.", evidence)
    if modification not in HARMLESS_CHANGES and evidence["coverage"] != "ENTIRE_FILE":
        return Check(METHOD, signer, "failed", "The PDF was changed after it was signed.", evidence)
    if not status.trusted:
        return Check(METHOD, signer, "integrity_only",
                     f"Signed by {signer} and intact, but that signer does not chain to a trusted root.", evidence)
    return Check(METHOD, signer, "verified",
                 f"Signed by {signer}, intact, and chained to a trusted root (revocation not checked offline).",
                 evidence)
