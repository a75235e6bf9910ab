"""Candidate values, their scores, and the field result the best one becomes."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..layout import Token


@dataclass
class Candidate:
    value: object
    tokens: list[Token]
    score: float
    source: str
    extra: dict = field(default_factory=dict)



FUZZY_BELOW = 0.9   # an OCR token read at least this confidently is taken as spelt
GARBAGE_BELOW = 0.4     # OCR words below this confidence are mostly logo and rule noise


def _junk_or_short(tok: Token) -> bool:
    """A token that cannot be a field value on its own: punctuation, a speck, a 1-3 letter remnant."""
    text = tok.text.strip(" .,;:|'\"‘’“”()[]{}_-—–")
    return len(text) <= 1 or (len(text) <= 3 and text.isalpha() and tok.word.conf < FUZZY_BELOW)


def ocr_factor(tokens: list[Token]) -> float:
    if not tokens:
        return 1.0
    conf = min(t.word.conf for t in tokens)
    if conf >= 0.999:
        return 1.0
    return max(0.3, min(1.0, 0.55 + 0.5 * conf))



@dataclass
class FieldResult:
    value: object = None
    confidence: float = 0.0
    tokens: list[Token] = field(default_factory=list)
    source: str = ""
    cap: float = 0.99       # the most confidence this value can earn (agreement cannot lift it)
    confirmed: str | None = None   # an independent signal that the value is right, in plain words

    @property
    def stated(self) -> bool:
        """Whether the document says something for this field: a value, or on its own word that
        it has none (``NO_EXPIRY``: "Expiry: Lifetime"). A null that is only an absence is not."""
        return self.value is not None or self.source == NO_EXPIRY


# The source of a null expiry the document states (intake.fields.no_expiry)
NO_EXPIRY = "no_expiry"

POSITION = {"inline": 0.94, "right": 0.94, "below": 0.9, "right_far": 0.75, "sentence": 0.88}


def _best(cands: list[Candidate], key=lambda c: c.value) -> FieldResult:
    """Highest score wins; agreement between sources raises it, disagreement lowers it."""
    if not cands:
        return FieldResult()
    groups: dict = {}
    for c in cands:
        groups.setdefault(key(c), []).append(c)
    ranked = sorted(groups.values(), key=lambda g: -max(c.score for c in g))
    top = max(ranked[0], key=lambda c: c.score)
    score = top.score
    if len({c.source for c in ranked[0]}) > 1 or len(ranked[0]) > 1:
        score = min(1.0, score + 0.04 * (len(ranked[0]) - 1))
    if len(ranked) > 1:
        rival = max(c.score for c in ranked[1])
        if rival > score - 0.1:
            score *= 0.8
    cap = top.extra.get("cap", 0.99)
    return FieldResult(top.value, round(min(score, cap), 3), top.tokens, top.source, cap)
