"""The issuer: a directory body named near the top, an issued-by value, a web domain, or the heading organisation."""
from __future__ import annotations

import re
import statistics
from functools import lru_cache
from urllib.parse import urlparse

from ..directory import Issuer, find_credential_type, find_issuer, fold, load_directory
from ..layout import Line, Token, fold_token
from .candidates import GARBAGE_BELOW, Candidate, FieldResult, _best, ocr_factor
from .names import name_likeness
from .vocabulary import (
    COMPANY_WORDS,
    CONNECTOR_WORDS,
    GRANTING_WORDS,
    ORG_WORDS,
    PROVIDER_WORDS,
    SUBUNIT_WORDS,
    TITLE_WORDS,
)

_SHAREDSUFFIXES = {"gov", "co", "org", "ac", "com", "net", "edu", "uk"}   # second levels many bodies share


@lru_cache(maxsize=1)
def _issuer_domains() -> tuple[tuple[str, Issuer], ...]:
    """(web domain, issuer) from the directory's renewal and verification URLs.

    The registrable domain ("heart.org" from "cpr.heart.org") and the host one
    label longer ("rn.ca.gov", "cscs.uk.com"); a domain two issuers share
    ("ca.gov") names neither.
    """
    owners: dict[str, set] = {}
    by_code = {}
    for issuer in load_directory().issuers:
        by_code[issuer.code] = issuer
        for url in (issuer.renewal_url, issuer.verification_url):
            host = (urlparse(url).hostname or "").lower() if url else ""
            labels = [x for x in host.split(".") if x]
            if len(labels) < 2:
                continue
            keeps = [3] if labels[-2] in _SHAREDSUFFIXES else [2, 3]
            for keep in keeps:
                if len(labels) >= keep and labels[-keep] != "www":
                    owners.setdefault(".".join(labels[-keep:]), set()).add(issuer.code)
    pairs = [(d, by_code[next(iter(c))]) for d, c in owners.items() if len(c) == 1]
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))



def read_issuer(doc) -> FieldResult:
    cands: list[Candidate] = []
    lines = doc.layout.lines
    first_page = [ln for ln in lines if ln.page == lines[0].page] if lines else []
    sizes = sorted((statistics.median(t.word.size for t in ln.tokens) for ln in first_page), reverse=True)
    big = sizes[min(2, len(sizes) - 1)] if sizes else 0
    for ln in lines:
        top_zone = ln.page == lines[0].page and ln.y < 0.28 * ln.page_h
        for seg in ln.segments():
            # OCR garbage from logos and rules ("arc", "eee") must not spell an acronym
            seg = [t for t in seg if t.word.conf >= GARBAGE_BELOW]
            if not seg:
                continue
            text = " ".join(t.text for t in seg)
            found = find_issuer(text, min_score=88 if top_zone else 101)
            if not found:
                continue
            entry, score = found
            f = fold(text)
            if len(f) <= 5 and not top_zone:
                continue   # a bare acronym in running text is too weak
            base = 0.93 if top_zone else 0.55
            cands.append(Candidate(entry.name, seg, base * (score / 100) * ocr_factor(seg), "directory",
                                   {"entry": entry}))
    for m in doc.ex.matches("issuer"):
        for toks, pos in doc.ex.values_for(m):
            toks = _name_run(toks)
            if not toks:
                continue
            text = " ".join(t.text for t in toks).strip(" .,:")
            found = find_issuer(text)
            if found:
                cands.append(Candidate(found[0].name, toks, 0.95 * ocr_factor(toks), "issued_by", {"entry": found[0]}))
            elif len(text) > 3:
                cands.append(Candidate(text, toks, 0.75 * ocr_factor(toks), "issued_by"))
            break
    # a directory issuer's web domain printed on the page ("heart.org/cpr")
    domains = _issuer_domains()
    for t in doc.layout.tokens:
        low = t.text.lower()
        if "." not in low or t.word.conf < GARBAGE_BELOW:
            continue
        for domain, entry in domains:
            if re.search(rf"(?<![a-z0-9-]){re.escape(domain)}(?![a-z0-9-])", low):
                cands.append(Candidate(entry.name, [t], 0.8 * ocr_factor([t]), "domain", {"entry": entry}))
                break
    # a heading organisation that the directory does not know
    heading = _heading_org(doc, first_page, big)
    if heading:
        toks, text, org = heading
        listed = [c for c in cands if c.source == "directory" and c.score >= 0.8]
        found = find_issuer(text, min_score=90)
        if found and not listed:
            cands.append(Candidate(found[0].name, toks, 0.9 * ocr_factor(toks), "directory", {"entry": found[0]}))
        elif not listed:
            cands.append(Candidate(text, toks, (0.85 if org else 0.55) * ocr_factor(toks), "heading"))
    res = _best(cands, key=lambda c: fold(str(c.value)))
    for c in cands:
        if c.value == res.value and "entry" in c.extra:
            doc.issuer_entry = c.extra["entry"]
            break
    # a directory issuer mentioned only in running text loses to a heading organisation
    return res

# Weights of a heading block as the issuer: organisation shape first, then type size, then height on the page.
BLOCK_ORG, BLOCK_SIZE, BLOCK_TOP = 0.6, 0.28, 0.12
SUBUNIT_FACTOR = 0.6       # "Division of ...", "Office of ...": the body above it grants
PROVIDER_FACTOR = 0.65     # an academy or training provider sold the course
PERSON_FACTOR = 0.15       # a line that reads as a person's name
FRAGMENT_FACTOR = 0.25     # a sentence fragment ("and holds the ...")
HEADING_MAX_WORDS = 12
WRAP_SIZE_RATIO = 0.8      # two lines of one heading are printed in about the same size


