"""Open Badges 2.0 / 3.0 and W3C Verifiable Credentials.

A badge arrives as a document: baked into a PNG (iTXt ``openbadges`` /
``openbadgecredential``) or SVG (``<openbadges:assertion>`` /
``<openbadges:credential>``), or as JSON or a compact JWT. What is checked:

- the proof, with the issuer's key: Data Integrity ``eddsa-jcs-2022``
  (offline with did:key; did:web when reachable) or a VC-JWT signed EdDSA;
  an Open Badges 2.0 hosted assertion is compared with the issuer's copy;
- the validity window (validFrom/validUntil, issuanceDate/expirationDate, exp/nbf);
- the status list entry (Bitstring / StatusList2021) when reachable; when not,
  the evidence says "not checked", never fine;
- that the badge names the credential's holder, when it names anyone.

Fields come from the credential itself (``intake.badge.stated_fields``), at full
confidence. Malformed input is a ``failed``/``unverifiable`` check, never an error.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from intake import badge as statement
from intake.badge import b64url_decode
from portal.models import utcnow
from portal.services.verification import http
from portal.services.verification.base import Check, SourceUnavailable, Subject, verifier

METHOD = "open_badge"
ED25519_MULTICODEC = b"\xed\x01"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
DID_CACHE_SECONDS = 3600


class BadBadge(Exception):
    """The badge cannot be accepted; the message says why, for people."""


# --- encodings ---------------------------------------------------------------

def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b58_encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58_decode(text: str) -> bytes:
    n = 0
    for ch in text:
        if ch not in B58:
            raise BadBadge("A key or proof value is not valid base58.")
        n = n * 58 + B58.index(ch)
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multibase_decode(value: str) -> bytes:
    if value.startswith("z"):
        return b58_decode(value[1:])
    if value.startswith("u"):
        return b64url_decode(value[1:])
    raise BadBadge("A multibase value uses an encoding we do not read.")


def jcs(value: Any) -> bytes:
    """RFC 8785 JSON canonicalization (keys in UTF-16 order, no spaces, ES number form)."""

    def encode(v: Any) -> str:
        if isinstance(v, dict):
            items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-16-be"))
            return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + encode(x) for k, x in items) + "}"
        if isinstance(v, list):
            return "[" + ",".join(encode(x) for x in v) + "]"
        if isinstance(v, bool) or v is None:
            return json.dumps(v)
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise BadBadge("The badge holds a number JSON cannot carry.")
            return str(int(v)) if v.is_integer() and abs(v) < 1e21 else repr(v)
        return json.dumps(v, ensure_ascii=False)

    return encode(value).encode("utf-8")


# --- keys ----------------------------------------------------------------------

def ed25519_from_multikey(value: str) -> Ed25519PublicKey:
    raw = multibase_decode(value)
    if not raw.startswith(ED25519_MULTICODEC) or len(raw) != 34:
        raise BadBadge("The issuer's key is not an Ed25519 key.")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def did_key_for(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "did:key:z" + b58_encode(ED25519_MULTICODEC + raw)


def did_web_url(did: str) -> str:
    parts = did.split(":")[2:]
    if not parts or not parts[0]:
        raise BadBadge("The issuer's did:web names no host.")
    host = parts[0].replace("%3A", ":").replace("%3a", ":")
    scheme = "http" if host.split(":")[0] in ("localhost", "127.0.0.1") else "https"
    path = "/".join(parts[1:])
    return f"{scheme}://{host}/{path}/did.json" if path else f"{scheme}://{host}/.well-known/did.json"


def _key_from_method(method: dict) -> Ed25519PublicKey:
    if method.get("publicKeyMultibase"):
        return ed25519_from_multikey(method["publicKeyMultibase"])
    jwk = method.get("publicKeyJwk") or {}
    if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("x"):
        return Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    raise BadBadge("The issuer's DID document has no Ed25519 key we can use.")


def resolve_key(verification_method: str) -> tuple[Ed25519PublicKey, str]:
    """The public key a verification method names, and the DID it belongs to.

    did:key needs nothing outside; did:web fetches the DID document (cached);
    SourceUnavailable when it cannot be reached now.
    """
    did, _, fragment = str(verification_method).partition("#")
    if did.startswith("did:key:"):
        return ed25519_from_multikey(did[len("did:key:"):]), did
    if did.startswith("did:web:"):
        try:
            document = http.get_json(did_web_url(did), cache_seconds=DID_CACHE_SECONDS)
        except http.Refused as refused:
            raise BadBadge(f"The issuer's DID document could not be had: {refused}.") from refused
        methods = [m for m in (document.get("verificationMethod") or []) if isinstance(m, dict)]
        wanted = [m for m in methods if m.get("id") in (verification_method, f"#{fragment}")] or methods[:1]
        if not wanted:
            raise BadBadge("The issuer's DID document lists no keys.")
        return _key_from_method(wanted[0]), did
    raise BadBadge(f"The badge is signed with a key we cannot resolve ({did[:60]}).")


# --- reading the file --------------------------------------------------------------

def _parse_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise BadBadge("The badge is not valid JSON.") from error
    if not isinstance(value, dict):
        raise BadBadge("The badge is not a JSON object.")
    return value


# --- proofs ------------------------------------------------------------------------

def verify_data_integrity(doc: dict) -> str:
    """Check an ``eddsa-jcs-2022`` proof; returns the issuer DID. BadBadge when it does not hold."""
    proof = doc.get("proof")
    if isinstance(proof, list):
        proof = proof[0] if proof else None
    if not isinstance(proof, dict):
        raise BadBadge("The badge carries no proof.")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-jcs-2022":
        raise BadBadge(f"The badge's proof ({proof.get('cryptosuite') or proof.get('type')}) is of a kind "
                       "we cannot check here.")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        raise BadBadge("The badge's proof has no value.")
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in doc:
        config["@context"] = doc["@context"]
    unsigned = {k: v for k, v in doc.items() if k != "proof"}
    hash_data = hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(unsigned)).digest()
    key, did = resolve_key(proof.get("verificationMethod", ""))
    _issuer_matches(doc, did)
    try:
        key.verify(multibase_decode(value), hash_data)
    except (InvalidSignature, ValueError) as error:
        raise BadBadge("The badge's proof does not match its content: it was altered, or not signed by "
                       "that key.") from error
    return did


def verify_jwt(token: str) -> tuple[dict, str, dict]:
    """Check a VC-JWT signed EdDSA; returns (credential, issuer DID, JWT claims)."""
    match = statement.JWT_SHAPE.match(token.encode())
    if not match:
        raise BadBadge("The token is not a compact JWT.")
    try:
        header = json.loads(b64url_decode(match.group(1).decode()))
        claims = json.loads(b64url_decode(match.group(2).decode()))
        signature = b64url_decode(match.group(3).decode())
    except (ValueError, UnicodeDecodeError) as error:
        raise BadBadge("The token's parts are not base64url JSON.") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise BadBadge("The token's header or claims are not JSON objects.")
    if header.get("alg") not in ("EdDSA", "Ed25519"):
        raise BadBadge(f"The token is signed with {header.get('alg')!r}, which we cannot check here.")
    credential = claims.get("vc") if isinstance(claims.get("vc"), dict) else claims
    key, did = resolve_key(header.get("kid") or claims.get("iss") or "")
    _issuer_matches(credential, did, claims.get("iss"))
    try:
        key.verify(signature, match.group(1) + b"." + match.group(2))
    except InvalidSignature as error:
        raise BadBadge("The token's signature does not match: it was altered, or not signed by that key.") \
            from error
    return credential, did, claims


def _issuer_id(doc: dict) -> str | None:
    issuer = doc.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _issuer_matches(doc: dict, did: str, *others) -> None:
    """The key must be the issuer's: a badge signed by anyone else's key is a forgery."""
    named = [i for i in (_issuer_id(doc), *others) if i]
    if named and any(str(i).split("#")[0] != did for i in named):
        raise BadBadge("The badge is signed by a key that is not its issuer's.")


# --- window, status, holder ----------------------------------------------------------

def check_window(doc: dict, claims: dict | None = None) -> None:
    try:
        starts, ends = statement.window(doc, claims)
    except ValueError as unreadable:
        raise BadBadge(f"The badge has a date we cannot read ({unreadable}).") from unreadable
    now = utcnow()
    if starts and starts > now:
        raise BadBadge(f"The badge is not valid until {starts:%d %b %Y}.")
    if ends and ends < now:
        raise BadBadge(f"The badge expired on {ends:%d %b %Y}.")


def status_of(doc: dict) -> str:
    """"active", "revoked"/"suspended", or "not checked (...)"; never "active" unless it was checked."""
    entries = doc.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries] if isinstance(entries, dict) else []
    if not entries:
        return "none listed"
    for entry in entries:
        url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
        if not url or index is None:
            return "not checked (entry incomplete)"
        try:
            status_list = http.get_json(url, cache_seconds=300)
            if isinstance(status_list, dict) and status_list.get("proof"):
                verify_data_integrity(status_list)
            encoded = status_list["credentialSubject"]["encodedList"]
            raw = multibase_decode(encoded) if encoded[:1] in ("u", "z") else b64url_decode(encoded)
            bits = gzip.decompress(raw)
            position = int(index)
        except SourceUnavailable as down:
            return f"not checked (status list unreachable: {down})"
        except (http.Refused, BadBadge, KeyError, TypeError, ValueError, OSError) as error:
            return f"not checked (status list unusable: {str(error)[:120]})"
        if position < 0 or position >= len(bits) * 8:
            return "not checked (index outside the list)"
        if bits[position // 8] >> (7 - position % 8) & 1:
            return str(entry.get("statusPurpose") or "revoked")
    return "active"


def names_holder(name: str | None, holder: str) -> bool | None:
    if not name:
        return None
    from rapidfuzz import fuzz

    return fuzz.token_sort_ratio(name.lower(), holder.lower()) >= 85


# --- the verifier ------------------------------------------------------------------

def _hosted(doc: dict) -> str:
    """An Open Badges 2.0 hosted assertion: the issuer's copy must say the same."""
    url = doc.get("id") or ""
    try:
        hosted = http.get_json(url, cache_seconds=300)
    except http.Refused as refused:
        raise BadBadge(f"The issuer does not confirm this badge: {refused}.") from refused
    if not isinstance(hosted, dict) or hosted.get("revoked"):
        raise BadBadge("The issuer marks this badge as revoked." if isinstance(hosted, dict)
                       else "The issuer's copy is not a badge.")
    if jcs(hosted) != jcs(doc):
        raise BadBadge("The issuer's copy of this badge differs from the file.")
    return url


