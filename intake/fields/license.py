"""The licence number: an ID-shaped value next to a licence label, read through OCR confusions."""
from __future__ import annotations

import re
from functools import lru_cache

from .. import dates as D
from ..directory import Issuer
from ..layout import Token
from .candidates import POSITION, Candidate, FieldResult, _best, ocr_factor
from .recurrence import printed_again

MAX_ID_PARTS = 4     # "1234 5678 9012 3456": four groups of digits are one number
MAX_PREFIX = 5       # a letter prefix printed before the digits ("CPA 373994", "RN 995882")
_ID_TOKEN = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]*[A-Z0-9]$|^[0-9]$", re.I)


def parse_license(tokens: list[Token]) -> tuple[str, list[Token]] | None:
    """The ID-shaped value at the start of ``tokens`` (e.g. 'RN 995882', 'M268-MH9R')."""
    parts, used = [], []
    for k, t in enumerate(tokens[:MAX_ID_PARTS + 1]):
        text = t.text.strip(".,;:()[]")
        if not text:
            continue
        if text in ("-", "–"):
            continue
        if not _ID_TOKEN.match(text):
            break
        has_digit = any(c.isdigit() for c in text)
        if not parts:
            # a short letter prefix ("RN 995882") joins the number after it
            if not has_digit:
                nxt = tokens[k + 1].text.strip(".,;:") if k + 1 < len(tokens) else ""
                if text.isupper() and len(text) <= MAX_PREFIX and nxt and any(c.isdigit() for c in nxt):
                    parts.append(text)
                    used.append(t)
                    continue
                break
            parts.append(text)
            used.append(t)
            continue
        group = len(text) >= 3 and text.isalnum() or len(text) >= 2 and text.isdigit() and parts[-1].isdigit()
        if has_digit and (parts[-1].isalpha() or group and parts[-1][-1].isdigit() and len(parts) < MAX_ID_PARTS
                          and t.line is used[-1].line and _gap_small(used[-1], t)):
            parts.append(text)
            used.append(t)
            continue
        break
    if not parts:
        return None
    value = " ".join(parts)
    compact = re.sub(r"[\s\-]", "", value)
    if len(compact) < 4 or not any(c.isdigit() for c in compact):
        return None
    if D.find_dates(value):
        return None
    return value, used


def _gap_small(a: Token, b: Token) -> bool:
    return (b.word.x0 - a.word.x1) < 2.5 * max(a.word.height, 1e-6)


# Characters OCR confuses between letters and digits, both ways.
_TO_DIGIT = {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "i": "1",
             "S": "5", "B": "8", "Z": "2", "G": "6"}
_TO_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B", "2": "Z", "6": "G"}
_CONFUSABLE = set(_TO_DIGIT) | set(_TO_LETTER)
_MAX_AMBIGUOUS = 10     # positions tried against an issuer's patterns (2^10 combinations at most)


def _neighbour_rule(value: str) -> str:
    """Confusable characters read by their neighbours, inside each part of an ID.

    A letter-shaped character inside a run of digits is a digit ("81O23" ->
    "81023"); a digit-shaped one inside a letter prefix is a letter ("C0MP" -> "COMP").
    Only O/0 and I/l/1 are swapped this way (the common confusions), and a
    digit becomes a letter only inside a leading letter prefix, so mixed IDs
    like "9F1A" keep their digits.
    """
    chars = list(value)
    for k, c in enumerate(chars):
        left = chars[k - 1] if k else ""
        right = chars[k + 1] if k + 1 < len(chars) else ""
        if c in "OoIl|" and (left.isdigit() and (right.isdigit() or not right.isalnum())
                             or right.isdigit() and not left.isalnum() and len(value) > 2):
            chars[k] = _TO_DIGIT[c]
        elif (c in "01" and 0 < k and all(ch.isalpha() and ch.isupper() for ch in chars[:k])
              and value[k + 1:k + 3].isalpha() and value[k + 1:k + 3].isupper()):
            chars[k] = _TO_LETTER[c]   # inside a leading letter prefix: "C0MP..." -> "COMP..."
    return "".join(chars)


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


def _pattern_fits(issuer: Issuer, value: str) -> list[str]:
    """Readings of ``value`` (swapping confusable characters) that fit the issuer's patterns, fewest swaps first."""
    return list(_pattern_fits_cached(issuer.license_number_patterns, value))


