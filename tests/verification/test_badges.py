"""Open Badges 3.0 / VCs issued here with an Ed25519 did:key (and broken in each way that matters)."""
from __future__ import annotations

import json

import pytest

from portal.services import verification
from portal.services.verification import badges
from tests.verification import material


@pytest.fixture(scope="module")
def key():
    return material.issuer_key()


def _check(credential, data: bytes, tmp_path):
    path = tmp_path / "badge"
    path.write_bytes(data)
    return verification.verify(credential, path=path)


@pytest.mark.parametrize("wrap", [
    lambda doc: json.dumps(doc).encode(),
    lambda doc: material.baked_png(json.dumps(doc)),
    lambda doc: material.baked_svg(json.dumps(doc)),
], ids=["json", "baked-png", "baked-svg"])
def test_a_signed_open_badge_3_verifies_offline(held, key, frozen, tmp_path, wrap):
    result = _check(held, wrap(material.signed_badge(key)), tmp_path)

    assert result.outcome == "verified", result.detail
    assert result.method == "open_badge"
    assert result.source == "Test Resuscitation Council"
    assert result.evidence["issuer"].startswith("did:key:z6Mk")
    assert result.evidence["fields"]["credential_type"] == "BLS Provider"
    assert result.evidence["fields"]["expiry_date"] == "2027-06-01"


def test_a_vc_jwt_verifies(held, key, frozen, tmp_path):
    token = material.vc_jwt(key, material.open_badge(issuer_did=material.did_key(key)))
    result = _check(held, token.encode(), tmp_path)
    assert result.outcome == "verified", result.detail
    assert result.evidence["proof"] == "VC-JWT (EdDSA)"


def test_an_altered_badge_fails(held, key, frozen, tmp_path):
    badge = material.signed_badge(key)
    badge["credentialSubject"]["achievement"]["name"] = "ACLS Instructor"
    result = _check(held, json.dumps(badge).encode(), tmp_path)
    assert result.outcome == "failed"
    assert "altered" in result.detail


def test_a_badge_signed_by_someone_else_than_its_issuer_fails(held, key, frozen, tmp_path):
    other = material.issuer_key()
    doc = material.open_badge(issuer_did=material.did_key(key))
    forged = material.sign_data_integrity(doc, other, f"{material.did_key(other)}#x")
    assert _check(held, json.dumps(forged).encode(), tmp_path).outcome == "failed"


def test_an_altered_jwt_fails(held, key, frozen, tmp_path):
    token = material.vc_jwt(key, material.open_badge(issuer_did=material.did_key(key)))
    head, body, sig = token.split(".")
    claims = json.loads(badges.b64url_decode(body))
    claims["vc"]["credentialSubject"]["name"] = "Mallory"
    forged = ".".join([head, badges.b64url_encode(json.dumps(claims).encode()), sig])
    result = _check(held, forged.encode(), tmp_path)
    assert result.outcome == "failed"


def test_an_expired_badge_fails_with_its_date(held, key, frozen, tmp_path):
    badge = material.signed_badge(key, valid_from="2020-01-01T00:00:00Z", valid_until="2025-12-31T00:00:00Z")
    result = _check(held, json.dumps(badge).encode(), tmp_path)
    assert result.outcome == "failed"
    assert "expired on 31 Dec 2025" in result.detail


def test_a_badge_issued_to_someone_else_fails(held, key, frozen, tmp_path):
    result = _check(held, json.dumps(material.signed_badge(key, holder="Oscar Outsider")).encode(), tmp_path)
    assert result.outcome == "failed"
    assert "Oscar Outsider" in result.detail


