"""The holder: a person's name next to a holder label, after an intro sentence, or on a line of its own."""
from __future__ import annotations

import re

from ..directory import find_credential_type, find_issuer, fold
from ..layout import Token, fold_token
from .candidates import POSITION, Candidate, FieldResult, _best, ocr_factor
from .holder_email import confirm_by_email
from .names import is_given_name, name_likeness, title_words
from .vocabulary import (
    GENERIC_ADDRESSEES,
    NAME_PARTICLES,
    NAME_STOP,
    NOT_NAMES,
    ORG_WORDS,
    SENTENCE_WORDS,
    SIGNATURE_WORDS,
    SUFFIXES,
    TITLE_WORDS,
)


def clean_name(text: str) -> str:
    text = text.strip(" ,;:")
    if "," in text:
        last, _, first = text.partition(",")
        first_parts = first.split()
        suffix = [p for p in first_parts if p.lower().strip(".") in SUFFIXES]
        first_parts = [p for p in first_parts if p not in suffix]
        if first_parts and last.strip():
            text = " ".join(first_parts + [last.strip()] + suffix)
        else:
            text = text.replace(",", "")
    # a word printed in capitals ("KOWALCZYK", "SMITH-JONES") is written as a name; "II" stays
    return " ".join(w if not w.isupper() or len(w.strip(".")) < 2 or w.lower().strip(".") in ("ii", "iii", "iv")
                    else w.title() for w in text.split())


_STRAY = "\"'‘’“”`|«»~_>—–-[]{}"   # quote marks, bars and flourishes OCR reads from specks, rules and script


def _name_part(t: Token) -> str:
    if t.word.conf >= 1.0:
        return t.text
    text = t.text.strip(_STRAY)
    if text[:1] == "0" and text[1:2] in "'’" and text[2:].rstrip(",.;:").isalpha():
        text = "O" + text[1:]   # "0'DONNELL": OCR reads the O of an Irish name as a zero
    return text


def _junk(t: Token) -> bool:
    """An OCR speck or flourish next to a name ("~", ">", "—"): no letter in it."""
    return t.word.conf < 1.0 and not any(c.isalpha() for c in t.text)


def parse_name(tokens: list[Token]) -> tuple[str, list[Token]] | None:
    used = []
    while tokens and _junk(tokens[0]):
        tokens = tokens[1:]
    for t in tokens[:7]:
        raw = _name_part(t)
        core = raw.strip(",.;:")
        if not core or any(c.isdigit() for c in core) or "@" in core or "/" in core:
            break
        if not re.fullmatch(r"[^\W\d_]+(?:[.'’\-][^\W\d_]*)*\.?", core):
            break
        if fold_token(core) in NAME_STOP:
            break
        used.append(t)
        if raw.endswith((";", ":")):
            break
    while used and _name_part(used[-1]).strip(",") in ("&", "-"):
        used.pop()
    parts = [_name_part(t) for t in used]
    alpha = [p for p in parts if len(p.strip(",.")) >= 2]
    if len(alpha) < 2 or len(used) > 6:
        return None
    titles = title_words()
    if any(fold_token(p) in TITLE_WORDS or fold_token(p) in NOT_NAMES or fold_token(p) in ORG_WORDS
           or fold_token(p) in titles for p in parts):
        return None   # a body's name ("British Columbia College") or a signatory's title ("Chief Executive")
    if any(not p[:1].isupper() and fold_token(p) not in NAME_PARTICLES for p in parts):
        return None   # every part of a name is capitalised
    text = " ".join(parts)
    if not re.search(r"[A-ZÀ-Þ]", text):
        return None   # names are capitalised
    return clean_name(text), used



# How much the name-likeness of a value moves its score, by where it was found.
LIKENESS_WEIGHT = {"label": 0.35, "split_name": 0.2, "intro": 0.4, "address": 0.6, "standalone": 0.7, "salutation": 0.5,
                   "name_shape": 1.0, "hint_bbox": 0.0}
NAME_SHAPE_BASE = 0.62          # a line segment that is a name and nothing else, with no label
NAME_SHAPE_MIN = 0.6            # the likeness such a segment needs to be proposed at all
LEADING_WORDS_DROPPED = 2       # an unlabelled "Learner JANE DOE": words before the name that can go


def _trimmed(toks: list[Token]):
    """The best name in ``toks``, dropping up to two leading words that are no given name
    ("Permittee JANE DOE", "Estate John Roe"), by name-likeness."""
    best = None
    for k in range(0, min(LEADING_WORDS_DROPPED, max(0, len(toks) - 2)) + 1):
        if k and is_given_name(toks[k - 1].text):
            break
        got = parse_name(toks[k:])
        if not got:
            continue
        like = name_likeness([t.text for t in got[1]])
        if best is None or like > best[2] + 0.15:
            best = (got[0], got[1], like)
    return best