def org_likeness(words: list[str]) -> float:
    """0..1: how much ``words`` read as the name of a body that grants credentials."""
    norms = [fold_token(w) for w in words if fold_token(w)]
    if not norms:
        return 0.0
    if all(n in TITLE_WORDS or n in CONNECTOR_WORDS for n in norms):
        return 0.0
    if any(n in GRANTING_WORDS for n in norms):
        score = 1.0
    elif any(n in COMPANY_WORDS for n in norms[1:]):
        score = 0.9
    elif any(n in ORG_WORDS for n in norms):
        score = 0.8
    elif sum(w[:1].isupper() for w in words) >= 0.8 * len(words):
        score = 0.35     # capitalised words: a brand or an acronym body
    else:
        return 0.0
    if norms[0] in SUBUNIT_WORDS and len(norms) > 1 and norms[1] in CONNECTOR_WORDS:
        score *= SUBUNIT_FACTOR
    if any(n in PROVIDER_WORDS for n in norms) and not any(n in GRANTING_WORDS for n in norms):
        score *= PROVIDER_FACTOR
    if norms[0] in CONNECTOR_WORDS - {"the"} or norms[-1] in CONNECTOR_WORDS or not words[0][:1].isupper():
        score *= FRAGMENT_FACTOR
    if name_likeness(words) >= 0.6:
        score *= PERSON_FACTOR
    return score


def _name_run(toks: list[Token]) -> list[Token]:
    """The organisation's name at the start of an "issued by" value in running text: capitalised
    words and the connectors between them, up to the first other lowercase word or punctuation
    ("Issued by the Harbour Board on behalf of ..." -> "Harbour Board")."""
    if toks and toks[0].norm == "the":
        toks = toks[1:]
    out: list[Token] = []
    for t in toks:
        word = t.text.strip(",;:")
        if not word:
            break
        if not (word[:1].isupper() or word[:1].isdigit() or t.norm in CONNECTOR_WORDS or word == "&"):
            break
        out.append(t)
        if t.text.endswith((",", ";", ":")) or (t.text.endswith(".") and len(word) > 5):
            break
    while out and out[-1].norm in CONNECTOR_WORDS:
        out.pop()
    return out


def heading_blocks(doc, lines: list[Line]) -> list[list[Token]]:
    """Segments of a page joined with the next line's segment when one heading wraps onto it:
    a line ending on a connector ("Texas State Board of"), or a next line starting with one,
    printed in about the same size and overlapping horizontally."""
    blocks: list[list[Token]] = []
    used: set[int] = set()
    for k, ln in enumerate(lines):
        for seg in ln.segments():
            if id(seg[0]) in used:
                continue
            block = list(seg)
            j = k
            while j + 1 < len(lines) and len(block) < HEADING_MAX_WORDS:
                nxt_line = lines[j + 1]
                cur_line = lines[j]
                if nxt_line.page != cur_line.page or nxt_line.y - cur_line.y > 2.0 * max(cur_line.h, nxt_line.h):
                    break
                nxt = _overlapping_segment(doc, block, nxt_line)
                if nxt is None:
                    break
                size_a = statistics.median(t.word.size for t in block)
                size_b = statistics.median(t.word.size for t in nxt)
                if min(size_a, size_b) < WRAP_SIZE_RATIO * max(size_a, size_b):
                    break
                if not (block[-1].norm in CONNECTOR_WORDS or nxt[0].norm in CONNECTOR_WORDS
                        or not nxt[0].text[:1].isupper()):
                    break
                block += nxt
                used.update(id(t) for t in nxt)
                j += 1
            blocks.append(block)
    return blocks


def _overlapping_segment(doc, block: list[Token], line: Line) -> list[Token] | None:
    x0, x1 = doc.layout.xspan(block)
    for seg in line.segments():
        s0, s1 = doc.layout.xspan(seg)
        if min(x1, s1) - max(x0, s0) > 0:
            return seg
    return None


def _heading_org(doc, lines: list[Line], big: float):
    best = None
    for block in heading_blocks(doc, lines):
        block = [t for t in block if t.word.conf >= GARBAGE_BELOW]
        if not block:
            continue
        ln = block[0].line
        words = [t.text for t in block]
        text = " ".join(words).strip(" ·|-,;:")
        if not 2 <= len(words) <= HEADING_MAX_WORDS or any(ch.isdigit() for ch in text) or "www" in text.lower() \
                or "@" in text or (text.endswith(".") and len(words[-1]) > 5):   # a sentence, not "Co."
            continue
        if find_credential_type(text):
            continue   # a credential's name in big type ("PALS Provider") is no organisation
        if doc.ex.is_label_start(block[0]):
            continue
        org = org_likeness(words)
        if org <= 0:
            continue
        size = statistics.median(t.word.size for t in block)
        top = max(0.0, 1 - ln.y / ln.page_h)
        score = org * (BLOCK_ORG + BLOCK_SIZE * min(1.0, size / (big or 1)) + BLOCK_TOP * top)
        if best is None or score > best[0]:
            best = (score, block, text, org >= 0.8)
    return best[1:] if best else None
