"""Identifier checks offline: NPI and DEA check digits, the issuer's licence-number shapes.

A well-formed number only shows the number was not mistyped or made up
carelessly, so a pass is ``integrity_only``; a wrong check digit is ``failed``.
"""
from __future__ import annotations

import re

from portal.policies import verification as rules
from portal.services.verification.base import Check, Subject, verifier

METHOD = "identifier"


def _number(subject: Subject) -> str:
    return rules.compact_number(subject.credential.license_number)


def _kind(subject: Subject) -> str | None:
    """NPI or DEA when the credential type says so (code or name), else None."""
    type_ = subject.credential.credential_type
    words = f"{type_.code} {type_.name}".upper()
    if re.search(r"\bNPI\b|NATIONAL PROVIDER", words):
        return "npi"
    if re.search(r"\bDEA\b", words):
        return "dea"
    return None


@verifier(METHOD)
def check(subject: Subject) -> Check | None:
    number = _number(subject)
    if not number:
        return None
    kind = _kind(subject)
    if kind == "npi":
        ok = rules.npi_valid(number)
        return Check(METHOD, "NPI check digit", "integrity_only" if ok else "failed",
                     "The NPI's check digit is right." if ok else "This is not a valid NPI: the check digit is wrong "
                     "or it is not 10 digits.", {"number": number, "rule": "Luhn with prefix 80840"})
    if kind == "dea":
        ok = rules.dea_valid(number)
        return Check(METHOD, "DEA checksum", "integrity_only" if ok else "failed",
                     "The DEA number's checksum is right." if ok else "This is not a valid DEA number: its "
                     "letters or checksum are wrong.", {"number": number, "rule": "DEA checksum"})
    issuer = subject.credential.credential_type.issuer
    shaped = rules.matches_pattern(subject.credential.license_number, issuer.license_number_patterns)
    if shaped is None:
        return None
    return Check(METHOD, f"{issuer.name} number format", "integrity_only" if shaped else "failed",
                 f"The number has the shape {issuer.name} uses." if shaped
                 else f"The number does not have any shape {issuer.name} uses.",
                 {"number": number, "patterns": issuer.license_number_patterns})
