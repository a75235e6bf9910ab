"""The issuer directory: schema, size, lookups."""
import pytest

from intake.directory import (CATEGORIES, RENEWAL_MECHANISMS, find_credential_type, find_issuer,
                              load_directory)


def test_directory_is_large_enough_and_cached():
    d = load_directory()
    assert load_directory() is d
    assert len(d.issuers) >= 15
    assert sum(len(i.credential_types) for i in d.issuers) >= 30


def test_every_credential_type_is_well_formed():
    for issuer in load_directory().issuers:
        assert issuer.renewal_url.startswith("https://")
        assert issuer.locale in ("US", "UK", "EU")
        for t in issuer.credential_types:
            assert t.category in CATEGORIES
            assert t.renewal_mechanism in RENEWAL_MECHANISMS
            assert t.validity_months is None or t.validity_months > 0
            # a credential that never expires has no renewal mechanism, and vice versa
            assert (t.validity_months is None) == (t.renewal_mechanism == "none"), t.code


@pytest.mark.parametrize("text, code", [
    ("AMERICAN HEART ASSOCIATION", "aha"),
    ("American Heart Assn.", "aha"),
    ("(ISC)² Certified Member", "isc2"),
    ("Texas Department of Licensing & Regulation", "tdlr"),
    ("TUV Rheinland Akademie GmbH", "tuv-rheinland"),
    ("Issued by the American Red Cross", "arc"),
    ("Construction Skills Certifcation Scheme", "cscs"),  # OCR typo: fuzzy
])
def test_find_issuer(text, code):
    found = find_issuer(text)
    assert found and found[0].code == code


def test_find_issuer_rejects_unrelated_text():
    assert find_issuer("Lakeside Distribution Co.") is None


@pytest.mark.parametrize("text, issuer, code", [
    ("CompTIA Security+ ce", "comptia", "COMPTIA-SECPLUS"),
    ("OSHA 10-Hour General Industry", None, "OSHA-10-GI"),
    ("Certified Information Systems Security Professional", None, "ISC2-CISSP"),
    ("has completed the ACLS Provider course", "aha", "AHA-ACLS"),
])
def test_find_credential_type(text, issuer, code):
    found = find_credential_type(text, issuer)
    assert found and found[0].code == code
