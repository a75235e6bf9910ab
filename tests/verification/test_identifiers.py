"""Identifier check digits: known numbers, properties, and the verifier on a credential."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from portal.policies import verification as rules
from portal.services import verification
from tests.support import factories


def test_known_npis():
    assert rules.npi_valid("1234567893")  # CMS's worked example
    assert not rules.npi_valid("1234567890")
    assert not rules.npi_valid("123456789")
    assert not rules.npi_valid("12345678a3")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_nine_digits_have_exactly_one_npi_check_digit(first_nine):
    valid = [d for d in "0123456789" if rules.npi_valid(first_nine + d)]
    assert valid == [rules.npi_check_digit(first_nine)]


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.integers(0, 9), st.integers(1, 9))
def test_changing_one_digit_of_a_valid_npi_makes_it_invalid(digits, position, bump):
    npi = digits[:9] + rules.npi_check_digit(digits[:9])
    changed = npi[:position] + str((int(npi[position]) + bump) % 10) + npi[position + 1:]
    assert not rules.npi_valid(changed)


def test_known_dea_numbers():
    assert rules.dea_valid("AB1234563")
    assert rules.dea_valid("ab1234563")
    assert not rules.dea_valid("AB1234564")
    assert not rules.dea_valid("IB1234563")  # I is no registrant type
    assert not rules.dea_valid("AB123456")


@given(st.sampled_from(rules.DEA_REGISTRANTS), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ9", min_size=1,
                                                        max_size=1),
       st.text(alphabet="0123456789", min_size=6, max_size=6), st.integers(1, 9))
def test_a_dea_number_has_one_check_digit(registrant, initial, six, bump):
    d = [int(c) for c in six]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    assert rules.dea_valid(f"{registrant}{initial}{six}{check}")
    assert not rules.dea_valid(f"{registrant}{initial}{six}{(check + bump) % 10}")


def test_the_identifier_verifier_checks_an_npi_credential(org):
    npi_type = factories.credential_type("National Provider Identifier", code="NPI", validity_months=None)
    good = factories.credential(org.employee, npi_type, license_number="1234567893")
    bad = factories.credential(org.manager, npi_type, license_number="1234567890")
    db.session.commit()

    assert verification.verify(good).outcome == "integrity_only"
    failed = verification.verify(bad)
    assert failed.outcome == "failed"
    assert "check digit" in failed.detail


@pytest.mark.parametrize("issuer, pattern, fits, odd", [
    ("Ohio Board of Nursing", r"RN\.\d{6}", "RN.123456", "12-34"),
    # Microsoft prints its certification numbers as two hex groups joined by
    # a dash: the shape is matched as written, not only compacted.
    ("Microsoft", r"^[0-9A-F]{6}-[0-9A-F]{6}$", "9857FA-80C3F2", "9857FA 80C3F2"),
], ids=["board", "dash-as-written"])
def test_an_issuer_number_shape_is_checked(org, issuer, pattern, fits, odd):
    board = factories.issuer(issuer, code="ISS", license_number_patterns=[pattern])
    ctype = factories.credential_type(f"{issuer} credential", code="ISS-1", issuer_=board)
    fitting = factories.credential(org.employee, ctype, license_number=fits)
    odd_one = factories.credential(org.manager, ctype, license_number=odd)
    db.session.commit()

    assert verification.verify(fitting).outcome == "integrity_only"
    assert verification.verify(odd_one).outcome == "failed"