def read_holder(doc) -> FieldResult:
    cands = doc.hint_candidates("holder_name", parse_name, 0.9)
    for m in doc.ex.matches("holder_name"):
        if m.phrase in ("name",) and m.first > 0 and m.line.tokens[m.first - 1].seg == m.line.tokens[m.first].seg:
            continue   # "... name" inside a sentence
        for toks, pos in doc.ex.values_for(m) + _under_header_cell(doc, m):
            got = _trimmed(toks)
            if got:
                base = POSITION[pos] * m.strength
                cands.append(Candidate(got[0], got[1], base * ocr_factor(got[1]), "label"))
                break
    for m in doc.ex.matches("intro"):
        got = _after_intro(doc, m)
        if got and not _signatory(doc, got[1]):
            cands.append(Candidate(got[0], got[1], 0.93 * ocr_factor(got[1]), "intro"))
    cands += _split_name(doc)
    labelled_lines = {m.line.number for ms in doc.ex.labels.values() for m in ms if m.kind != "intro"}
    for ln in doc.layout.lines:
        # a line that is nothing but a name: a wallet card's holder line, a letter's address block
        if not ln.tokens:
            continue
        toks = _before_other_labels(doc, ln)
        if ln.number in labelled_lines and toks is ln.tokens:
            continue
        got = parse_name(toks)
        if not got or len(got[1]) != len(toks) or _signatory(doc, got[1]):
            continue
        line_text = " ".join(t.text for t in toks)
        if find_issuer(line_text) or find_credential_type(line_text):
            continue
        prev = doc.layout.lines[ln.number - 1] if ln.number else None
        if prev is not None and prev.page == ln.page and prev.tokens and prev.tokens[-1].text.endswith(":"):
            continue
        nxt = doc.layout.lines[ln.number + 1] if ln.number + 1 < len(doc.layout.lines) else None
        address = bool(nxt and nxt.page == ln.page and re.match(r"^\d{1,6}$", nxt.tokens[0].text)
                       and len(nxt.tokens) >= 2 and nxt.tokens[1].text[:1].isupper())
        base = 0.72 if address else 0.55
        if "," in toks[0].text:
            base += 0.1
        cands.append(Candidate(got[0], got[1], base * ocr_factor(got[1]), "address" if address else "standalone"))
    # any segment that is a person's name and nothing else (a label the vocabulary does not know)
    for ln in doc.layout.lines:
        for seg in ln.segments():
            got = _trimmed(seg)
            if not got or got[1][-1] is not seg[-1] or got[2] < NAME_SHAPE_MIN or _signatory(doc, got[1]) \
                    or _after_other_label(doc, got[1]):
                continue
            if find_issuer(" ".join(t.text for t in got[1])):
                continue
            cands.append(Candidate(got[0], got[1], NAME_SHAPE_BASE * got[2] * ocr_factor(got[1]), "name_shape"))
    for ln in doc.layout.lines:
        toks = _unquoted(ln.tokens)
        if toks and toks[0].norm == "dear":
            got = parse_name(toks[1:])
            if got and not any(fold_token(w) in GENERIC_ADDRESSEES for w in got[0].split()):
                cands.append(Candidate(got[0], got[1], 0.6 * ocr_factor(got[1]), "salutation"))
    for c in cands:
        weight = LIKENESS_WEIGHT.get(c.source, 0.5)
        if weight and c.source != "name_shape":
            c.score *= (1 - weight) + weight * name_likeness([t.text for t in c.tokens])
        if _near_signature(doc, c.tokens):
            c.score *= 0.3
    res = _best(cands, key=lambda c: " ".join(sorted(fold(str(c.value)).split())))
    confirm_by_email(doc, res)
    return res


HEADER_CELL_MAX_WORDS = 4   # a header cell's words ("NAME ON REGISTER", "Name of licensee")


def _under_header_cell(doc, m) -> list[tuple[list[Token], str]]:
    """The run under a label that its header cell goes on after ("NAME ON REGISTER" over "Connor
    A. Muller"): the words after the label are the header's, no value, and values_for, which
    took them for the inline value, looked no further."""
    seg = m.line.tokens[m.last].seg
    cell = [t for t in m.line.tokens if t.seg == seg]
    if cell[-1] is m.tokens[-1]:
        return []   # the label ends its cell: values_for looked below it already
    if cell[0] is not m.tokens[0] or len(cell) > HEADER_CELL_MAX_WORDS or any(t.norm in SENTENCE_WORDS for t in cell):
        return []   # a sentence ("This card certifies that the holder has ..."), not a header cell
    x0, x1 = doc.layout.xspan(cell)
    return [(run, "below") for _, run in doc.layout.below(m.line, x0, x1, max_lines=1)
            if not doc.ex.is_label_start(run[0])]


INTRO_LINES = 3           # the lines after an intro ("... certifies that") its name may stand on


