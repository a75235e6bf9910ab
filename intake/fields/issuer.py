"""The issuer: a directory body named near the top, an issued-by value, a web domain, or the heading organisation."""
from __future__ import annotations

import re
import statistics
from functools import lru_cache
from urllib.parse import urlparse

from ..directory import Issuer, find_credential_type, find_issuer, fold, load_directory
from ..layout import Line, fold_token
from .candidates import GARBAGE_BELOW, Candidate, FieldResult, _best, ocr_factor
from .vocabulary import ORG_WORDS, TITLE_WORDS

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
        if not listed:
            cands.append(Candidate(text, toks, (0.85 if org else 0.55) * ocr_factor(toks), "heading"))
    res = _best(cands, key=lambda c: fold(str(c.value)))
    for c in cands:
        if c.value == res.value and "entry" in c.extra:
            doc.issuer_entry = c.extra["entry"]
            break
    # a directory issuer mentioned only in running text loses to a heading organisation
    return res

def _heading_org(doc, lines: list[Line], big: float):
    best = None
    for ln in lines:
        if ln.y > 0.3 * ln.page_h:
            break
        for seg in ln.segments():
            words = [t.text for t in seg]
            text = " ".join(words).strip(" ·|-")
            norms = [fold_token(w) for w in words]
            if len(norms) < 2 or len(norms) > 9 or any(ch.isdigit() for ch in text) or "www" in text.lower() or "@" in text:
                continue
            if all(n in TITLE_WORDS for n in norms if n):
                continue
            if find_credential_type(text):
                continue   # a credential's name in big type ("PALS Provider") is no organisation
            if any(doc.ex.is_label_start(t) for t in seg[:1]):
                continue
            org = any(n in ORG_WORDS for n in norms)
            caps = sum(w[:1].isupper() for w in words) >= 0.6 * len(words)
            if not (org or caps):
                continue
            size = statistics.median(t.word.size for t in seg)
            score = (2 if org else 0) + size / (big or 1)
            if best is None or score > best[0]:
                best = (score, seg, text, org)
    return best[1:] if best else None
