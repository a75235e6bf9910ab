"""The issuer: a directory body named near the top, an issued-by value, a web domain, or the heading organisation."""
from __future__ import annotations

import re
import statistics
from functools import lru_cache
from urllib.parse import urlparse

from ..directory import Issuer, find_credential_type, find_issuer, fold, load_directory
from ..layout import Line, Token, fold_token
from ..ocr import TOP_BAND_SHARE
from .candidates import GARBAGE_BELOW, Candidate, FieldResult, _best, ocr_factor
from .names import country_words, initials, is_given_name, name_likeness, title_words
from .issuer_domain import confirm_by_address
from .recurrence import confirm_recurring, recurring_names, support_recurring
from .vocabulary import (
    COMPANY_WORDS,
    CONNECTOR_WORDS,
    CREDENTIAL_NOUNS,
    GRANTING_WORDS,
    ORG_WORDS,
    PARENT_WORDS,
    PROVIDER_WORDS,
    SENTENCE_WORDS,
    SHARED_SECOND_LEVELS,
    SIGNATORY_WORDS,
    SUBUNIT_WORDS,
    TITLE_WORDS,
)

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
            keeps = [3] if labels[-2] in SHARED_SECOND_LEVELS else [2, 3]
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
        if m.tokens[-1].text.endswith("."):
            continue   # "... the property of the issuing body." names no one
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
    cands += _named_in_text(doc) + _named_in_caps(doc)
    cands += recurring_names(doc)
    cands = _not_the_holder(doc, cands)
    support_recurring(doc, cands)
    _support_longer_names(cands)
    _support_expansions(cands, _brands(doc, first_page))
    res = _best(cands, key=lambda c: fold(str(c.value)))
    confirm_recurring(doc, res)
    confirm_by_address(doc, res)
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
PERSON_LIKENESS = 0.5      # the name-likeness from which a line reads as a person's name
FRAGMENT_FACTOR = 0.15     # a sentence fragment ("and holds the ...")
WORDMARK_ORG = 0.3         # a one-word brand at the top: weaker than any organisation's name
WORDMARK_TOP = 0.2         # ... within this share of the page from the top
WORDMARK_LINES = 4         # ... and among its first lines
HEADING_MIN_ORG = 0.2      # a heading that reads less like an organisation than this is none
SIGNATORY_FACTOR = 0.3     # a signatory's job title, alone or with the body's name
HEADING_MAX_WORDS = 12
WRAP_SIZE_RATIO = 0.7      # two lines of one heading are printed in about the same size
WRAP_TAIL_WORDS = 2        # the words a heading's last line carries over ("Resource Management")
PARENT_FACTOR = 0.7        # a government or parent department printed above the body that grants
SHORTER_NAME_FACTOR = 0.9
SIGNED_ORG_FACTOR = 0.7
SIGNER_WORDS = 3           # a signatory's name printed over their title has at most this many words    # the body named after a signatory's title  # a name that is the start of a longer one printed elsewhere
LABEL_LIKE_FACTOR = 0.5    # capitalised words naming a document part ("Activity Transcript"), a "SURNAME, Given"


def _heads(norms: list[str], words: set[str]) -> bool:
    """Whether one of ``words`` heads an organisation's name in ``norms``: it ends the name, or
    "of"/"for"/... or another organisation word follows it ("Board of Nursing", "Society for ...",
    "Institute Ltd") or a country ends it ("Society UK", "Institute Ireland"), not a word it
    qualifies ("Office use only", "Board President")."""
    for k, n in enumerate(norms):
        if n in words:
            nxt = norms[k + 1] if k + 1 < len(norms) else None
            if nxt is None or nxt in CONNECTOR_WORDS or nxt in ORG_WORDS or nxt in COMPANY_WORDS \
                    or k + 2 == len(norms) and nxt in country_words():
                return True
    return False


def _sentence_like(words: list[str]) -> bool:
    """A sentence or a fragment of one, not a name: a lowercase word that is no connector ("By the
    authority vested in it, ..."), a verb of running text, or a full stop inside it."""
    for k, w in enumerate(words):
        core = w.strip(",;:()")
        if core[:1].islower() and fold_token(core) not in CONNECTOR_WORDS and len(core) > 1:
            return True
        if fold_token(core) in SENTENCE_WORDS:
            return True
        if k + 1 < len(words) and w.endswith(".") and len(core) > 4:
            return True
    return False