def _after_intro(doc, m) -> tuple[str, list[Token], float] | None:
    """The name an intro phrase introduces: the rest of its line, else a segment of the next lines
    that is a name and nothing else, the one under the intro first (a two-column page sets the
    issuer's address beside it). A sentence that goes on after the phrase ("This message confirms
    that you now hold ...") introduces no name on the lines below.
    """
    line = m.line
    rest = [t for t in line.tokens[m.last + 1:] if not _junk(t)]
    if rest:
        got = parse_name(rest)
        if got or any(t.text[:1].islower() for t in rest):
            return got
    x0, x1 = doc.layout.xspan(m.tokens)
    for nxt in doc.layout.lines[line.number + 1: line.number + 1 + INTRO_LINES]:
        if nxt.page != line.page:
            break
        segs = sorted(nxt.segments(), key=lambda s: -_overlap(doc, s, x0, x1))
        for seg in segs:
            whole = [t for t in seg if not _junk(t)]
            got = parse_name(whole)
            if got and len(got[1]) >= len(whole) - 1 and got[1][-1] is whole[-1]:
                return got
    return None


def _overlap(doc, seg: list[Token], x0: float, x1: float) -> float:
    s0, s1 = doc.layout.xspan(seg)
    return min(x1, s1) - max(x0, s0)


SPLIT_NAME_BASE = 0.9     # given names and family name each under its own label, joined


def _split_name(doc) -> list[Candidate]:
    """The holder printed in two labelled fields, given names and family name, joined given first."""
    def value(kind):
        for m in doc.ex.matches(kind):
            for toks, _ in doc.ex.values_for(m):
                words = [t for t in toks if re.fullmatch(r"[^\W\d_]+(?:[.'’\-][^\W\d_]*)*\.?,?", _name_part(t))]
                if words and len(words) == len(toks) and len(words) <= 4 and words[0].text[:1].isupper():
                    return words
        return None
    given, family = value("holder_given"), value("holder_family")
    if not given or not family:
        return []
    toks = given + family
    got = parse_name(toks)
    if not got or len(got[1]) != len(toks):
        return []
    return [Candidate(got[0], got[1], SPLIT_NAME_BASE * ocr_factor(got[1]), "split_name")]


def _before_other_labels(doc, ln) -> list[Token]:
    """A line's words before a labelled segment that follows them ("Ashley J. McAllister | Date: 10
    November 2019": a letter's address block beside its date), or the whole line."""
    segs = ln.segments()
    if len(segs) > 1 and not doc.ex.is_label_start(segs[0][0]) and any(doc.ex.is_label_start(seg[0]) for seg in segs[1:2]):
        return segs[0]
    return ln.tokens


def _unquoted(toks: list[Token]) -> list[Token]:
    """A line without the quote marks an e-mail reply puts before it ("> Dear ...")."""
    k = 0
    while k < len(toks) and toks[k].text.strip(">|") == "":
        k += 1
    return toks[k:]


def _after_other_label(doc, toks: list[Token]) -> bool:
    """A name in the segment right after another role's label ("Examiner | Victor Kessler")."""
    line = toks[0].line
    before = [m for m in doc.ex.labels[line.number] if m.last < line.tokens.index(toks[0])]
    return bool(before) and before[-1].kind not in ("holder_name", "intro")


def _signatory(doc, toks: list[Token]) -> bool:
    """A name with a job title on the line below it, or a title in the same segment."""
    line = toks[0].line
    titles = title_words()
    if any(_fold_word(t.text) in titles for t in line.tokens if t.seg == toks[0].seg and t not in toks):
        return True
    x0, x1 = doc.layout.xspan(toks)
    for k, nxt in enumerate(doc.layout.lines[line.number + 1: line.number + 1 + SIGNATORY_LINES]):
        if nxt.page != line.page or nxt.y - line.y >= 2.2 * max(line.h, nxt.h):
            break
        # the title on the next line, or on the first line under the name past lines of another column;
        # a label's word is no title ("MEMBER NO." under a card's holder line)
        if not k and any(_fold_word(t.text) in titles and not doc.ex.is_label_start(t) for t in nxt.tokens[:4]):
            return True
        under = [seg for seg in nxt.segments() if _overlap(doc, seg, x0, x1) > 0]
        if under:
            labelled = bool(doc.ex.labels[nxt.number])   # a labelled value ("Class | Registered Nurse")
            return bool(k) and not labelled and any(_fold_word(t.text) in titles for seg in under for t in seg[:4])
    return False


SIGNATORY_LINES = 3       # the lines below a name its title may stand on


def _near_signature(doc, toks: list[Token]) -> bool:
    """A name printed just above or below a signature line ("Signature", "Signed", "Authorised by")."""
    if not toks:
        return False
    line = toks[0].line
    lines = doc.layout.lines
    for k in (line.number - 1, line.number + 1):
        if 0 <= k < len(lines) and lines[k].page == line.page:
            words = {t.norm for t in lines[k].tokens[:3]}
            if words & SIGNATURE_WORDS and abs(lines[k].y - line.y) < 2.5 * max(line.h, lines[k].h):
                return True
    return False


def _fold_word(text: str) -> str:
    return fold_token(text.strip(".,:;"))

