"""The readers' vocabulary, loaded once from intake/data/vocabulary.yaml (named data, not inline lists)."""
from __future__ import annotations

from ..datafile import load_data
from ..layout import fold_token

_DATA = load_data("vocabulary.yaml")


def _words(key: str) -> set[str]:
    """A word list as a set, with each word that has diacritics also as tokens are compared
    (``Token.norm``, accents folded): "für" also as "fur", "verlängert" as "verlangert"."""
    words = _DATA[key]
    return set(words) | {fold_token(w) for w in words if isinstance(w, str) and not w.isascii() and fold_token(w)}


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
RANGE_WORDS: set[str] = _words("range_words")
FILLER: set[str] = _words("filler")
SIGNATORY_WORDS: set[str] = _words("signatory_words")
SIGNATURE_WORDS: set[str] = _words("signature_words")
NAME_STOP: set[str] = _words("name_stop")
NAME_PARTICLES: set[str] = _words("name_particles")
GENERIC_ADDRESSEES: set[str] = _words("generic_addressees")
ORG_WORDS: set[str] = _words("org_words")
TITLE_WORDS: set[str] = _words("title_words")
NOT_NAMES: set[str] = _words("not_names")
SUFFIXES: set[str] = _words("suffixes")
GRANTING_WORDS: set[str] = _words("granting_words")
SUBUNIT_WORDS: set[str] = _words("subunit_words")
PROVIDER_WORDS: set[str] = _words("provider_words")
CONNECTOR_WORDS: set[str] = _words("connector_words")
COMPANY_WORDS: set[str] = _words("company_words")
SHARED_SECOND_LEVELS: set[str] = _words("shared_second_levels")
COUNTRY_CODES: set[str] = _words("country_codes")
ID_NOUNS: set[str] = _words("id_nouns")
CREDENTIAL_NOUNS: set[str] = _words("credential_nouns")
MEMBERSHIP_NOUNS: set[str] = _words("membership_nouns")
ID_OWNER_NOUNS: set[str] = _words("id_owner_nouns")
DATE_QUALIFIER_WORDS: dict[str, set[str]] = {k: set(v) for k, v in _DATA["date_qualifier_words"].items()}
DATE_END_WORDS: set[str] = _words("date_end_words")
DATE_START_WORDS: set[str] = _words("date_start_words")
DATE_END_PREPOSITIONS: set[str] = _words("date_end_prepositions")
DATE_START_PREPOSITIONS: set[str] = _words("date_start_prepositions")
SENTENCE_WORDS: set[str] = _words("sentence_words")
PARENT_WORDS: set[str] = _words("parent_words")
HOLDER_NOUNS: set[str] = _words("holder_nouns")
NAME_OWNER_NOUNS: set[str] = _words("name_owner_nouns")
GIVEN_NAME_LABELS: list[str] = _DATA["given_name_labels"]
FAMILY_NAME_LABELS: list[str] = _DATA["family_name_labels"]
PREVIOUS_WORDS: set[str] = _words("previous_words")
NO_EXPIRY_STATEMENTS: list[str] = _DATA["no_expiry_statements"]
NO_EXPIRY_VALUES: list[str] = _DATA["no_expiry_values"]
CHANGE_WORDS: set[str] = _words("change_words")