def org_likeness(words: list[str]) -> float:
    """0..1: how much ``words`` read as the name of a body that grants credentials."""
    norms = [fold_token(w) for w in words if fold_token(w)]
    if not norms:
        return 0.0
    if all(n in TITLE_WORDS or n in CONNECTOR_WORDS for n in norms):
        return 0.0
    if _heads(norms, GRANTING_WORDS):
        score = 1.0
    elif any(n in COMPANY_WORDS for n in norms[1:]):
        score = 0.9
    elif _heads(norms, ORG_WORDS):
        score = 0.8
    elif sum(w[:1].isupper() for w in words) >= 0.8 * sum(fold_token(w) not in CONNECTOR_WORDS for w in words):
        score = 0.35     # capitalised words: a brand or an acronym body
        if any(n in TITLE_WORDS for n in norms) or "," in " ".join(words):
            score *= LABEL_LIKE_FACTOR
    else:
        return 0.0
    if any(n in PARENT_WORDS for n in norms) and not _heads(norms, GRANTING_WORDS - {"department", "ministry"}):
        score *= PARENT_FACTOR
    if _subunit(norms):
        score *= SUBUNIT_FACTOR
    if any(n in PROVIDER_WORDS for n in norms) and not any(n in GRANTING_WORDS for n in norms):
        score *= PROVIDER_FACTOR
    if norms[0] in CONNECTOR_WORDS - {"the"} or norms[-1] in CONNECTOR_WORDS or not words[0][:1].isupper() \
            or _sentence_like(words):
        score *= FRAGMENT_FACTOR
    if name_likeness(words) >= PERSON_LIKENESS:
        score *= PERSON_FACTOR
    if any(n in SIGNATORY_WORDS for n in norms):
        score *= SIGNATORY_FACTOR   # "Board President", "Chair, Board of Directors": a signatory's title
    return score


TEXT_ORG_SCORE = 0.5       # an organisation named inside running text ("... the learning record of X.")
TEXT_ORG_MIN_WORDS = 2


def _named_in_text(doc) -> list[Candidate]:
    """Organisations named inside lines of running text, footers and e-mail senders: runs of
    capitalised words and connectors whose head is an organisation word, without the sentence
    words and document words around them ("... generated from the learning record of Royal Life
    Saving Society UK.", "From: The Linux Foundation Credentials <...>")."""
    out = []
    for ln in doc.layout.lines:
        if len(ln.tokens) < 4:
            continue   # a heading line or a label: the heading reader's
        run: list[Token] = []
        for k, t in enumerate(ln.tokens + [None]):
            if run and t is None and run[-1] is ln.tokens[-1] and _in_sentence(ln):
                run = run + _wrapped_on(doc, ln, run)   # "... seal of the Institution of Occupational Safety" / "and Health."
            if run and (t is None or t.seg != ln.tokens[k - 1].seg):
                found = _org_run(run)   # a name stays within its segment
                if found:
                    out.append(Candidate(" ".join(x.text for x in found).strip(",.;:()<>"), found,
                                         TEXT_ORG_SCORE * ocr_factor(found), "text"))
                run = []
            word = t.text.strip(",.;:()<>\"'") if t is not None else ""
            caps = bool(word) and (word[:1].isupper() or word == "&" or t.norm in CONNECTOR_WORDS and run) \
                and t.norm not in SENTENCE_WORDS and t.word.conf >= GARBAGE_BELOW and not word.isupper() or \
                (bool(word) and word.isupper() and len(word) <= 5 and run)   # an acronym inside a name ("UK")
            if caps and not any(c.isdigit() for c in word) and "@" not in t.text:
                run.append(t)
                if not t.text.endswith((",", ";", ":", ".")) or len(word) <= 3:
                    continue
            found = _org_run(run)
            if found:
                out.append(Candidate(" ".join(x.text for x in found).strip(",.;:()<>"), found,
                                     TEXT_ORG_SCORE * ocr_factor(found), "text"))
            run = []
    return out


CAPS_SHARE = 0.8          # a line this share of whose words are in capitals is set in caps
CAPS_LEFT_WORDS = 4       # words before an organisation word that may start its name in caps text
CAPS_JOINERS = {"and", "&", "und", "et"}   # connectors inside a name before its head ("Health and Care ... Council")
CAPS_CONNECTORS = CONNECTOR_WORDS - CAPS_JOINERS   # the connectors inside a caps name ("OF", "FOR", "IN", "THE")


