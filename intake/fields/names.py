"""How much a run of words looks like a person's name, from name lists that maintained packages ship.

Given names and surnames come from Faker's person providers (every locale it
ships: English, Irish, German, French, Spanish, Indian, Chinese romanised,
...); job and honorific titles from nameparser's constants. Nothing here is
tied to a document: the lists say what names are, not which names to expect.
"""
from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from functools import lru_cache

from ..layout import fold_token
from .vocabulary import CONNECTOR_WORDS, COUNTRY_CODES, NAME_PARTICLES, NOT_NAMES, ORG_WORDS, SIGNATORY_WORDS, SUFFIXES, TITLE_WORDS

# Weights of the name-likeness score (a sum, capped at 1).
GIVEN_FIRST = 0.45        # the first word is a given name (or the word after "SURNAME,")
SURNAME_LAST = 0.2        # the last word is a surname
OTHER_KNOWN = 0.1         # another word is a given name or surname
BASE = 0.25               # capitalised words of a name's shape, none of them known
UNKNOWN_WORD = 0.12       # taken off per word no list knows (an OCR misreading, a label word)
SURNAME_FIRST = 0.1       # printed "SURNAME, Given" with a known given name after the comma: a register's form


def _fold(word: str) -> str:
    word = word.strip(".,;:'’").lower()
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _values(x) -> list[str]:
    if isinstance(x, dict):
        x = list(x)
    return [v for v in x if isinstance(v, str)] if isinstance(x, (list, tuple, set, frozenset)) else []


_GIVEN_ATTRS = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
_FAMILY_ATTRS = ("last_names", "last_names_male", "last_names_female")


@lru_cache(maxsize=1)
def _person_names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(given names, family names) of every locale Faker ships, one word each, as printed:
    the modules are walked once for every list made of them."""
    try:
        import faker.providers.person as people
    except ImportError:   # the package is a dependency; without it names are judged by shape alone
        return (), ()
    given, family = [], []
    for info in pkgutil.iter_modules(people.__path__):
        try:
            provider = importlib.import_module(f"{people.__name__}.{info.name}").Provider
        except (ImportError, AttributeError):
            continue
        for attrs, out in ((_GIVEN_ATTRS, given), (_FAMILY_ATTRS, family)):
            for attr in attrs:
                out.extend(n for n in _values(getattr(provider, attr, ())) if " " not in n)
    return tuple(given), tuple(family)


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str]]:
    given, family = _person_names()
    return frozenset(map(_fold, given)), frozenset(map(_fold, family))


# Letters NFKD does not take apart, as an English OCR model reads them ("Kjær" -> "Kjaer").
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "þ": "th", "œ": "oe", "ı": "i"})


def _plain(word: str) -> str:
    return _fold(word.lower().translate(_PLAIN_LETTERS))


@lru_cache(maxsize=1)
def _accented_plain() -> frozenset[str]:
    """Names the lists spell with diacritics (Björn, Schäfer, Østergaard), as they read without them."""
    given, family = _person_names()
    plain = {_plain(n) for n in given + family if not n.isascii()}
    return frozenset(w for w in plain if w.isascii())


def may_have_lost_accents(words: list[str]) -> bool:
    """Whether a name read by OCR may be missing its diacritics: a word printed plain that the
    name lists know with them ("Bjorn", "Schafer", "Ostergaard"). Tesseract's English model
    drops most diacritics, so "Björn Schäfer" comes back as "Bjorn Schafer", which is not the
    holder's name as printed; a plain spelling that is also a name of its own (Luis, Jose)
    cannot be told apart and counts too."""
    accented = _accented_plain()
    return any(w.isascii() and _plain(w) in accented for w in (x.strip(".,;:'’") for x in words) if w)


@lru_cache(maxsize=1)
def country_words() -> frozenset[str]:
    """One-word country names (Faker's address lists) and the codes bodies print after their
    name (vocabulary country_codes), folded: "Ireland", "Canada", "uk"."""
    try:
        from faker.providers.address.en_US import Provider
        names = {_fold(n) for n in Provider.countries if " " not in n}
    except ImportError:
        names = set()
    return frozenset(names | COUNTRY_CODES)


@lru_cache(maxsize=1)
def title_words() -> frozenset[str]:
    """Job and honorific titles (Director, Registrar, Officer...) that are nobody's given name."""
    try:
        from nameparser.config import CONSTANTS
        # short ones ("st", "dr", "rev") are also street words and abbreviations: only whole words
        titles = {_fold(t) for t in CONSTANTS.titles if len(t) >= 4 and t.isalpha()}
    except ImportError:
        titles = set()
    given, _ = _lists()
    return frozenset((titles - given) | set(SIGNATORY_WORDS))


def is_given_name(word: str) -> bool:
    return _fold(word) in _lists()[0]


def name_likeness(words: list[str]) -> float:
    """0..1: how much ``words`` (a name as printed, "SURNAME, Given" allowed) look like a person's name."""
    given, family = _lists()
    words = [w for w in words if w.strip(".,")]
    inverted = False
    if "," in " ".join(words[:-1]):   # SURNAME, Given -> Given SURNAME
        k = next(i for i, w in enumerate(words) if w.endswith(","))
        words = words[k + 1:] + words[:k + 1]
        inverted = k == 0
    core = [_fold(w) for w in words if _fold(w) not in NAME_PARTICLES and _fold(w) not in SUFFIXES
            and len(_fold(w)) > 1]
    if not 2 <= len(core) <= 4:
        return 0.1 if core else 0.0
    titles = title_words()
    if any(w in ORG_WORDS or w in TITLE_WORDS or w in NOT_NAMES or w in titles for w in core):
        return 0.0
    def known(word: str, names: frozenset[str]) -> bool:
        # a double-barrelled name ("Smith-Jones", "Al-Rashid", "Mary-Kate") by its parts
        parts = [p for p in word.split("-") if p and p not in NAME_PARTICLES]
        return word in names or (len(parts) > 1 or "-" in word) and bool(parts) and all(p in names for p in parts)

    score = BASE
    if known(core[0], given):
        score += GIVEN_FIRST
    if known(core[-1], family) or known(core[-1], given | family) and "-" in core[-1]:
        score += SURNAME_LAST
    if any(known(w, given) or known(w, family) for w in core[1:-1]) or (not known(core[0], given) and known(core[-1], given)):
        score += OTHER_KNOWN
    score -= UNKNOWN_WORD * sum(not known(w, given) and not known(w, family) for w in core)
    if inverted and known(core[0], given):
        score += SURNAME_FIRST
    return max(0.0, min(1.0, score))


def initials(words: list[str], connectors: bool = False) -> str:
    """The initials of a name's words, connectors left out unless ``connectors`` ("Institution of
    Occupational Safety and Health" -> "iosh"; with connectors "ioosah")."""
    folded = [fold_token(w) for w in words]
    return "".join(w[:1] for w in folded if w and (connectors or w not in CONNECTOR_WORDS))
