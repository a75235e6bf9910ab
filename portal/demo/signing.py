"""Signed material made on the spot: a board's PKI, signed PDFs, did:key badges.

The demo seed signs certificates and issues badges with these (so a new
install shows real verification records, not painted ones) and the tests make
their material with the same code. Keys come from ``rng`` when one is given,
so the same seed gives the same keys.
"""
from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from PIL import Image

# The curve's order: an EC private value is drawn below it.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@dataclass
class Pki:
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    signer: x509.Certificate

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)


def _ec_key(rng: random.Random | None) -> ec.EllipticCurvePrivateKey:
    if rng is None:
        return ec.generate_private_key(ec.SECP256R1())
    return ec.derive_private_key(rng.randrange(1, _P256_ORDER), ec.SECP256R1())


def _name(cn: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])


def _usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_cert_sign=ca, crl_sign=ca,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         encipher_only=False, decipher_only=False)


def make_pki(root_cn: str = "Test Board Root CA", signer_cn: str = "Test Board Registrar",
             organisation: str = "Test Board of Nursing", now: datetime | None = None,
             rng: random.Random | None = None) -> Pki:
    """A root certificate and a signer it certifies, valid for years around ``now``."""
    now = now or datetime.now(UTC)
    serial = (lambda: rng.getrandbits(63) + 1) if rng else x509.random_serial_number  # noqa: E731
    root_key, signer_key = _ec_key(rng), _ec_key(rng)
    root = (x509.CertificateBuilder().subject_name(_name(root_cn, organisation))
            .issuer_name(_name(root_cn, organisation)).public_key(root_key.public_key()).serial_number(serial())
            .not_valid_before(now - timedelta(days=3650)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .sign(root_key, hashes.SHA256()))
    signer = (x509.CertificateBuilder().subject_name(_name(signer_cn, organisation)).issuer_name(root.subject)
              .public_key(signer_key.public_key()).serial_number(serial())
              .not_valid_before(now - timedelta(days=365)).not_valid_after(now + timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(_usage(ca=False), critical=True)
              .sign(root_key, hashes.SHA256()))
    return Pki(root_key, root, signer_key, signer)


def plain_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(buffer, "PDF")
    return buffer.getvalue()


def signed_pdf(pki: Pki, pdf: bytes | None = None) -> bytes:
    """``pdf`` signed by the PKI's signer with pyHanko, through the portal's one
    coroutine runner (a browser test's event loop keeps asyncio.run from starting)."""
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


# --- badges -----------------------------------------------------------------

def issuer_key(rng: random.Random | None = None) -> Ed25519PrivateKey:
    if rng is None:
        return Ed25519PrivateKey.generate()
    return Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))


def did_key(key: Ed25519PrivateKey) -> str:
    from portal.services.verification.badges import did_key_for

    return did_key_for(key.public_key())


def open_badge(holder="Erin Employee", issuer_did=None, valid_from="2025-06-01T00:00:00Z",
               valid_until="2027-06-01T00:00:00Z", status=None, achievement="BLS Provider",
               issuer_name="Test Resuscitation Council", credential_id="urn:uuid:6b0b0ad4-1c4a-4b7e-9f11-3c0c9e7a1f01"
               ) -> dict:
    """An Open Badges 3.0 credential (unsigned)."""
    doc = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": issuer_name},
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


def sign_data_integrity(doc: dict, key: Ed25519PrivateKey, verification_method: str,
                        created: str = "2025-06-01T00:00:00Z") -> dict:
    """An eddsa-jcs-2022 Data Integrity proof over ``doc``."""
    from portal.services.verification.badges import b58_encode, jcs

    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022", "created": created,
             "verificationMethod": verification_method, "proofPurpose": "assertionMethod"}
    config = {**proof, "@context": doc["@context"]}
    data = hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(doc)).digest()
    return {**doc, "proof": {**proof, "proofValue": "z" + b58_encode(key.sign(data))}}


def signed_badge(key: Ed25519PrivateKey, **kw) -> dict:
    did = did_key(key)
    return sign_data_integrity(open_badge(issuer_did=did, **kw), key, f"{did}#{did[8:]}")


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