def _named_in_caps(doc) -> list[Candidate]:
    """Organisations named inside running text set in capitals (a printout's small print: "THE
    ONLINE REGISTER OF / ARIZONA DEPARTMENT OF REAL ESTATE IS THE PRIMARY SOURCE."), which
    ``_named_in_text`` skips: capitals do not show where a name starts. A granting word heads it;
    the name runs back over the words before it to a connector or sentence word ("OF", "IS"),
    on to the previous line's words after its last connector when it starts a wrapped line, and
    on over "OF/FOR ... " words to a sentence word or a full stop."""
    out = []
    for ln in doc.layout.lines:
        words = [t for t in ln.tokens if any(c.isalpha() for c in t.text)]
        if len(ln.tokens) < 4 or not words or sum(t.text.isupper() for t in words) < CAPS_SHARE * len(words) \
                or not any(t.norm in SENTENCE_WORDS for t in ln.tokens):
            continue   # mixed case (``_named_in_text``), or a heading in caps (the heading reader's)
        toks = ln.tokens
        heads = [k for k, t in enumerate(toks) if t.norm in GRANTING_WORDS and _caps_word(t)]
        used = -1
        for k in heads:
            if k <= used:
                continue
            lo = k
            while lo > 0 and k - lo < CAPS_LEFT_WORDS and _caps_word(toks[lo - 1]) and toks[lo - 1].seg == toks[k].seg \
                    and (toks[lo - 1].norm not in CONNECTOR_WORDS or toks[lo - 1].norm in CAPS_JOINERS) \
                    and not toks[lo - 1].text.endswith((".", ",", ";", ":")):
                lo -= 1
            hi = _caps_tail(toks, k)
            if hi is None:
                continue   # "AUTHORITY OF THE BOARD": the body is the later one
            used = hi
            run = ([*_caps_carried(doc, ln), *toks[lo:hi + 1]] if lo == 0 else toks[lo:hi + 1])
            found = _org_run(run)
            if found:
                out.append(Candidate(" ".join(x.text for x in found).strip(",.;:()<>"), found,
                                     TEXT_ORG_SCORE * ocr_factor(found), "text"))
    return out


def _caps_tail(toks: list[Token], k: int) -> int | None:
    """The index of a caps name's last word from its head ``toks[k]``: the head alone, or on over
    a connector ("OF", "FOR", "IN") and the words after it to a sentence word or a stop; None when
    that connector leads to another granting body ("AUTHORITY OF THE BOARD")."""
    def joined(i: int) -> bool:
        return i < len(toks) and _caps_word(toks[i]) and toks[i].seg == toks[k].seg \
            and not toks[i - 1].text.endswith((".", ",", ";", ":"))
    if not joined(k + 1) or toks[k + 1].norm not in CAPS_CONNECTORS or toks[k + 1].norm == "the":
        return k
    hi = k + 1
    if joined(hi + 1) and toks[hi + 1].norm == "the":
        hi += 1
        if joined(hi + 1) and toks[hi + 1].norm in GRANTING_WORDS:
            return None
    while joined(hi + 1):
        hi += 1
    return hi


def _caps_word(t: Token) -> bool:
    """A word of a name in caps text: letters in capitals (or "&"), read surely enough, no sentence word."""
    word = t.text.strip(",.;:()<>\"'")
    return (word == "&" or (word.isupper() and word.isalpha())) and t.word.conf >= GARBAGE_BELOW \
        and t.norm not in SENTENCE_WORDS


def _caps_carried(doc, ln: Line) -> list[Token]:
    """The previous line's last words, after its last connector, when a caps sentence wraps inside
    a name ("... REGISTER OF NORTH" / "CAROLINA REAL ESTATE COMMISSION IS ...")."""
    if ln.number == 0:
        return []
    prev = doc.layout.lines[ln.number - 1]
    if prev.page != ln.page or ln.y - prev.y > 2.0 * max(ln.h, prev.h) or \
            min(ln.h, prev.h) < WRAP_SIZE_RATIO * max(ln.h, prev.h):
        return []
    tail: list[Token] = []
    for t in reversed(prev.tokens):
        if not _caps_word(t) or t.norm in CONNECTOR_WORDS or t.text.endswith((".", ",", ";", ":")) \
                or len(tail) >= CAPS_LEFT_WORDS:
            break
        tail.insert(0, t)
    reached_connector = len(tail) < len(prev.tokens) and prev.tokens[-len(tail) - 1].norm in CAPS_CONNECTORS
    return tail if tail and reached_connector else []