@lru_cache(maxsize=1024)
def _pattern_fits_cached(patterns: tuple[str, ...], value: str) -> tuple[str, ...]:
    compiled = _compiled(patterns)
    positions = [k for k, c in enumerate(value) if c in _CONFUSABLE][:_MAX_AMBIGUOUS]
    fits = []
    for mask in range(1 << len(positions)):
        chars = list(value)
        for bit, k in enumerate(positions):
            if mask >> bit & 1:
                c = chars[k]
                chars[k] = _TO_DIGIT.get(c) or _TO_LETTER[c]
        cand = "".join(chars)
        if any(rx.fullmatch(v) for v in (cand, cand.replace(" ", ""), cand.replace("-", "")) for rx in compiled):
            fits.append((bin(mask).count("1"), cand))
    return tuple(v for _, v in sorted(fits))


def normalise_id(value: str, issuer: Issuer | None) -> tuple[str, bool]:
    """OCR-normalised ID and whether a directory pattern of the issuer passes.

    With an issuer whose number patterns are known, the reading that fits a
    pattern with the fewest letter/digit swaps wins (so a "COMP..." prefix
    read as "C0MP..." comes back, while the digits after it stay digits).
    Otherwise confusable characters are read by their neighbours.
    """
    if issuer and issuer.license_number_patterns:
        fits = _pattern_fits(issuer, value)
        if fits:
            return fits[0], True
    return _neighbour_rule(value), False


SHAPED_RUNS = 2   # a part of a letter run and a digit run ("PM849997", "201514064LPN") has a shape
# A UUID printed in lowercase (a badge platform's credential ID): every character is a hex digit,
# and no look-alike of one (O, I, S, B, Z, G) is, so the reading is the only one that fits.
LOWER_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _part_ambiguous(part: str) -> bool:
    """Whether a letter/digit confusion is left open inside one part of an ID.

    A part of one character class has none. A part of SHAPED_RUNS runs (a letter prefix
    and a number, a number and a letter suffix) is read by its shape: a look-alike inside
    a run is of the run's class ("CSMT990099": S among letters, 0 among digits), and only
    one at the boundary could belong to either ("PM849997": M8 or MB?). A part of more runs
    (an eCard code, "V5LF") has no shape: any look-alike in it is open."""
    classes = ["d" if c.isdigit() else "a" for c in part if c.isalnum()]
    runs = 1 + sum(1 for a, b in zip(classes, classes[1:]) if a != b)
    if runs == 1:
        return False
    chars = [c for c in part if c.isalnum()]
    if runs > SHAPED_RUNS:
        return any(c in _CONFUSABLE for c in chars)
    return any(c in _CONFUSABLE and any(0 <= j < len(chars) and classes[j] != classes[k] for j in (k - 1, k + 1))
               for k, c in enumerate(chars))


def id_ambiguity(value: str, issuer: Issuer | None) -> bool:
    """Whether an OCR-read ID could as well be another ID (a letter/digit confusion left open).

    A lowercase UUID has no look-alike left open (``LOWER_UUID``). Otherwise each part (between
    spaces, dashes, slashes or dots) is read by its shape (``_part_ambiguous``);
    a confusion left open in any part makes the ID ambiguous unless exactly one reading fits
    the issuer's patterns.
    """
    if LOWER_UUID.fullmatch(value):
        return False
    parts = [p for p in re.split(r"[\s\-/.]+", value) if p]
    if not any(_part_ambiguous(p) for p in parts):
        return False   # every part is of one class or read by its shape ("RN 995882", "HVW-40917", "CSMT990099")
    if issuer and issuer.license_number_patterns:
        return len(_pattern_fits(issuer, value)) != 1
    return True



OCR_ID_CAP = 0.85


