"""The readers' vocabulary, loaded once from intake/data/vocabulary.yaml (named data, not inline lists)."""
from __future__ import annotations

from ..datafile import load_data

_DATA = load_data("vocabulary.yaml")

LICENSE_LABELS: list[str] = _DATA['license_labels']
WEAK_LICENSE_LABELS: list[str] = _DATA['weak_license_labels']
LONE_LICENSE_LABELS: list[str] = _DATA['lone_license_labels']
HOLDER_LABELS: list[str] = _DATA['holder_labels']
HOLDER_INTROS: list[str] = _DATA['holder_intros']
CREDENTIAL_LABELS: list[str] = _DATA['credential_labels']
ISSUER_LABELS: list[str] = _DATA['issuer_labels']
OTHER_LABELS: list[str] = _DATA['other_labels']
DATE_ROLES: dict[str, list[str]] = _DATA['date_roles']
PERIOD_LABELS: list[str] = _DATA['period_labels']
RANGE_WORDS: set[str] = set(_DATA['range_words'])
FILLER: set[str] = set(_DATA['filler'])
SIGNATORY_WORDS: set[str] = set(_DATA['signatory_words'])
SIGNATURE_WORDS: set[str] = set(_DATA['signature_words'])
NAME_STOP: set[str] = set(_DATA['name_stop'])
NAME_PARTICLES: set[str] = set(_DATA['name_particles'])
GENERIC_ADDRESSEES: set[str] = set(_DATA['generic_addressees'])
ORG_WORDS: set[str] = set(_DATA['org_words'])
TITLE_WORDS: set[str] = set(_DATA['title_words'])
NOT_NAMES: set[str] = set(_DATA['not_names'])
SUFFIXES: set[str] = set(_DATA['suffixes'])
GRANTING_WORDS: set[str] = set(_DATA["granting_words"])
SUBUNIT_WORDS: set[str] = set(_DATA["subunit_words"])
PROVIDER_WORDS: set[str] = set(_DATA["provider_words"])
CONNECTOR_WORDS: set[str] = set(_DATA["connector_words"])
COMPANY_WORDS: set[str] = set(_DATA["company_words"])
SHARED_SECOND_LEVELS: set[str] = set(_DATA["shared_second_levels"])
COUNTRY_CODES: set[str] = set(_DATA["country_codes"])
ID_NOUNS: set[str] = set(_DATA["id_nouns"])
CREDENTIAL_NOUNS: set[str] = set(_DATA["credential_nouns"])
MEMBERSHIP_NOUNS: set[str] = set(_DATA["membership_nouns"])
ID_OWNER_NOUNS: set[str] = set(_DATA["id_owner_nouns"])
DATE_QUALIFIER_WORDS: dict[str, set[str]] = {k: set(v) for k, v in _DATA["date_qualifier_words"].items()}
DATE_END_WORDS: set[str] = set(_DATA["date_end_words"])
DATE_START_WORDS: set[str] = set(_DATA["date_start_words"])
DATE_END_PREPOSITIONS: set[str] = set(_DATA["date_end_prepositions"])
DATE_START_PREPOSITIONS: set[str] = set(_DATA["date_start_prepositions"])
SENTENCE_WORDS: set[str] = set(_DATA["sentence_words"])
PARENT_WORDS: set[str] = set(_DATA["parent_words"])
HOLDER_NOUNS: set[str] = set(_DATA["holder_nouns"])
NAME_OWNER_NOUNS: set[str] = set(_DATA["name_owner_nouns"])
GIVEN_NAME_LABELS: list[str] = _DATA["given_name_labels"]
FAMILY_NAME_LABELS: list[str] = _DATA["family_name_labels"]
PREVIOUS_WORDS: set[str] = set(_DATA["previous_words"])
NO_EXPIRY_STATEMENTS: list[str] = _DATA["no_expiry_statements"]
NO_EXPIRY_VALUES: list[str] = _DATA["no_expiry_values"]
CHANGE_WORDS: set[str] = set(_DATA["change_words"])
