"""Real test material made here: a CA and signer certificate, signed PDFs, did:key badges."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image

NOW = datetime(2026, 1, 15, tzinfo=UTC)


@dataclass
class Pki:
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    signer: x509.Certificate

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Board of Nursing")])


def make_pki(root_cn: str = "Test Board Root CA", signer_cn: str = "Test Board Registrar") -> Pki:
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (x509.CertificateBuilder().subject_name(_name(root_cn)).issuer_name(_name(root_cn))
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=3650)).not_valid_after(NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(root_key, hashes.SHA256()))
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (x509.CertificateBuilder().subject_name(_name(signer_cn)).issuer_name(root.subject)
              .public_key(signer_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(NOW - timedelta(days=365)).not_valid_after(NOW + timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_cert_sign=False,
                                           crl_sign=False, key_encipherment=False, data_encipherment=False,
                                           key_agreement=False, encipher_only=False, decipher_only=False),
                             critical=True)
              .sign(root_key, hashes.SHA256()))
    return Pki(root_key, root, signer_key, signer)


def plain_pdf(text: str = "Certificate") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buffer, "PDF")
    return buffer.getvalue()


def signed_pdf(pki: Pki, pdf: bytes | None = None) -> bytes:
    """Signed with pyHanko's async API through the portal's one runner (Playwright's
    sync API keeps an event loop running in browser tests, where asyncio.run cannot start)."""
    from asn1crypto import keys
    from asn1crypto import x509 as ax509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from portal.services.verification.base import run_coroutine

    der = serialization.Encoding.DER
    signer = signers.SimpleSigner(
        signing_cert=ax509.Certificate.load(pki.signer.public_bytes(der)),
        signing_key=keys.PrivateKeyInfo.load(pki.signer_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([ax509.Certificate.load(pki.root.public_bytes(der))]),
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf or plain_pdf()), strict=False)
    run_coroutine(signers.async_sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Registrar"),
                                         signer=signer, output=out))
    return out.getvalue()


def tampered(signed: bytes) -> bytes:
    """Change one byte inside the signed range (the first page's content)."""
    at = signed.index(b"/MediaBox")
    return signed[:at] + signed[at:at + 20].replace(b"0", b"1", 1) + signed[at + 20:]


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

def issuer_key():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def did_key(key) -> str:
    from portal.services.verification.badges import did_key_for

    return did_key_for(key.public_key())


def open_badge(holder="Erin Employee", issuer_did=None, valid_from="2025-06-01T00:00:00Z",
               valid_until="2027-06-01T00:00:00Z", status=None, achievement="BLS Provider") -> dict:
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6b0b0ad4-1c4a-4b7e-9f11-3c0c9e7a1f01",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Test Resuscitation Council"},
        "validFrom": valid_from,
        "name": achievement,
        "credentialSubject": {"type": ["AchievementSubject"], "name": holder,
                              "achievement": {"id": "urn:uuid:a1", "type": ["Achievement"], "name": achievement}},
    }
    if valid_until:
        doc["validUntil"] = valid_until
    if status:
        doc["credentialStatus"] = status
    return doc


def sign_data_integrity(doc: dict, key, verification_method: str) -> dict:
    import hashlib

    from portal.services.verification.badges import b58_encode, jcs

    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": "2025-06-01T00:00:00Z",
             "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    config = {**proof, "@context": doc["@context"]}
    data = hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(doc)).digest()
    return {**doc, "proof": {**proof, "proofValue": "z" + b58_encode(key.sign(data))}}


def signed_badge(key, **kw) -> dict:
    did = did_key(key)
    return sign_data_integrity(open_badge(issuer_did=did, **kw), key, f"{did}#{did[8:]}")


def vc_jwt(key, credential: dict, exp: int | None = None) -> str:
    import json as _json

    from portal.services.verification.badges import b64url_encode

    did = did_key(key)
    header = {"alg": "EdDSA", "typ": "JWT", "kid": f"{did}#{did[8:]}"}
    claims = {"iss": did, "nbf": 1748736000, "vc": credential, **({"exp": exp} if exp else {})}
    signing_input = (b64url_encode(_json.dumps(header).encode()) + "." +
                     b64url_encode(_json.dumps(claims).encode()))
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode()))


def baked_png(text: str, keyword="openbadgecredential") -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt(keyword, text)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "gold").save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def baked_svg(text: str) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" '
            f'width="64" height="64"><openbadges:credential><![CDATA[{text}]]></openbadges:credential>'
            f'<circle cx="32" cy="32" r="30" fill="gold"/></svg>').encode()


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