def read_license(doc) -> FieldResult:
    issuer = doc.issuer_entry
    cands = doc.hint_candidates("license_number", parse_license, 0.88)
    for m in doc.ex.matches("license_number"):
        for toks, pos in doc.ex.values_for(m):
            got = parse_license(toks)
            if not got:
                continue
            value, used = got
            raw = value
            value, valid = normalise_id(value, issuer)
            base = POSITION[pos] * m.strength
            if m.phrase in [h.get("label") for h in doc.hints]:
                base = max(base, 0.95)
            if valid:
                base = min(0.99, base + 0.05)
            elif issuer and issuer.license_number_patterns:
                base *= 0.75   # the issuer's numbers look different: likely a misread or another ID
            extra = {}
            if min(t.word.conf for t in used) < 1.0 and (value != raw or id_ambiguity(value, issuer)):
                extra["cap"] = OCR_ID_CAP   # a character-class guess stays below "confident"
            cands.append(Candidate(value, used, base * ocr_factor(used), "label", extra))
    cands += _row_candidates(doc, issuer)
    if not cands and issuer and issuer.license_number_patterns:
        seen = []
        for t in doc.layout.tokens:
            text = t.text.strip(".,;:()")
            value, valid = normalise_id(text, issuer)
            if valid and any(c.isdigit() for c in value) and not _labelled_other(doc, t):
                seen.append(Candidate(value, [t], 0.6 * ocr_factor([t]), "pattern"))
        if len({c.value for c in seen}) == 1:
            cands.extend(seen)
    if not cands:
        cands = _standalone(doc, issuer)
    res = _best(cands, key=lambda c: re.sub(r"[\s\-]", "", str(c.value)).upper())
    _confirm_printed_twice(doc, res)
    return res


def _confirm_printed_twice(doc, res: FieldResult) -> None:
    """A number printed again, character for character, in another place (a renewal letter's
    "before | after" columns, a card's front and back) is two readings that agree."""
    if res.value is None or not res.tokens:
        return
    printed = " ".join(t.text.strip(".,;:()") for t in res.tokens)
    if len(printed.replace(" ", "")) >= MIN_CONFIRMED_CHARS and printed_again(doc, printed, res.tokens, exact=True):
        res.confirmed = "the number is printed twice"

MIN_CONFIRMED_CHARS = 5   # shorter numbers repeat by chance (a unit code, a year)
ROW_ID_SCORE = 0.8   # the identifier cell of a transcript's credential row: no label of its own


def _row_candidates(doc, issuer: Issuer | None) -> list[Candidate]:
    """The first identifier cell after the type cell of the credential's row in a transcript."""
    row = doc.credential_row()
    if row is None:
        return []
    for cell in row.cells[row.type_cell + 1:]:
        if D.find_dates(" ".join(t.text for t in cell)):
            continue
        got = parse_license(cell)
        if got and len(got[1]) == len(cell):
            value, valid = normalise_id(got[0], issuer)
            return [Candidate(value, got[1], ROW_ID_SCORE * ocr_factor(got[1]), "row", {"cap": OCR_ID_CAP})]
    return []


STANDALONE_SCORE = 0.5   # an identifier on a line of its own, no label: a wallet card's number
STANDALONE_MIN_CHARS = 5
STANDALONE_BELOW = 0.8   # lower on the page, a lone number is a barcode's or a form's serial


def _standalone(doc, issuer: Issuer | None) -> list[Candidate]:
    """The one identifier printed as a line of its own with no label beside or above it (a card
    that prints the number under the holder's name), when nothing labelled names a number. Two
    such values, or one under another role's label, and none is proposed; a lone number in the
    page's foot (a barcode's serial, a form number) is none."""
    seen = []
    for ln in doc.layout.lines:
        if len(ln.segments()) != 1 or doc.ex.labels[ln.number] or ln.y > STANDALONE_BELOW * ln.page_h:
            continue
        toks = [t for t in ln.tokens if t.text.strip(".,;:()[]")]
        got = parse_license(toks) if toks else None
        if not got or len(got[1]) != len(toks) or any("@" in t.text or "www" in t.text.lower() for t in toks):
            continue
        compact = re.sub(r"[\s\-]", "", got[0])
        if len(compact) < STANDALONE_MIN_CHARS or compact.isalpha():
            continue
        x0, x1 = doc.layout.xspan(toks)
        above = doc.layout.above(ln, x0, x1)
        if above and doc.ex.is_label_start(above[0]):
            continue   # a value under a column header: that header says whose number it is
        value, _ = normalise_id(got[0], issuer)
        seen.append(Candidate(value, got[1], STANDALONE_SCORE * ocr_factor(got[1]), "standalone", {"cap": OCR_ID_CAP}))
    return seen if len({re.sub(r"[\s\-]", "", str(c.value)).upper() for c in seen}) == 1 else []


def _labelled_other(doc, tok: Token) -> bool:
    line = tok.line
    before = [m for m in doc.ex.labels[line.number] if m.last < line.tokens.index(tok)]
    return bool(before and before[-1].kind in ("other",) or any(m.kind.startswith("date:") for m in before[-1:]))

# credential type --------------------------------------------------------------------
