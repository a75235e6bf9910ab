"""Is the name on a document the person it is for? Compared as HR would.

HR reads "SHAH, Priya R." and "Priya Shah" as one person: order, case,
accents, commas, middle names and initials, titles and suffixes do not
matter. A nickname ("Bob" for Robert), a given name cut to its initial, one
half of a double-barrelled surname or a one-letter slip is probably the same
person, and says so. A former name recorded on the person (a maiden name)
counts as the person. Anything else is someone else.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

MATCH, PROBABLE, MISMATCH = "match", "probable", "mismatch"

# Words that are not part of anyone's name as HR files it.
TITLES = frozenset("mr mrs ms miss mx dr prof sir dame rev fr sr sister rn lpn np pa md do phd mba msn bsn "
                   "dds dmd pharmd cna emt paramedic esq".split())
SUFFIXES = frozenset("jr jnr junior sr snr senior ii iii iv v".split())
# Surname particles a form may drop or keep ("van der Berg", "Berg").
PARTICLES = frozenset("van von der den de del della di da dos das du la le st bin binti ibn al el ter ten".split())


@dataclass(frozen=True)
class NameMatch:
    verdict: str  # MATCH | PROBABLE | MISMATCH
    reason: str   # one plain sentence


def without_accents(text: str) -> str:
    """The letters without their accents ("Zoë Núñez" -> "Zoe Nunez")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case without accents ("Zoë Núñez" -> "zoe nunez")."""
    return without_accents(text).casefold()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z'\-]+", text) if w.strip("'-")]


def _clean(words: Iterable[str]) -> list[str]:
    kept = [w.replace("'", "") for w in words]
    return [w for w in kept if w and w.strip("-") and w not in TITLES and w not in SUFFIXES]


def parse(text: str) -> tuple[list[str], list[str] | None]:
    """(words, surname words when the text said which: "SURNAME, Given")."""
    folded = fold(text).replace(".", " ")
    if "," in folded:
        head, _, tail = folded.partition(",")
        surname, given = _clean(_words(head)), _clean(_words(tail))
        if surname and given:
            return given + surname, surname
    return _clean(_words(folded)), None


def _parts(words: Iterable[str]) -> set[str]:
    """Words and the halves of hyphenated ones ("smith-jones" -> both halves too)."""
    out = set()
    for word in words:
        out.add(word.replace("-", ""))
        out.update(p for p in word.split("-") if p)
    return out


@lru_cache(maxsize=1)
def _namer():
    try:
        from nicknames import NickNamer
    except ImportError:  # without the dataset, nicknames are simply not recognised
        return None
    return NickNamer()


def same_given_name(a: str, b: str) -> bool:
    """True when one given name is a common nickname of the other."""
    namer = _namer()
    if namer is None or a == b:
        return a == b
    return b in namer.nicknames_of(a) or a in namer.nicknames_of(b) or bool(
        namer.canonicals_of(a) & (namer.canonicals_of(b) | {b}))


def _near(a: str, b: str) -> bool:
    """One letter added, dropped, changed or two swapped (a typist's slip), in names of five letters or more."""
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 1:
        return False
    from rapidfuzz.distance import OSA

    return OSA.distance(a, b) <= 1


def _compare_one(read: str, given: str, surname: str) -> tuple[str, str]:
    words, read_surname = parse(read)
    givens = _clean(_words(fold(given).replace(".", " ")))
    surnames = [w for w in _clean(_words(fold(surname).replace(".", " "))) if w not in PARTICLES]
    if not words or not givens or not surnames:
        return MISMATCH, "There is no name to compare."
    core = [w for w in words if w not in PARTICLES]
    parts = _parts(core)
    surname_parts = _parts(surnames)
    # the surname
    whole = {w.replace("-", "") for w in core}
    if all(s.replace("-", "") in whole for s in surnames) or "".join(s.replace("-", "") for s in surnames) in whole \
            or all(p in whole for s in surnames for p in s.split("-") if p):
        surname_how = MATCH
    elif surname_parts & parts:
        surname_how = PROBABLE  # one half of a double-barrelled name
    elif any(_near(s.replace("-", ""), w) for s in surnames for w in parts):
        surname_how = PROBABLE
    else:
        return MISMATCH, "The surname differs."
    # the given name: any read word outside the surname
    rest = [w for w in core if w.replace("-", "") not in surname_parts and not (_parts([w]) <= surname_parts)]
    if read_surname is not None:
        rest = [w for w in core if w not in read_surname] or rest
    first = givens[0].replace("-", "")
    firsts = _parts([givens[0]])
    if any(w.replace("-", "") == first or _parts([w]) & firsts for w in rest):
        given_how, why = MATCH, ""
    elif any(same_given_name(first, w) for w in rest if len(w) > 1):
        given_how, why = PROBABLE, "a nickname of the given name"
    elif any(len(w) == 1 and w == first[0] for w in rest):
        given_how, why = PROBABLE, "only the initial of the given name"
    elif any(_near(first, w) for w in rest):
        given_how, why = PROBABLE, "the given name spelt one letter differently"
    else:
        return MISMATCH, "The given name differs."
    if surname_how == MATCH and given_how == MATCH:
        return MATCH, "The names match."
    why = why or "part of the surname, or the surname spelt one letter differently"
    return PROBABLE, f"Probably the same person: {why}."


def compare(read: str, given: str, surname: str, former_names: Sequence[str] = ()) -> NameMatch:
    """Compare the name read on a document with a person's name (and former names)."""
    verdict, reason = _compare_one(read, given, surname)
    if verdict == MATCH:
        return NameMatch(verdict, reason)
    for former in former_names or ():
        words = (former or "").split()
        if not words:
            continue
        # a full former name, or a former surname with today's given name
        f_given, f_surname = (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (given, words[0])
        former_verdict, _ = _compare_one(read, f_given, f_surname)
        if former_verdict != MISMATCH:
            return NameMatch(former_verdict, f"Matches the former name {former} recorded on the person.")
    return NameMatch(verdict, reason)
