"""A credential that never expires, on the document's own word: "Expiry: Lifetime", "Non-expiring".

Where no expiry date is found, a null expiry is only an absence: the reviewer
must check it. A document that prints a no-expiry phrase where the expiry
would stand (beside or under an expiry label) states the null, and the null
is then a reading like any other, with the phrase as its evidence and a
confidence from its label and words (``FieldResult.source == NO_EXPIRY``).

Two kinds of phrase (``intake/data/vocabulary.yaml``): statements say it on
their own ("Non-expiring", "Does not expire", "No expiry date"); values
("Lifetime", "Permanent", "Not applicable", "N/A") say it only as an expiry
label's value. A statement away from any expiry label stays below the review
threshold: the sentence it stands in may be about something else.
"""
from __future__ import annotations

from ..layout import Token, fold_token
from .candidates import NO_EXPIRY, FieldResult, ocr_factor
from .vocabulary import NO_EXPIRY_STATEMENTS, NO_EXPIRY_VALUES

# A phrase as an expiry label's value scores as a date there would: the date
# reader's 0.95 for a value on the label's line, 0.93 under it (a column
# header), times the label's strength.
BESIDE_LABEL = 0.95
UNDER_LABEL = 0.93
# A statement is its own evidence: alone it scores this much (below review:
# its sentence may be about something else) ...
STATEMENT_ALONE = 0.75
# ... and as an expiry label's value, the label's score plus this (two
# signals that agree), at least STATEMENT_LABELLED.
STATEMENT_AGREES = 0.05
STATEMENT_LABELLED = 0.9
# A no-expiry phrase beside an expiry label contradicts any expiry date read
# elsewhere: that date stays below review.
CONTRADICTED_CAP = 0.7
# A value is the whole value of its label, or followed by one of these
# (a second language, a qualifier): "Lifetime / À vie", "Permanent (no renewal)".
VALUE_FOLLOWERS = ("/", "(", "|")


def _joined(phrases: list[str]) -> set[str]:
    return {"".join(fold_token(w) for w in p.split()) for p in phrases}


_STATEMENTS = _joined(NO_EXPIRY_STATEMENTS)
_VALUES = _joined(NO_EXPIRY_VALUES)
_LONGEST = max(len(p.split()) for p in NO_EXPIRY_STATEMENTS + NO_EXPIRY_VALUES) + 2


def _phrase_at(toks: list[Token], start: int = 0) -> tuple[str, int] | None:
    """("statement" | "value", tokens) of the no-expiry phrase starting at ``toks[start]``, the
    longest one; a value only when it is all of ``toks`` or a follower comes next."""
    acc, found = "", None
    for k in range(start, min(len(toks), start + _LONGEST)):
        acc += toks[k].norm
        if not toks[k].norm:
            continue   # punctuation ("Lifetime / À vie") ends no phrase
        n = k - start + 1
        rest = toks[k + 1:]
        if acc in _STATEMENTS:
            found = ("statement", n)
        elif acc in _VALUES and (not rest or rest[0].text.startswith(VALUE_FOLLOWERS) or toks[k].text.endswith(VALUE_FOLLOWERS)):
            found = ("value", n)
    return found


def _labelled(doc) -> list[tuple[float, list[Token]]]:
    """(raw score, phrase tokens) of each no-expiry phrase that is an expiry label's value."""
    out = []
    for m in doc.ex.matches("date:expiry"):
        # the value runs next to the label, and the run under it, once, whole: even where it
        # starts with a label's words ("RENEW BEFORE" over "No expiry date": values_for skips those)
        x0, x1 = doc.layout.xspan(m.tokens)
        under = [(run, "below") for _, run in doc.layout.below(m.line, x0, x1, max_lines=1)]
        for toks, position in doc.ex.values_for(m, allow_below=False) + under:
            found = _phrase_at(toks)
            if found is None:
                continue
            kind, n = found
            score = (UNDER_LABEL if position == "below" else BESIDE_LABEL) * m.strength
            if kind == "statement":
                score = max(score + STATEMENT_AGREES, STATEMENT_LABELLED)
            out.append((min(score, 0.99), toks[:n]))
    return out


def _statements(doc) -> list[tuple[float, list[Token]]]:
    """(raw score, phrase tokens) of each statement anywhere on the document."""
    out = []
    for line in doc.layout.lines:
        for i in range(len(line.tokens)):
            found = _phrase_at(line.tokens, i)
            if found and found[0] == "statement":
                out.append((STATEMENT_ALONE, line.tokens[i:i + found[1]]))
    return out


def read_no_expiry(doc) -> FieldResult | None:
    """The document's statement that the credential does not expire, as a null expiry
    (None when it says nothing of the kind)."""
    found = [(score * ocr_factor(toks), toks) for score, toks in _labelled(doc) + _statements(doc)]
    if not found:
        return None
    score, toks = max(found, key=lambda f: f[0])
    return FieldResult(None, round(score, 3), toks, NO_EXPIRY)


def contradicts(doc, expiry: FieldResult) -> bool:
    """Whether an expiry label's value says the credential never expires while ``expiry`` is a date."""
    return expiry.value is not None and bool(_labelled(doc))
