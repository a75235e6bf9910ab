"""Issuer directory: real governing bodies and their credential types.

The data lives in ``intake/data/issuers.yaml`` and is loaded once per process
(``load_directory()`` is cached). The portal seeds its credential taxonomy
from the same file, so the schema documented at the top of the YAML is part
of the public contract.

Lookup helpers:

- ``find_issuer(text)``: an issuer by name, alias or fuzzy match of a heading.
- ``find_credential_type(text, issuer=None)``: the best credential type whose
  name or alias appears in (or closely matches) ``text``.
- ``credential_type(code)`` / ``issuer(code)``: by stable code.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from .datafile import load_data

CATEGORIES = ("license", "certification", "training")
RENEWAL_MECHANISMS = ("course", "exam", "ce", "application", "none")
LOCALES = ("US", "UK", "EU")


@dataclass(frozen=True)
class CredentialType:
    code: str
    name: str
    aliases: tuple[str, ...]
    category: str
    renewal_mechanism: str
    validity_months: int | None
    ce_hours: int | None
    jurisdiction: str | None
    renewal_lead_days: int
    issuer_code: str


@dataclass(frozen=True)
class Issuer:
    code: str
    name: str
    aliases: tuple[str, ...]
    country: str
    locale: str
    renewal_url: str | None
    verification_url: str | None
    license_number_patterns: tuple[str, ...]
    credential_types: tuple[CredentialType, ...] = field(default=())

    def matches_number(self, value: str) -> bool:
        """True when ``value`` fits one of this issuer's number patterns."""
        return any(re.fullmatch(p, value) for p in self.license_number_patterns)


@dataclass(frozen=True)
class Directory:
    issuers: tuple[Issuer, ...]

    def issuer(self, code: str) -> Issuer | None:
        return next((i for i in self.issuers if i.code == code), None)

    def credential_type(self, code: str) -> CredentialType | None:
        return next((t for i in self.issuers for t in i.credential_types if t.code == code), None)


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Case- and accent-folded text with punctuation as single spaces.

    Memoised: matching a document folds every directory name for each line
    it tries (135,000 calls a document), and the names repeat."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("²", "2").replace("&", " and ")
    return " ".join(re.sub(r"[^0-9a-zA-Z+]+", " ", text).lower().split())


def _validate(raw: dict) -> Directory:
    issuers, seen_types, seen_issuers = [], set(), set()
    for entry in raw["issuers"]:
        code = entry["code"]
        if code in seen_issuers:
            raise ValueError(f"duplicate issuer code {code!r}")
        seen_issuers.add(code)
        if entry["locale"] not in LOCALES:
            raise ValueError(f"{code}: locale must be one of {LOCALES}")
        types = []
        for t in entry.get("credential_types") or ():
            if t["code"] in seen_types:
                raise ValueError(f"duplicate credential type code {t['code']!r}")
            seen_types.add(t["code"])
            if t["category"] not in CATEGORIES or t["renewal_mechanism"] not in RENEWAL_MECHANISMS:
                raise ValueError(f"{t['code']}: bad category or renewal_mechanism")
            types.append(CredentialType(
                code=t["code"], name=t["name"], aliases=tuple(t.get("aliases") or ()),
                category=t["category"], renewal_mechanism=t["renewal_mechanism"],
                validity_months=t.get("validity_months"), ce_hours=t.get("ce_hours"),
                jurisdiction=t.get("jurisdiction"),
                renewal_lead_days=int(t.get("renewal_lead_days") or 0), issuer_code=code,
            ))
        for p in entry.get("license_number_patterns") or ():
            re.compile(p)
        issuers.append(Issuer(
            code=code, name=entry["name"], aliases=tuple(entry.get("aliases") or ()),
            country=entry["country"], locale=entry["locale"],
            renewal_url=entry.get("renewal_url"), verification_url=entry.get("verification_url"),
            license_number_patterns=tuple(entry.get("license_number_patterns") or ()),
            credential_types=tuple(types),
        ))
    return Directory(tuple(issuers))


@lru_cache(maxsize=1)
def load_directory() -> Directory:
    """The issuer directory from ``intake/data/issuers.yaml``, parsed once."""
    return _validate(load_data("issuers.yaml"))


def _issuer_names(i: Issuer) -> list[str]:
    return [i.name, *i.aliases]


@lru_cache(maxsize=1)
def _folded_issuer_names() -> tuple[tuple[Issuer, str], ...]:
    return tuple((i, fold(n)) for i in load_directory().issuers for n in _issuer_names(i))


@lru_cache(maxsize=16384)
def _phrase_pattern(needle: str) -> re.Pattern:
    # compiled once per name: re's own cache holds 512 patterns, fewer than the directory's names
    return re.compile(rf"(?<![0-9a-z+]){re.escape(needle)}(?![0-9a-z+])")


def _contains_phrase(haystack: str, needle: str) -> bool:
    return bool(needle) and needle in haystack and _phrase_pattern(needle).search(haystack) is not None


def find_issuer(text: str, min_score: float = 90) -> tuple[Issuer, float] | None:
    """The issuer named by ``text`` (a heading, a line, an "Issued by" value).

    Returns ``(issuer, score 0..100)``. An exact name or alias that occurs as a
    phrase in ``text`` scores 100 (longest phrase wins, so "American Red Cross"
    beats "ARC"); otherwise a fuzzy whole-string match must reach ``min_score``.
    Short all-caps acronyms only count when they appear in ``text`` as a word.
    """
    folded = fold(text)
    if not folded:
        return None
    best: tuple[Issuer, float, int] | None = None
    for issuer, name in _folded_issuer_names():
        if _contains_phrase(folded, name):
            cand = (issuer, 100.0, len(name))
            if best is None or (cand[1], cand[2]) > (best[1], best[2]):
                best = cand
    if best:
        return best[0], best[1]
    for issuer, name in _folded_issuer_names():
        if len(name) < 6:
            continue
        score = fuzz.ratio(folded, name)
        if score >= min_score and (best is None or score > best[1]):
            best = (issuer, score, len(name))
    return (best[0], best[1]) if best else None


def find_credential_type(text: str, issuer: Issuer | str | None = None) -> tuple[CredentialType, float] | None:
    """The credential type whose name or an alias occurs in ``text``.

    With ``issuer`` (an Issuer or its code) only that issuer's types are
    considered. The longest matching phrase wins; returns ``(type, score)``.
    """
    directory = load_directory()
    if isinstance(issuer, str):
        issuer = directory.issuer(issuer)
    pool = issuer.credential_types if issuer else [t for i in directory.issuers for t in i.credential_types]
    folded = fold(text)
    best: tuple[CredentialType, float, int] | None = None
    for t in pool:
        for name in (t.name, *t.aliases):
            f = fold(name)
            if len(f) < 3 and not issuer:
                continue
            if _contains_phrase(folded, f):
                score = 100.0 if name == t.name else 95.0
                if best is None or len(f) > best[2]:
                    best = (t, score, len(f))
    return (best[0], best[1]) if best else None
