"""Real test material made here: a CA and signer certificate, signed PDFs, did:key badges.

The makers live in ``portal.demo.signing`` (the demo seed signs with them too);
here they are pinned to the tests' day, NOW.
"""
from __future__ import annotations

import io
from datetime import UTC, datetime

from portal.demo import signing
from portal.demo.signing import (  # noqa: F401  (the tests' names for them)
    Pki,
    baked_png,
    baked_svg,
    did_key,
    issuer_key,
    open_badge,
    plain_pdf,
    sign_data_integrity,
    signed_badge,
    signed_pdf,
    tampered,
)

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def make_pki(root_cn: str = "Test Board Root CA", signer_cn: str = "Test Board Registrar") -> Pki:
    return signing.make_pki(root_cn, signer_cn, now=NOW)


def appended_after_signing(signed: bytes) -> bytes:
    """An incremental update after signing that adds a page-level change."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- badges -----------------------------------------------------------------

def vc_jwt(key, credential: dict, exp: int | None = None) -> str:
    import json as _json

    from portal.services.verification.badges import b64url_encode

    did = did_key(key)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{did}#{did[8:]}"}
    claims = {"iss": did, "nbf": 1748736000, "vc": credential, **({"exp": exp} if exp else {})}
    signing_input = (b64url_encode(_json.dumps(header).encode()) + "." +
                     b64url_encode(_json.dumps(claims).encode()))
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode()))


def status_list(revoked: set[int], size: int = 16384) -> dict:
    import gzip

    from portal.services.verification.badges import b64url_encode

    bits = bytearray(size // 8)
    for i in revoked:
        bits[i // 8] |= 1 << (7 - i % 8)
    return {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential",
                                                                          "BitstringStatusListCredential"],
            "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation",
                                  "encodedList": "u" + b64url_encode(gzip.compress(bytes(bits)))}}
