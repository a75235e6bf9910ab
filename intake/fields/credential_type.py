"""The credential type: a directory type of the issuer, a labelled value, or the title line."""
from __future__ import annotations

import re
import statistics

from .. import dates as D
from ..directory import find_credential_type, find_issuer, fold
from ..layout import Token, fold_token
from .candidates import GARBAGE_BELOW, Candidate, FieldResult, _best, ocr_factor
from .holder import parse_name
from .vocabulary import NAME_STOP, ORG_WORDS, TITLE_WORDS


ROW_TYPE_SCORE = 0.8   # a directory type named in a transcript's credential row (its column says what it is)


def read_credential_type(doc) -> tuple[FieldResult, str | None]:
    """The credential: a directory type of the issuer named on the page, a labelled
    value (resolved to the issuer's type when its distinctive words match), a
    directory type anywhere, or else the document's title line."""
    issuer = doc.issuer_entry
    best = None
    for ln in doc.layout.lines:
        text = " ".join(t.text for t in ln.tokens)
        found = find_credential_type(text, issuer) if issuer else None
        if found and (best is None or len(fold(found[0].name)) > len(fold(best[0].name)) or found[1] > best[1]):
            best = (found[0], found[1], ln.tokens)
    if best:
        t, score, toks = best
        return FieldResult(t.name, round(0.9 * score / 100 * ocr_factor(toks), 3), toks, "directory"), t.code
    if issuer:
        # a card that prints the type's distinctive word on a line of its own ("Labourer")
        for ln in doc.layout.lines:
            toks = [t for t in ln.tokens if t.word.conf >= GARBAGE_BELOW]
            if 1 <= len(toks) <= 4:
                typed = _issuer_type(doc, [t.norm for t in toks if t.norm])
                if typed:
                    return FieldResult(typed.name, round(0.8 * ocr_factor(toks), 3), toks, "directory"), typed.code
    row = doc.credential_row()
    if row is not None:
        # a transcript names its credential in the row whose type cell says it is one
        # ("PALS Provider | Certification"); its "Type" column's first value is another row's
        cells = [" ".join(t.text for t in cell) for cell in row.cells[:row.type_cell]]
        found = find_credential_type(" ".join(cells), issuer)
        if found:
            toks = [t for cell in row.cells[:row.type_cell] for t in cell]
            return FieldResult(found[0].name, round(ROW_TYPE_SCORE * found[1] / 100 * ocr_factor(toks), 3), toks,
                               "row"), found[0].code
    cands = []
    for m in doc.ex.matches("credential_type"):
        if m.first and m.line.tokens[m.first - 1].seg == m.line.tokens[m.first].seg:
            continue   # "... credential may be verified": a word in a sentence, not a label
        for toks, pos in doc.ex.values_for(m):
            if pos == "sentence":
                break
            text = " ".join(t.text for t in toks).strip(" :")
            norms = [t.norm for t in toks if t.norm]
            if (len(text) < 3 or D.find_dates(text) or not any(c.isalpha() for c in text)
                    or all(n in TITLE_WORDS or n in NAME_STOP for n in norms)):
                continue
            typed = _issuer_type(doc, norms)
            if typed:
                return FieldResult(typed.name, round(0.85 * m.strength * ocr_factor(toks), 3), toks,
                                   "label"), typed.code
            cands.append(Candidate(text, toks, 0.8 * m.strength * ocr_factor(toks), "label"))
            break
    if not cands:
        found = find_credential_type(doc.layout.text)
        if found:
            return FieldResult(found[0].name, 0.6, [], "directory"), found[0].code
        title = _title(doc)
        if title:
            return FieldResult(title[0], round(0.5 * ocr_factor(title[1]), 3), title[1], "title"), None
    return _best(cands), None

def _issuer_type(doc, norms: list[str]):
    """The known issuer's credential type whose distinctive words all appear in a labelled value."""
    issuer = doc.issuer_entry
    if not issuer or not norms:
        return None
    generic = set(TITLE_WORDS) | {fold_token(w) for n in (issuer.name, *issuer.aliases) for w in n.split()}
    words = set(norms)
    best = None
    for t in issuer.credential_types:
        for name in (t.name, *t.aliases):
            distinct = {fold_token(w) for w in re.split(r"[\s\-/()]+", name)} - generic - {""}
            if distinct and distinct <= words and (best is None or len(distinct) > best[0]):
                best = (len(distinct), t)
    return best[1] if best else None

def _title(doc) -> tuple[str, list[Token]] | None:
    """The document's title: the biggest line near the top that is a credential's name.

    Not the issuer's name, the holder, a label line, a bare "Certificate",
    an address or a sentence.
    """
    lines = doc.layout.lines
    if not lines:
        return None
    page = lines[0].page
    best = None
    for ln in lines:
        if ln.page != page or ln.y > 0.5 * ln.page_h:
            continue
        for seg in ln.segments():
            seg = [t for t in seg if t.word.conf >= GARBAGE_BELOW]
            words = [t.text for t in seg]
            norms = [t.norm for t in seg if t.norm]
            text = " ".join(words).strip(" ·|-:")
            if not (2 <= len(norms) <= 10) or any(c.isdigit() for c in text) or "@" in text or "www" in text.lower():
                continue
            if all(n in TITLE_WORDS or n in NAME_STOP for n in norms) or text.endswith((".", ",", ":")):
                continue
            if norms[0] in ("dear", "re", "to", "attn") or ln.tokens[0].norm == "dear":
                continue   # a letter's salutation or subject line
            if any(doc.ex.is_label_start(t) for t in seg) or find_issuer(text):
                continue
            if any(id(t) in doc.holder_tokens for t in seg):
                continue   # the holder's name line
            got = parse_name(seg)
            if got and len(got[1]) == len(seg) and len(seg) <= 4:
                continue   # a person's name (an addressee, a signatory)
            if any(n in ORG_WORDS for n in norms) or sum(w[:1].isupper() for w in words) < 0.6 * len(words):
                continue
            size = statistics.median(t.word.size for t in seg)
            if best is None or size > best[0]:
                best = (size, text, seg)
    return (best[1], best[2]) if best else None