def _name_word(t: Token, run: list[Token]) -> bool:
    """Whether ``t`` can carry on an organisation's name in running text after ``run``."""
    word = t.text.strip(",.;:()<>\"'")
    return bool(word) and t.word.conf >= GARBAGE_BELOW and t.norm not in SENTENCE_WORDS \
        and not any(c.isdigit() for c in word) and "@" not in t.text \
        and (word[:1].isupper() or word == "&" or (t.norm in CONNECTOR_WORDS and bool(run)))


def _wrapped_on(doc, ln: Line, run: list[Token]) -> list[Token]:
    """The words of the next line that finish a name a line of running text ends in: the line
    ends on no punctuation, and the next, close below in the same type size, starts with the
    name's words, up to the first other word or a word ending a sentence."""
    if run[-1].text.endswith((",", ";", ":", ".", ")")) or ln.number + 1 >= len(doc.layout.lines):
        return []
    nxt = doc.layout.lines[ln.number + 1]
    if nxt.page != ln.page or nxt.y - ln.y > 2.0 * max(ln.h, nxt.h) or \
            min(ln.h, nxt.h) < WRAP_SIZE_RATIO * max(ln.h, nxt.h):
        return []
    out: list[Token] = []
    for t in nxt.segments()[0]:
        if not _name_word(t, run + out):
            break
        out.append(t)
        if t.text.endswith((",", ";", ":", ".")):
            break
    # the name's last words: up to a full stop, or words joined to it by a connector
    return out if out and (out[-1].text.endswith(".") or out[0].norm in CONNECTOR_WORDS) else []


def _in_sentence(ln: Line) -> bool:
    """A line of running text: a lowercase word in it that is no connector ("Given under the seal of")."""
    return any(t.text[:1].islower() and t.norm not in CONNECTOR_WORDS for t in ln.tokens)


def _org_run(run: list[Token]) -> list[Token] | None:
    """A run of capitalised words as an organisation's name: connectors and document words
    ("Credentials", "Registration") trimmed from its ends, its head an organisation word."""
    while run and (run[0].norm in CONNECTOR_WORDS - {"the"}):
        run = run[1:]
    while run and (run[-1].norm in CONNECTOR_WORDS or run[-1].norm.rstrip("s") in TITLE_WORDS):
        run = run[:-1]
    if len(run) < TEXT_ORG_MIN_WORDS:
        return None
    norms = [t.norm for t in run]
    if not (_heads(norms, GRANTING_WORDS) or _heads(norms, ORG_WORDS)) or name_likeness([t.text for t in run]) >= PERSON_LIKENESS:
        return None
    return run


def _not_the_holder(doc, cands: list[Candidate]) -> list[Candidate]:
    """Candidates that are not the holder's name: a person's name in big type at the top of a
    diploma is who it was granted to, not who granted it. A heading that names a body stays (the
    holder reader may have misread it)."""
    holder = doc.holder()
    if holder.value is None:
        return cands
    name, tokens = set(fold(str(holder.value)).split()), {id(t) for t in holder.tokens}
    return [c for c in cands if c.source != "heading" or org_likeness([t.text for t in c.tokens]) >= 0.8
            or not (tokens & {id(t) for t in c.tokens} or set(fold(str(c.value)).split()) == name)]


def _support_longer_names(cands: list[Candidate]) -> None:
    """A heading cut short ("Society for Human", "State Board of Cosmetology") supports the whole
    name printed elsewhere ("Society for Human Resource Management"): the longer name takes the
    better score."""
    for short in cands:
        words = fold(str(short.value)).split()
        for long in cands:
            longer = fold(str(long.value)).split()
            if long is not short and len(longer) > len(words) and any(
                    longer[k:k + len(words)] == words for k in range(len(longer) - len(words) + 1)):
                long.score = max(long.score, short.score)
                # a part of the same name agrees with it: no rival close behind it
                short.score = min(short.score * SHORTER_NAME_FACTOR, long.score - PART_OF_NAME_GAP)


PART_OF_NAME_GAP = 0.11      # below the longer name by more than a rival counts (candidates._best)
ACRONYM_AGREES = 0.05       # a name whose initials the page prints alone ("IOSH") gains over it ...
ACRONYM_SCORE_CAP = 0.78    # ... to no more than this: initials say which name, not that it is the issuer


