"""A name printed again elsewhere on the document: the issuer's strongest label-free signal.

The body that grants a credential names itself more than once: a wordmark or
heading at the top and again in a footer ("... the learning record of X."),
an address line ("X · San Francisco"), a sign-off under a signatory, a web
address ("trailhead.salesforce.com"), a return address ("If found return to
X"). A heading that is a document's title, a table header or a sub-unit is
printed once. So a candidate whose words stand on another line as well gains
(``support_recurring``), and a name standing on a line of its own that is
printed on two or more other lines is a candidate even with no organisation
word in it ("SOLAS", "salesforce", "Google Cloud": ``recurring_names``).
"""
from __future__ import annotations

from rapidfuzz import fuzz

from ..directory import _contains_phrase, _phrase_pattern, find_credential_type, fold
from ..layout import Token
from .candidates import GARBAGE_BELOW, Candidate, FieldResult, ocr_factor
from .names import is_given_name, name_likeness
from .vocabulary import CONNECTOR_WORDS, CREDENTIAL_NOUNS, SENTENCE_WORDS, SIGNATORY_WORDS, TITLE_WORDS

RECUR_GAIN = 0.08          # a candidate printed again on another line, per line (up to RECUR_LINES)
RECUR_LINES = 3
RECURRING_BASE = 0.5       # a name of its own line printed on RECURRING_MIN_LINES other lines ...
RECURRING_MIN_LINES = 2
RECURRING_MAX_WORDS = 5
RECURRING_TOP = 0.28       # ... standing in this share of the first page from the top ...
RECURRING_LAST_LINES = 2   # ... or among the document's last lines (a sign-off: "Salesforce")
FUZZY_MIN_CHARS = 12       # names this long match OCR'd repeats approximately ...
FUZZY_SCORE = 92           # ... at this partial similarity; shorter ones match as whole words
MIN_CHARS = 3
QUOTE_MARKS = {">", ">>", "»", "|"}


def _folded_lines(doc) -> list[str]:
    return doc._once("folded_lines", lambda d: [fold(" ".join(t.text for t in ln.tokens)) for ln in d.layout.lines])


def printed_again(doc, value: str, tokens: list[Token], exact: bool = False) -> int:
    """How many other places print ``value``, read at ``tokens``: each other line that prints it
    (as whole words, case and punctuation folded; names of FUZZY_MIN_CHARS or more also
    approximately, for OCR's misreadings, unless ``exact``), and its own line once more where
    that prints it twice (a renewal letter's "before | after" columns). The one definition of a
    repeat for every field (the issuer's name, the licence number). Counted once per document
    for each value and lines: the issuer's readers ask again."""
    want = fold(value)
    if len(want.replace(" ", "")) < MIN_CHARS:
        return 0
    own = frozenset(t.line.number for t in tokens)
    counted = doc._once("printed_again", lambda d: {})
    key = (want, own, exact)
    if key not in counted:
        lines = _folded_lines(doc)
        counted[key] = sum(
            1 for number, text in enumerate(lines)
            if number not in own and len(text) >= len(want) - 2
            and (_contains_phrase(text, want)
                 or (not exact and len(want) >= FUZZY_MIN_CHARS and _approximately_in(want, text)))
        ) + sum(1 for number in own if len(_phrase_pattern(want).findall(lines[number])) >= 2)
    return counted[key]


def _approximately_in(want: str, text: str) -> bool:
    """``want`` printed in ``text`` with an OCR slip or two, as whole words (a name cut short,
    "Federal Aviatio", is not the longer name "Federal Aviation Administration" printed again)."""
    found = fuzz.partial_ratio_alignment(want, text, score_cutoff=FUZZY_SCORE)
    if found is None:
        return False
    start, end = found.dest_start, found.dest_end
    return (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum())


def confirm_recurring(doc, res: FieldResult) -> None:
    """An issuer read letter for letter in two places (a heading and a footer, an address line,
    a sign-off) is confirmed: two readings agree, and a title, a table header or a sub-unit is
    printed once. Approximate repeats confirm nothing (a misread value close to a right one).
    How weak a reading a confirmation may lift is calibration's to say
    (``calibration.CONFIRMED_MIN_RAW``)."""
    if res.value is not None and printed_again(doc, str(res.value), res.tokens, exact=True):
        res.confirmed = "printed again elsewhere on the document"


def support_recurring(doc, cands: list[Candidate]) -> None:
    """Candidates whose names are printed again on other lines gain RECUR_GAIN per line."""
    for c in cands:
        again = printed_again(doc, str(c.value), c.tokens)
        if again:
            c.score = min(1.0, c.score + RECUR_GAIN * min(again, RECUR_LINES))
            c.extra["recurs"] = again


def _name_shaped(seg: list[Token], held: set[int], holder_words: set[str]) -> bool:
    words = [t.text.strip(" .,;:|·") for t in seg]
    norms = [t.norm for t in seg]
    if not 1 <= len(seg) <= RECURRING_MAX_WORDS or any(not w or not w.replace("-", "").isalpha() for w in words):
        return False
    if norms[0] in CONNECTOR_WORDS or norms[-1] in CONNECTOR_WORDS:
        return False
    if any(n in SENTENCE_WORDS or n in SIGNATORY_WORDS for n in norms) or any(id(t) in held for t in seg):
        return False
    if all(n in TITLE_WORDS or n in CREDENTIAL_NOUNS or n in CONNECTOR_WORDS for n in norms):
        return False
    if any(w[:1].islower() for w, n in zip(words, norms) if n not in CONNECTOR_WORDS) and len(seg) > 1:
        return False   # running text; a one-word wordmark may be set in lowercase ("salesforce")
    if len(seg) == 1 and (is_given_name(words[0]) or fold(words[0]) in holder_words):
        return False   # "Dear Minh," / "Thanks, Minh": a person, not a body
    return name_likeness(words) < 0.5 and not find_credential_type(" ".join(words))


def recurring_names(doc) -> list[Candidate]:
    """Names standing as a line of their own at the top of the first page or at the very end,
    printed on RECURRING_MIN_LINES other lines."""
    held = doc.holder_tokens
    holder = doc.holder().value
    holder_words = set(fold(str(holder)).split()) if holder else set()
    lines = doc.layout.lines
    out, seen = [], set()
    for ln in lines:
        first_top = ln.page == lines[0].page and ln.y < RECURRING_TOP * ln.page_h
        if not first_top and ln.number < len(lines) - RECURRING_LAST_LINES:
            continue
        segments = ln.segments()
        if len(segments) != 1:
            continue   # a cell of a table row ("Lab", "Workshop"), not a name set on its own
        # a quoted e-mail's marks ("> Google Cloud") are no part of the name
        seg = [t for t in segments[0] if t.word.conf >= GARBAGE_BELOW and t.text not in QUOTE_MARKS]
        if not seg or any(doc.ex.is_label_start(t) for t in seg) or not _name_shaped(seg, held, holder_words):
            continue
        text = " ".join(t.text for t in seg).strip(" .,;:|·")
        if fold(text) in seen:
            continue
        seen.add(fold(text))
        if printed_again(doc, text, seg) >= RECURRING_MIN_LINES:
            out.append(Candidate(text, seg, RECURRING_BASE * ocr_factor(seg), "recurring"))
    return out