def examine(text: str, holder: str) -> Check:
    """Verify one badge's text (JSON or JWT) for a holder."""
    evidence: dict[str, Any] = {}
    try:
        if statement.JWT_SHAPE.match(text.encode()):
            doc, did, claims = verify_jwt(text.strip())
            evidence["proof"] = "VC-JWT (EdDSA)"
        else:
            doc, claims = _parse_json(text), None
            if not statement.looks_like_badge(doc):
                raise BadBadge("The file is JSON, but not a badge or verifiable credential.")
            if str((doc.get("verification") or {}).get("type", "")).lower() in ("hostedbadge", "hosted"):
                did = _hosted(doc)
                evidence["proof"] = "Open Badges 2.0 hosted assertion"
            else:
                did = verify_data_integrity(doc)
                evidence["proof"] = "Data Integrity eddsa-jcs-2022"
        evidence["issuer"] = did
        check_window(doc, claims)
        fields = statement.stated_fields(doc, claims)
        named = names_holder(fields.get("holder_name"), holder)
        evidence["holder_named"] = "not named" if named is None else ("yes" if named else "no")
        if named is False:
            raise BadBadge(f"The badge was issued to {fields.get('holder_name')}, not {holder}.")
        status = status_of(doc)
        evidence["status"] = status
        if status not in ("active", "none listed") and not status.startswith("not checked"):
            raise BadBadge(f"The issuer's status list marks this badge {status}.")
    except BadBadge as bad:
        return Check(METHOD, evidence.get("issuer", "badge"), "failed", str(bad), evidence)
    issuer_label = fields.get("issuer") or did
    return Check(METHOD, issuer_label[:200], "verified",
                 f"The badge's proof checks out with {issuer_label}'s key and it is within its validity window"
                 + ("." if status in ("active", "none listed") else f"; status {status}."), evidence, fields)


@verifier(METHOD)
def check(subject: Subject) -> Check | None:
    data = subject.content()
    if not data:
        return None
    text = statement.baked_text(data)
    if text is None:
        return None
    if text.startswith(("http://", "https://")):  # an SVG baked with only the assertion's address
        try:
            text = http.get(text, cache_seconds=300).decode("utf-8", "replace")
        except http.Refused as refused:
            return Check(METHOD, "badge", "failed", f"The badge's address does not answer: {refused}.")
    if text.lstrip().startswith("{"):
        try:
            if not statement.looks_like_badge(_parse_json(text)):
                return None
        except BadBadge as bad:
            return Check(METHOD, "badge", "failed", str(bad))
    return examine(text, subject.credential.person.full_name)