def _support_expansions(cands: list[Candidate], brands: set[str]) -> None:
    """A name spelt out whose initials the page prints as a word of their own (a wordmark, or
    another candidate: "IOSH" over "... the Institution of Occupational Safety and Health.") is
    that body's name: it takes the acronym's score and a little more; the acronym yields to it."""
    shorts = {fold_token(str(c.value)): c for c in cands if " " not in str(c.value).strip()}
    for long in cands:
        words = str(long.value).split()
        if len(words) < 2:
            continue
        acro = initials(words)
        if len(acro) < 3 or not (acro in brands or acro in shorts):
            continue
        short = shorts.get(acro)
        lift = max(long.score, short.score if short else 0.0) + ACRONYM_AGREES
        long.score = max(long.score, min(lift, ACRONYM_SCORE_CAP))
        if short is not None:
            short.score = min(short.score, long.score - PART_OF_NAME_GAP)


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
    """Segments of a page joined with the next line's segment when one heading wraps onto it
    (see ``_wraps``), printed in about the same size and overlapping horizontally."""
    blocks: list[list[Token]] = []
    used: set[int] = set()
    for k, ln in enumerate(lines):
        for seg in ln.segments():
            if id(seg[0]) in used:
                continue
            block = list(seg)
            j = k
            while j + 1 < len(lines) and len(block) < HEADING_MAX_WORDS:
                nxt = _next_heading_line(doc, block, lines[j], lines[j + 1])
                if nxt is None:
                    break
                after = _next_heading_line(doc, nxt, lines[j + 1], lines[j + 2]) if j + 2 < len(lines) else None
                if not _wraps(block, nxt, after):
                    break
                block += nxt
                used.update(id(t) for t in nxt)
                j += 1
            blocks.append(block)
    return blocks


def _next_heading_line(doc, block: list[Token], cur_line: Line, nxt_line: Line) -> list[Token] | None:
    """The segment of the next line that could continue ``block``: close below it, overlapping it,
    in about the same type size."""
    if nxt_line.page != cur_line.page or nxt_line.y - cur_line.y > 2.0 * max(cur_line.h, nxt_line.h):
        return None
    nxt = _overlapping_segment(doc, block, nxt_line)
    if nxt is None:
        return None
    size_a = statistics.median(t.word.size for t in block)
    size_b = statistics.median(t.word.size for t in nxt)
    if min(size_a, size_b) < WRAP_SIZE_RATIO * max(size_a, size_b):
        return None
    return nxt


def _wraps(block: list[Token], nxt: list[Token], after: list[Token] | None) -> bool:
    """Whether ``nxt`` continues the heading ``block``: a line ending on a connector ("Texas State
    Board of") or a next line starting with one or in lowercase; a first line with no organisation
    word before one that has it ("Nursing and Midwifery" / "Board of Ireland"); or a short last
    line with none after a name that does not end on one ("Society for Human" / "Resource
    Management"), when nothing of the heading follows it."""
    if any(ch.isdigit() for t in nxt for ch in t.text) or _sentence_like([t.text for t in nxt]):
        return False
    if nxt[0].text.startswith("("):
        return False   # a note under the name ("(Set up by an Act of Parliament)")
    if block[-1].norm in CONNECTOR_WORDS or nxt[0].norm in CONNECTOR_WORDS or not nxt[0].text[:1].isupper():
        return True
    if fold_token(nxt[0].text) in SIGNATORY_WORDS or len(block) <= SIGNER_WORDS and \
            name_likeness([t.text for t in block]) >= PERSON_LIKENESS:
        return False   # a signatory's name over their title
    if len(nxt) == 1 and nxt[0].norm in TITLE_WORDS:
        return True   # a credential's title set over two lines ("High Risk Work" / "Licence")
    org_a = any(t.norm in ORG_WORDS for t in block)
    org_b = any(t.norm in ORG_WORDS for t in nxt)
    if not org_a and org_b:
        # not a parent's complete name ("Province of Ontario") nor a wordmark ("SHRM") above it
        return len(block) >= 2 and not any(t.norm in PARENT_WORDS for t in block)
    return (org_a and not org_b and block[-1].norm not in ORG_WORDS | COMPANY_WORDS
            and len(nxt) <= WRAP_TAIL_WORDS and after is None)


