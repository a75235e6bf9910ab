"""Open Badges and verifiable credentials as documents: what the badge itself states.

A badge baked into a PNG (iTXt ``openbadgecredential`` / ``openbadges``) or an
SVG (``<openbadges:credential>`` / ``<openbadges:assertion>``) carries the
credential as JSON or a compact JWT. Its issuer, achievement, holder and dates
are the issuer's own machine-readable statement, so a baked PNG is read from
that statement at full confidence rather than by OCR over a picture of a medal.
Whether the badge is genuine (its proof, its status) is the portal's
verification (``portal.services.verification.badges``), never decided here.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
from typing import Any

from .model import FIELDS, Extraction
from .sniff import PNG, sniff, sniff_bytes

BADGE_CONFIDENCE = 1.0
JWT_SHAPE = re.compile(rb"^\s*([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)\s*$")
BADGE_TYPES = {"VerifiableCredential", "OpenBadgeCredential", "AchievementCredential", "Assertion"}
# Badges that are text, not pictures: accepted as documents only when the file is a badge.
SVG, JSON, JWT = "image/svg+xml", "application/json", "application/jwt"
TEXT_BADGE_TYPES = (SVG, JSON, JWT)


def badge_form(data: bytes) -> str | None:
    """The form a badge could take in these bytes (PNG, SVG, JWT or JSON), or None."""
    if sniff_bytes(data[:16]) == PNG:
        return PNG
    if b"<svg" in data[:4096].lower():
        return SVG
    if JWT_SHAPE.match(data):
        return JWT
    return JSON if data.decode("utf-8", "replace").lstrip().startswith("{") else None


def baked_text(data: bytes) -> str | None:
    """The badge text baked into a PNG or SVG, or the file itself when it is JSON/JWT."""
    return _unbaked(data, badge_form(data))


def _unbaked(data: bytes, form: str | None) -> str | None:
    if form == PNG:
        # Pillow decodes the whole picture to reach text chunks after the image data;
        # a chunk's keyword is never compressed, so a PNG without one naming a badge is passed over.
        if b"openbadge" not in data:
            return None
        from PIL import Image

        try:
            text = Image.open(io.BytesIO(data)).text
        except Exception:
            return None
        return text.get("openbadgecredential") or text.get("openbadges")
    if form == SVG:
        match = re.search(rb"<openbadges:(?:credential|assertion)\b([^>]*?)(/?)>", data)
        if not match:
            return None
        if match.group(2) == b"/":
            verify = re.search(rb'verify="([^"]+)"', match.group(1))
            return verify.group(1).decode("utf-8", "replace") if verify else None
        end = data.find(b"</openbadges:", match.end())
        inner = data[match.end():end if end > 0 else None].strip()
        inner = re.sub(rb"^<!\[CDATA\[|\]\]>$", b"", inner).strip()
        return inner.decode("utf-8", "replace") or None
    return data.decode("utf-8", "replace").strip() if form else None


def looks_like_badge(doc: dict) -> bool:
    kinds = doc.get("type") or []
    kinds = {kinds} if isinstance(kinds, str) else set(kinds)
    return bool(kinds & BADGE_TYPES) or "credentialSubject" in doc or "badge" in doc


def b64url_decode(text: str) -> bytes:
    """base64url as JWTs and JWKs write it, without its padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decoded(text: str) -> tuple[dict, dict] | None:
    """(credential, JWT claims) as the badge states them, unverified; None when it is no badge."""
    match = JWT_SHAPE.match(text.encode())
    try:
        if match:
            claims = json.loads(b64url_decode(match.group(2).decode()))
            if not isinstance(claims, dict):
                return None
            credential = claims.get("vc") if isinstance(claims.get("vc"), dict) else claims
            return credential, claims
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None
    return (doc, {}) if isinstance(doc, dict) and looks_like_badge(doc) else None


def parse_moment(value) -> dt.datetime | None:
    """A badge date (ISO 8601, or seconds since 1970 in a JWT) in UTC; ValueError when unreadable."""
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)):
            return dt.datetime.fromtimestamp(value, dt.UTC)
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as error:
        raise ValueError(str(value)[:40]) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def window(doc: dict, claims: dict | None = None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the badge is valid from and until (either may be None); ValueError for an unreadable date."""
    claims = claims or {}
    starts = parse_moment(doc.get("validFrom") or doc.get("issuanceDate") or doc.get("issuedOn") or claims.get("nbf"))
    ends = parse_moment(doc.get("validUntil") or doc.get("expirationDate") or doc.get("expires") or claims.get("exp"))
    return starts, ends


def credential_subject(doc: dict) -> dict | None:
    subject = doc.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    return subject if isinstance(subject, dict) else None


def stated_fields(doc: dict, claims: dict | None = None) -> dict[str, Any]:
    """The credential's fields as the badge states them (issuer, achievement, holder, dates)."""
    subject = credential_subject(doc) or {}
    achievement = subject.get("achievement")
    badge = doc.get("badge") if isinstance(doc.get("badge"), dict) else {}
    issuer = doc.get("issuer")
    try:
        starts, ends = window(doc, claims)
    except ValueError:
        starts = ends = None
    return {k: v for k, v in {
        "issuer": issuer.get("name") if isinstance(issuer, dict) else None,
        "credential_type": achievement.get("name") if isinstance(achievement, dict) else badge.get("name"),
        "holder_name": subject.get("name") if isinstance(subject.get("name"), str) else None,
        "issue_date": starts.date().isoformat() if starts else None,
        "expiry_date": ends.date().isoformat() if ends else None,
    }.items() if v and isinstance(v, str)}


def _statement(path: str) -> tuple[str, tuple[dict, dict]] | None:
    """(the badge's form, the badge as stated) for a PNG, SVG, JSON or JWT badge; None otherwise."""
    try:
        if sniff(path) not in (PNG, None):  # a PDF or a photo: no badge to look for
            return None
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:  # a missing or unreadable file: the readers say why
        return None
    form = badge_form(data)
    text = _unbaked(data, form)
    badge = decoded(text) if text else None
    return (form, badge) if badge else None


def badge_media_type(path: str) -> str | None:
    """SVG, JSON or JWT when the file is a badge stated that way; None for anything else.

    Content sniffing cannot tell an SVG or a JSON file from a badge by its first
    bytes, and a stray SVG (which can carry script) or JSON is no certificate:
    only a file that decodes as a badge is given one of these types.
    """
    found = _statement(path)
    return found[0] if found and found[0] in TEXT_BADGE_TYPES else None


def read_badge(result: Extraction, path: str) -> bool:
    """Fill ``result`` from a badge's own statement (baked PNG or SVG, JSON, JWT); False when the file is not one."""
    found = _statement(path)
    badge = found[1] if found else None
    if badge is None:
        return False
    from .directory import find_credential_type, find_issuer

    fields = stated_fields(*badge)
    for name in FIELDS:
        if fields.get(name):
            setattr(result, name, fields[name])
        result.confidence[name] = BADGE_CONFIDENCE if fields.get(name) else 0.0
    issuer = find_issuer(fields["issuer"]) if fields.get("issuer") else None
    result.issuer_code = issuer[0].code if issuer else None
    ctype = find_credential_type(fields["credential_type"], issuer[0] if issuer else None) \
        if fields.get("credential_type") else None
    result.credential_type_code = ctype[0].code if ctype else None
    result.method, result.pages, result.rotations = "badge", 1, [0]
    return True