@pytest.mark.parametrize("data", [
    b'{"type": ["VerifiableCredential"], "credentialSubject": {}',            # truncated JSON
    b'{"type": ["VerifiableCredential"], "credentialSubject": {}}',           # no proof
    b"eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.c2ln",                                 # JWT whose claims are not JSON
    b"eyJhbGciOiJIUzI1NiJ9.e30.c2ln",                                         # HMAC: not an issuer's key
    material.baked_png('{"type": "OpenBadgeCredential", "proof": {"type": "DataIntegrityProof", '
                       '"cryptosuite": "eddsa-jcs-2022", "verificationMethod": "did:key:zzzz", "proofValue": "z1"}}'),
], ids=["truncated-json", "no-proof", "bad-jwt", "hmac-jwt", "bad-key"])
def test_malformed_badges_get_a_clear_outcome(held, frozen, tmp_path, data):
    result = _check(held, data, tmp_path)
    assert result.outcome == "failed"
    assert result.detail.endswith(".")


def test_a_revoked_badge_fails_by_its_status_list(held, key, frozen, tmp_path, fake_source):
    url = fake_source.serve("/status/1", material.status_list(revoked={42}))
    entry = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "42",
             "statusListCredential": url}
    result = _check(held, json.dumps(material.signed_badge(key, status=entry)).encode(), tmp_path)
    assert result.outcome == "failed"
    assert "revocation" in result.detail


def test_a_badge_in_good_standing_on_its_status_list(held, key, frozen, tmp_path, fake_source):
    url = fake_source.serve("/status/1", material.status_list(revoked={41, 43}))
    entry = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "42",
             "statusListCredential": url}
    result = _check(held, json.dumps(material.signed_badge(key, status=entry)).encode(), tmp_path)
    assert result.outcome == "verified"
    assert result.evidence["status"] == "active"


def test_an_unreachable_status_list_is_not_checked_never_fine(held, key, frozen, tmp_path, fake_source):
    url = fake_source.serve("/status/1", b"down", status=503)
    entry = {"type": "BitstringStatusListEntry", "statusPurpose": "revocation", "statusListIndex": "7",
             "statusListCredential": url}
    result = _check(held, json.dumps(material.signed_badge(key, status=entry)).encode(), tmp_path)
    assert result.outcome == "verified"
    assert result.evidence["status"].startswith("not checked")
    assert "not checked" in result.detail


def test_a_did_web_issuer_is_resolved_over_http_and_cached(held, key, frozen, tmp_path, fake_source):
    did = "did:web:" + fake_source.host.replace(":", "%3A") + ":issuers:council"
    public = material.did_key(key)[len("did:key:"):]
    fake_source.serve("/issuers/council/did.json", {"id": did, "verificationMethod": [
        {"id": f"{did}#key-1", "type": "Multikey", "controller": did, "publicKeyMultibase": public}]})
    badge = material.sign_data_integrity(material.open_badge(issuer_did=did), key, f"{did}#key-1")

    assert _check(held, json.dumps(badge).encode(), tmp_path).outcome == "verified"
    assert _check(held, json.dumps(badge).encode(), tmp_path).outcome == "verified"
    assert fake_source.calls.count("/issuers/council/did.json") == 1


def test_a_did_web_issuer_that_is_down_raises_source_unavailable(held, key, frozen, tmp_path, fake_source):
    did = "did:web:" + fake_source.host.replace(":", "%3A") + ":down"
    fake_source.serve("/down/did.json", b"", status=502)
    badge = material.sign_data_integrity(material.open_badge(issuer_did=did), key, f"{did}#key-1")
    path = tmp_path / "badge.json"
    path.write_bytes(json.dumps(badge).encode())
    with pytest.raises(verification.SourceUnavailable):
        verification.verify(held, path=path)


def test_the_canonical_form_sorts_keys_by_utf16():
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16, so it sorts before U+FB01 (code-point order
    # would put it after).
    assert badges.jcs({"b": 1, "a": [True, None, 1.5], "\ufb01": "x", "\U0001f600": 2}) == \
        '{"a":[true,null,1.5],"b":1,"\U0001f600":2,"\ufb01":"x"}'.encode()