def _overlapping_segment(doc, block: list[Token], line: Line) -> list[Token] | None:
    x0, x1 = doc.layout.xspan(block)
    for seg in line.segments():
        s0, s1 = doc.layout.xspan(seg)
        if min(x1, s1) - max(x0, s0) > 0:
            return seg
    return None


def _heading_org(doc, lines: list[Line], big: float):
    scored = []
    brands = _brands(doc, lines)
    held = doc.holder_tokens
    for block in (part for b in heading_blocks(doc, lines) for cut in _at_separators(b) for part in _two_bodies(cut)):
        block = _without_marks([t for t in block if t.word.conf >= GARBAGE_BELOW])
        if not block:
            continue
        ln = block[0].line
        words = [t.text for t in block]
        text = " ".join(words).strip(" ·|-,;:")
        if len(words) > 1 and all(len(t.norm) <= 1 for t in block):
            continue   # a word set letter by letter ("C E R T I F I C A T E"): a document's title
        if len(words) == 1 and _wordmark(doc, block, big):
            scored.append([WORDMARK_ORG * (BLOCK_ORG + BLOCK_SIZE + BLOCK_TOP), block, text, WORDMARK_ORG])
            continue
        if not 2 <= len(words) <= HEADING_MAX_WORDS or any(ch.isdigit() for ch in text) or "www" in text.lower() \
                or "@" in text or (text.endswith(".") and len(words[-1]) > 5):   # a sentence, not "Co."
            continue
        if find_credential_type(text):
            continue   # a credential's name in big type ("PALS Provider") is no organisation
        if any(doc.ex.is_label_start(t) for t in block) or any(t.norm == "" and "." in t.text for t in block) \
                or any(t.text.endswith(":") for t in block[:-1]):
            continue   # a label and its value ("COMPLAINTS UPHELD ....: NONE ON FILE")
        org = org_likeness(words)
        if org < 0.8 and block[0].norm in brands and not any(
                t.norm in ORG_WORDS | GRANTING_WORDS | CONNECTOR_WORDS for t in block):
            # "IOSH Managing Safely" under a lone "IOSH": the brand's product, the brand grants it
            block, words, text = block[:1], words[:1], words[0].strip(" ·|-,;:")
            scored.append([WORDMARK_ORG * (BLOCK_ORG + BLOCK_SIZE + BLOCK_TOP) * BRAND_FACTOR, block, text, WORDMARK_ORG])
            continue
        titled = _after_title(block)
        if titled and org_likeness([t.text for t in titled]) * SIGNED_ORG_FACTOR > org:
            # "Registrar, The Harbour Board": the body a signatory signs for
            block, words = titled, [t.text for t in titled]
            text = " ".join(words).strip(" ·|-,;:")
            org = org_likeness(words) * SIGNED_ORG_FACTOR
        if org < HEADING_MIN_ORG or org < 0.8 and any(id(t) in held for t in block):
            continue   # not an organisation, or the holder's name in big type (see _not_the_holder)
        size = statistics.median(t.word.size for t in block)
        top = max(0.0, 1 - ln.y / ln.page_h)
        score = org * (BLOCK_ORG + BLOCK_SIZE * min(1.0, size / (big or 1)) + BLOCK_TOP * top)
        scored.append([score, block, text, org])
    for upper in scored:
        for lower in scored:
            if lower is not upper and _stacked_below(doc, upper[1], lower[1]) and lower[3] >= 0.8 \
                    and not _subunit([fold_token(t.text) for t in lower[1]]):
                upper[0] *= PARENT_FACTOR   # a parent above the body that grants ("U.S. Department of ...")
    best = max(scored, key=lambda b: b[0], default=None)
    return (best[1], best[2], best[3] >= 0.8) if best else None


SEPARATORS = {"|", "·", "•"}
BRAND_TOP = TOP_BAND_SHARE  # the share of the page from the top a wordmark stands in (the band OCR reads again)
BRAND_FACTOR = 1.2         # a brand printed alone and again at the head of its product's name


def _without_marks(block: list[Token]) -> list[Token]:
    """A heading without the marks at its ends that have no letter or digit (a logo's speck
    read as "@" or "§" before or after the name)."""
    start, end = 0, len(block)
    while start < end and not any(c.isalnum() for c in block[start].text):
        start += 1
    while end > start and not any(c.isalnum() for c in block[end - 1].text):
        end -= 1
    return block[start:end]


def _at_separators(block: list[Token]) -> list[list[Token]]:
    """A heading cut at the bars and dots set between two names ("COLLEGE OF NURSES OF ONTARIO |
    ORDRE DES INFIRMIERES ..."): each name on its own."""
    parts, cur = [], []
    for t in block:
        if t.text.strip() in SEPARATORS:
            if cur:
                parts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        parts.append(cur)
    return parts   # a bar at either end ("Royal Life Saving Society UK |") is no part of the name


def _brands(doc, lines: list[Line]) -> set[str]:
    """Words printed alone as a segment in the top zone of the first page (a wordmark: "IOSH",
    "SALESFORCE"), capitalised, no label, title or credential word."""
    out = set()
    for ln in lines:
        if ln.y >= BRAND_TOP * ln.page_h:
            break
        for seg in ln.segments():
            seg = [t for t in seg if t.word.conf >= GARBAGE_BELOW]
            if len(seg) == 1:
                word = seg[0].text.strip(" .,;:|")
                if len(word) >= 3 and word.isalpha() and word[:1].isupper() and not {seg[0].norm} & (TITLE_WORDS | ORG_WORDS | CREDENTIAL_NOUNS) \
                        and not doc.ex.is_label_start(seg[0]):
                    out.add(seg[0].norm)
    return out


def _two_bodies(block: list[Token]) -> list[list[Token]]:
    """A line naming two bodies one after the other, the place repeated ("NEW JERSEY DIVISION OF
    CONSUMER AFFAIRS NEW JERSEY BOARD OF NURSING"): each body on its own, so the one that grants
    can win over its parent or sub-unit. A government named before a body called after the same
    place ("GOVERNMENT OF CANADA TRANSPORT CANADA") is cut the same way."""
    first = block[0].norm
    if len(first) < 3 or first in CONNECTOR_WORDS:
        return [block]
    if first in PARENT_WORDS and len(block) >= 5 and block[1].norm in CONNECTOR_WORDS \
            and block[-1].norm == block[2].norm and block[3].norm not in CONNECTOR_WORDS:
        return [block[:3], block[3:]]
    for p in range(2, len(block) - 1):
        if block[p].norm == first:
            a, b = block[:p], block[p:]
            if _heads([t.norm for t in a], ORG_WORDS) and _heads([t.norm for t in b], ORG_WORDS):
                return [a, b]
    return [block]


def _wordmark(doc, block: list[Token], big: float) -> bool:
    """A one-word brand printed large at the top of the first page ("SOLAS", "Salesforce")."""
    tok = block[0]
    word = tok.text.strip(" .,;:|")
    return (tok.line.number < WORDMARK_LINES and tok.line.y < WORDMARK_TOP * tok.line.page_h
            and tok.word.size >= big and len(word) >= 3 and word.isalpha() and word[:1].isupper()
            and tok.norm not in TITLE_WORDS and tok.norm not in ORG_WORDS and not is_given_name(word)
            and not doc.ex.is_label_start(tok) and not find_credential_type(word))


def _after_title(block: list[Token]) -> list[Token] | None:
    """The words after a signatory's title at the start of a block ("Chief Executive Officer,
    ..."), or None when it does not start with one."""
    titles = title_words()
    k = 0
    while k < len(block) and fold_token(block[k].text) in titles:
        k += 1
        if block[k - 1].text.endswith(","):
            break
    rest = block[k:]
    signs = any(fold_token(t.text) in SIGNATORY_WORDS for t in block[:k])
    return rest if signs and len(rest) >= 2 else None


def _stacked_below(doc, upper: list[Token], lower: list[Token]) -> bool:
    """Whether ``lower`` starts on the line right under ``upper`` ends, overlapping it."""
    a, b = upper[-1].line, lower[0].line
    if b.page != a.page or b.number != a.number + 1 or b.y - a.y > 2.5 * max(a.h, b.h):
        return False
    x0, x1 = doc.layout.xspan(upper)
    s0, s1 = doc.layout.xspan(lower)
    return min(x1, s1) - max(x0, s0) > 0


def _subunit(norms: list[str]) -> bool:
    return any(n in SUBUNIT_WORDS and k + 1 < len(norms) and norms[k + 1] in CONNECTOR_WORDS
               for k, n in enumerate(norms)) and not _heads(norms, GRANTING_WORDS - SUBUNIT_WORDS)
