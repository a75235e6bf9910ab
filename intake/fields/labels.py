"""Label phrases on each line and the value token runs next to them (inline, right, below)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from ..dates import MONTHS
from ..layout import Layout, Line, Token, fold_token
from .candidates import FUZZY_BELOW, _junk_or_short
from .vocabulary import (
    CREDENTIAL_LABELS,
    CREDENTIAL_NOUNS,
    DATE_END_PREPOSITIONS,
    DATE_END_WORDS,
    DATE_QUALIFIER_WORDS,
    DATE_ROLES,
    DATE_START_PREPOSITIONS,
    DATE_START_WORDS,
    FAMILY_NAME_LABELS,
    GIVEN_NAME_LABELS,
    HOLDER_NOUNS,
    ID_NOUNS,
    ID_OWNER_NOUNS,
    MEMBERSHIP_NOUNS,
    NAME_OWNER_NOUNS,
    FILLER,
    HOLDER_INTROS,
    HOLDER_LABELS,
    ISSUER_LABELS,
    LICENSE_LABELS,
    LONE_LICENSE_LABELS,
    OTHER_LABELS,
    PERIOD_LABELS,
    WEAK_LICENSE_LABELS,
)


BESIDE_ROW = 1.0   # line heights between a label and a value set just off its baseline


def _skip_qualifiers(toks: list[Token]) -> list[Token]:
    """``toks`` without the filler, dot leaders and a parenthesised qualifier between a label and
    its value ("License no. (Michigan) ....: 4703379406")."""
    k, depth = 0, 0
    while k < len(toks):
        t = toks[k]
        if t.text.startswith("("):
            depth += 1
        if depth or t.norm in FILLER or t.norm == "":
            if t.text.endswith(")"):
                depth = max(0, depth - 1)
            k += 1
            continue
        break
    return toks[k:]


def _phrase_tokens(phrase: str) -> list[str]:
    return [fold_token(p) for p in re.split(r"[\s\-/]+", phrase) if fold_token(p)]


@dataclass
class LabelMatch:
    kind: str          # field or date role or "other"/"period"/"intro"
    phrase: str
    line: Line
    first: int         # index into line.tokens
    last: int          # inclusive
    strength: float

    @property
    def tokens(self) -> list[Token]:
        return self.line.tokens[self.first:self.last + 1]



def hint_label_kind(field_name: str) -> str:
    """The label kind a learned label stands for: a date field's label names a date role
    (the kind the date reader looks for), any other field's label names the field."""
    return {"issue_date": "date:issue", "expiry_date": "date:expiry"}.get(field_name, field_name)


def _label_table(hints: list[dict]) -> list[tuple[str, list[str], str, float]]:
    table: list[tuple[str, list[str], str, float]] = []
    for h in hints:
        if h.get("label"):
            table.append((hint_label_kind(h["field"]), _phrase_tokens(h["label"]), h["label"], 1.0))
    for phrase in LICENSE_LABELS:
        table.append(("license_number", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in WEAK_LICENSE_LABELS + LONE_LICENSE_LABELS:
        table.append(("license_number", _phrase_tokens(phrase), phrase, 0.75))
    for phrase in HOLDER_LABELS:
        table.append(("holder_name", _phrase_tokens(phrase), phrase, 0.8 if phrase == "name" else 1.0))
    for phrase in GIVEN_NAME_LABELS:
        table.append(("holder_given", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in FAMILY_NAME_LABELS:
        table.append(("holder_family", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in HOLDER_INTROS:
        table.append(("intro", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in CREDENTIAL_LABELS:
        table.append(("credential_type", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in ISSUER_LABELS:
        table.append(("issuer", _phrase_tokens(phrase), phrase, 1.0))
    for role, phrases in DATE_ROLES.items():
        for phrase in phrases:
            table.append((f"date:{role}", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in PERIOD_LABELS:
        table.append(("period", _phrase_tokens(phrase), phrase, 1.0))
    for phrase in OTHER_LABELS:
        table.append(("other", _phrase_tokens(phrase), phrase, 1.0))
    # longest phrases first so "original issue date" wins over "issue date"
    table.sort(key=lambda e: -sum(len(t) for t in e[1]))
    return table




def _tok_eq(a: str, b: str, fuzzy: bool) -> bool:
    if a == b:
        return True
    return fuzzy and len(b) >= 5 and len(a) >= 4 and abs(len(a) - len(b)) <= 2 and fuzz.ratio(a, b) >= 80


class _LabelIndex:
    """The label table indexed by first token and by joined phrase (for exact matching)."""

    def __init__(self, table):
        self.table = table
        self.by_first: dict[str, list] = {}
        self.by_joined: dict[str, list] = {}
        for rank, entry in enumerate(table):
            ptoks = entry[1]
            if not ptoks:
                continue
            self.by_first.setdefault(ptoks[0], []).append((rank, entry))
            if len(ptoks) > 1 and len("".join(ptoks)) >= 6:
                self.by_joined.setdefault("".join(ptoks), []).append((rank, entry))
        self._near: dict[tuple[str, bool], tuple[int, ...]] = {}

    def fuzzy_entries(self, norms: list[str], unsure: list[bool]) -> list:
        """The entries the fuzzy pass of ``_match_line`` can claim anything with, in table order:
        those whose first token equals or is (for an unsure token) OCR-close to a token of the
        line, and phrases whose joined form is close to an unsure token. The others cannot
        match, so skipping them gives the same matches without comparing every phrase with
        every token (the pass was a third of a scan's field reading)."""
        ranks: set[int] = set()
        for norm, fuzzy in zip(norms, unsure):
            near = self._near.get((norm, fuzzy))
            if near is None:
                if len(self._near) > 50_000:
                    self._near.clear()
                near = self._near[(norm, fuzzy)] = tuple(rank for rank, _ in self.by_first.get(norm, ())) if not fuzzy else tuple(
                    rank for rank, (_, ptoks, _, _) in enumerate(self.table) if ptoks and (
                        _tok_eq(norm, ptoks[0], fuzzy)
                        or (fuzzy and len(ptoks) > 1 and len(norm) >= 6 and abs(len(norm) - len("".join(ptoks))) <= 2
                            and fuzz.ratio(norm, "".join(ptoks)) >= 85)))
            ranks.update(near)
        return [self.table[rank] for rank in sorted(ranks)]


def _hint_key(hints: list[dict]) -> tuple:
    return tuple((h.get("field"), h.get("label")) for h in hints if h.get("label"))


_INDEXES: dict[tuple, _LabelIndex] = {}


def _label_index(hints: list[dict]) -> _LabelIndex:
    key = _hint_key(hints)
    index = _INDEXES.get(key)
    if index is None:
        if len(_INDEXES) > 256:
            _INDEXES.clear()
        index = _INDEXES[key] = _LabelIndex(_label_table(hints))
    return index


class Extractor:
    """Runs every field extractor over one document's layout."""

    def __init__(self, layout: Layout, hints: list[dict] | None = None):
        self.layout = layout
        self.hints = [h for h in (hints or []) if isinstance(h, dict) and h.get("field")]
        self.index = _label_index(self.hints)
        self.table = self.index.table
        self.labels: dict[int, list[LabelMatch]] = {}
        for line in layout.lines:
            self.labels[line.number] = self._match_line(line)
        self.label_starts = {(m.line.number, m.first): m for ms in self.labels.values() for m in ms}

    # -- labels -----------------------------------------------------------------
    def _match_line(self, line: Line) -> list[LabelMatch]:
        """Label phrases on a line: exact spellings first, then OCR-fuzzy ones.

        Longer phrases claim their words first ("original issue date" before
        "issue date"). Fuzzy matching (an OCR misread like "Expiratlon")
        applies only to tokens OCR was unsure of, and only after every exact
        match on the line is taken, so a near-spelling never steals a word
        that is exactly another label ("Issued" is not "Issuer",
        "Certification" is not "Recertification").
        """
        norms = [t.norm for t in line.tokens]
        unsure = [t.word.conf < FUZZY_BELOW for t in line.tokens]
        taken = [False] * len(norms)
        out: list[LabelMatch] = []

        def claim(kind, phrase, strength, i, n) -> None:
            out.append(LabelMatch(kind, phrase, line, i, i + n - 1, strength))
            for k in range(n):
                taken[i + k] = True

        # exact: (rank, merged?, position) in table order, as one pass over the table would
        found = []
        for i, norm in enumerate(norms):
            for rank, entry in self.index.by_first.get(norm, ()):
                n = len(entry[1])
                if norms[i:i + n] == entry[1]:
                    found.append((rank, 0, i, n, entry))
            for rank, entry in self.index.by_joined.get(norm, ()):
                found.append((rank, 1, i, 1, entry))
        for rank, _, i, n, (kind, ptoks, phrase, strength) in sorted(found, key=lambda f: f[:3]):
            if not any(taken[i:i + n]) and line.tokens[i].seg == line.tokens[i + n - 1].seg:
                claim(kind, phrase, strength, i, n)
        if any(u and not t for u, t in zip(unsure, taken)):
            for kind, ptoks, phrase, strength in self.index.fuzzy_entries(norms, unsure):
                n = len(ptoks)
                if not n:
                    continue
                for i in range(len(norms) - n + 1):
                    if any(taken[i:i + n]) or not any(unsure[i:i + n]):
                        continue
                    if line.tokens[i].seg != line.tokens[i + n - 1].seg:
                        continue   # a phrase never spans two segments
                    if all(_tok_eq(norms[i + k], ptoks[k], unsure[i + k]) for k in range(n)):
                        claim(kind, phrase, strength, i, n)
                # merged OCR tokens ("DateIssued"): a single token close to the joined phrase
                if n > 1:
                    joined = "".join(ptoks)
                    for i, norm in enumerate(norms):
                        if (not taken[i] and unsure[i] and len(norm) >= 6 and abs(len(norm) - len(joined)) <= 2
                                and fuzz.ratio(norm, joined) >= 85):
                            claim(kind, phrase, strength, i, 1)
        out = [m for m in out if m.phrase not in LONE_LICENSE_LABELS or len(line.segment(line.tokens[m.first].seg)) == 1]
        out = _id_compounds(line, out)
        out = _holder_compounds(line, out)
        out = _date_cue_labels(line, out)
        out.sort(key=lambda m: m.first)
        return out

    def is_label_start(self, tok: Token) -> LabelMatch | None:
        m = self.label_starts.get((tok.line.number, tok.line.tokens.index(tok)))
        if m and m.kind != "intro":
            return m
        return None

    def matches(self, kind: str) -> list[LabelMatch]:
        return [m for ms in self.labels.values() for m in ms if m.kind == kind]

    # -- neighbours of a label ----------------------------------------------------
    def values_for(self, m: LabelMatch, allow_below: bool = True) -> list[tuple[list[Token], str]]:
        """Candidate value token runs for label ``m``: inline, right (on its line or, in a value
        column printed a little off the label's baseline, the next or previous line), below."""
        line, out = m.line, []
        seg = line.tokens[m.last].seg
        rest = _skip_qualifiers([t for t in line.tokens[m.last + 1:] if t.seg == seg])
        rest = self._until_label(rest)
        if rest and len(rest) == 1 and _junk_or_short(rest[0]):
            rest = []   # an OCR remnant of the label ("CERTIFICATE ip" for "ID") or a rule line
        colon = line.tokens[m.last].text.endswith(":") or (m.last + 1 < len(line.tokens) and line.tokens[m.last + 1].text in (":", "#"))
        if rest:
            out.append((rest, "inline" if colon or m.first == 0 or line.tokens[m.first - 1].seg != seg else "sentence"))
        segs = [s for s in line.segments() if s[0].seg == seg or _skip_qualifiers(s)]
        idx = next((k for k, s in enumerate(segs) if s[0].seg == seg), None)
        lx1 = self.layout.xspan(m.tokens)[1]
        if not rest and idx is not None and idx + 1 < len(segs):
            right = _skip_qualifiers(segs[idx + 1])
            if not self.is_label_start(right[0]):
                # a far value after a label without a colon is often the next column
                rx0 = self.layout.xspan(right)[0]
                far = (rx0 - lx1) > 12 * max(line.h, 1) and not colon
                out.append((self._until_label(right), "right_far" if far else "right"))
        elif not rest and idx is not None and idx + 1 == len(segs):
            beside = self._beside(m, lx1)
            if beside:
                out.append((self._until_label(beside), "right"))
        if not rest and allow_below:
            x0, x1 = self.layout.xspan(m.tokens)
            for _, below in self.layout.below(line, x0, x1, max_lines=1):
                if not self.is_label_start(below[0]):
                    out.append((self._until_label(below), "below"))
        return [(toks, pos) for toks, pos in out if toks]

    def _beside(self, m: LabelMatch, lx1: float) -> list[Token] | None:
        """The first segment right of a label that ends its line, on a line just above or below it
        (a value column set off the label's baseline)."""
        line, best = m.line, None
        for k in (line.number - 1, line.number + 1):
            if not 0 <= k < len(self.layout.lines):
                continue
            other = self.layout.lines[k]
            if other.page != line.page or abs(other.y - line.y) > BESIDE_ROW * max(line.h, other.h):
                continue
            right = [s for s in other.segments() if self.layout.xspan(s)[0] > lx1]
            if not right or len(right) != len(other.segments()):
                continue   # the other line has words left of the value: a row of its own
            dist = abs(other.y - line.y)
            if (best is None or dist < best[0]) and not self.is_label_start(right[0][0]):
                best = (dist, right[0])
        return best[1] if best else None

    def _until_label(self, toks: list[Token]) -> list[Token]:
        for k, t in enumerate(toks):
            if k and self.is_label_start(t):
                return toks[:k]
        return toks


# -- labels by the meaning of their words ------------------------------------------
# Strengths of labels read from word meanings rather than a listed phrase.
ID_COMPOUND_STRENGTH = 1.0       # "Licence Ref.", "Register entry no.": the credential's own number
MEMBERSHIP_ID_STRENGTH = 0.8     # "Member No.": the holder's entry in the register, when nothing better
DATE_CUE_STRENGTH = 0.85         # "Evaluated on", "Registration ends": a date role from its words
ID_HEAD_REACH = 3                # words back from the identifier noun to the noun it belongs to
CUE_RUN_MAX = 6                  # words of a run read as a label (longer runs are sentences)
_FIELD_KINDS = ("license_number", "holder_name", "credential_type", "issuer", "intro")


def _words(tok: Token) -> list[str]:
    """The folded words of a token, split at slashes and dots ("ISSUED/RENEWED", "Reg.No")."""
    return [fold_token(w) for w in re.split(r"[/.\\]+", tok.text) if fold_token(w)]


def _id_compounds(line: Line, found: list[LabelMatch]) -> list[LabelMatch]:
    """Labels ending on an identifier noun, typed by the noun they belong to.

    "LICENCE REF." is the licence's number even though "licence" and "ref" are
    each a different label alone; "Learner No." is a learner's number, not the
    credential's. Listed phrases that cover the whole compound stand.
    """
    toks = line.tokens
    for i, tok in enumerate(toks):
        if tok.norm not in ID_NOUNS and tok.text.strip(".:") != "#":
            continue
        kind = strength = None
        j = i - 1
        while j >= max(0, i - ID_HEAD_REACH) and toks[j].seg == tok.seg and not any(c.isdigit() for c in toks[j].text):
            words = set(_words(toks[j]))
            if words & ID_OWNER_NOUNS:
                kind, strength = "other", 1.0
            elif words & CREDENTIAL_NOUNS:
                kind, strength = "license_number", ID_COMPOUND_STRENGTH
            elif words & MEMBERSHIP_NOUNS:
                kind, strength = "license_number", MEMBERSHIP_ID_STRENGTH
            if kind:
                break
            j -= 1
        if not kind:
            continue
        inside = [m for m in found if m.first <= i and m.last >= j]
        if any(m.first <= j and m.last >= i for m in inside):
            continue   # a listed phrase already spans it ("certificate number", "learner number")
        if any(m.first < j or m.last > i for m in inside):
            continue   # a longer phrase overlaps one end: leave it
        found = [m for m in found if m not in inside]
        phrase = " ".join(t.text for t in toks[j:i + 1])
        found.append(LabelMatch(kind, phrase, line, j, i, strength))
    return found


HOLDER_COMPOUND_STRENGTH = 0.9   # "Practitioner name", "Licensed individual": the holder, by its noun
HOLDER_LABEL_WORDS = 3           # the words such a label has at most


def _holder_compounds(line: Line, found: list[LabelMatch]) -> list[LabelMatch]:
    """Labels that end on a person noun, or on "name" after one, as a segment's first words:
    the holder's ("PRACTITIONER NAME ....:", "Licensed individual"). "Name" after an owner noun
    ("Course name") is someone else's: an other label."""
    toks = line.tokens
    for seg in line.segments():
        first = toks.index(seg[0])
        words = []
        for t in seg[:HOLDER_LABEL_WORDS]:
            if any(c.isdigit() for c in t.text) or t.norm == "":
                break
            words.append(t)
            if t.text.endswith(":"):
                break
        for n in range(len(words), 1 if words and words[-1].norm == "name" else 0, -1):
            last = words[n - 1].norm
            before = {w.norm for w in words[:n - 1]}
            if last == "name" and before & NAME_OWNER_NOUNS:
                kind = "other"
            elif last == "name" and before & HOLDER_NOUNS or last in HOLDER_NOUNS and (
                    n == 1 or n == 2 and words[0].norm.endswith("ed")):
                kind = "holder_name"   # "Permittee", "Licensed individual"; not "Australian Health Practitioner"
            else:
                continue
            lo, hi = first, first + n - 1
            inside = [m for m in found if m.first <= hi and m.last >= lo]
            if any(m.first <= lo and m.last >= hi for m in inside) or any(m.first < lo or m.last > hi for m in inside):
                break   # a listed phrase spans it or overlaps it
            found = [m for m in found if m not in inside]
            found.append(LabelMatch(kind, " ".join(t.text for t in words[:n]), line, lo, hi, HOLDER_COMPOUND_STRENGTH))
            break
    return found


def _date_cue_labels(line: Line, found: list[LabelMatch]) -> list[LabelMatch]:
    """``found`` plus date-role labels read from word meanings, in runs of words no label claimed.

    A run is a stretch of one segment without digits, parentheses or a listed
    label (the generic "Date" may be part of it); its role comes from a
    qualifier anywhere in it ("first registered" is the original grant,
    "date de naissance" a birth date), else from the start or end word nearest
    its end, the side the value follows on.
    """
    toks = line.tokens
    generic = [m for m in found if m.kind == "other" and m.phrase == "date"]
    claimed = {k for m in found if m not in generic for k in range(m.first, m.last + 1)}

    def free(i: int) -> bool:
        text = toks[i].text
        return i not in claimed and not any(c.isdigit() for c in text) and not text.startswith("(") \
            and not text.endswith(")") and toks[i].norm != "" and text.lower().strip(".,") not in MONTHS

    runs: list[list[int]] = []
    for i in range(len(toks)):
        if not free(i):
            continue
        if runs and runs[-1][-1] == i - 1 and toks[i - 1].seg == toks[i].seg and not toks[i - 1].text.endswith(":"):
            runs[-1].append(i)
        else:
            runs.append([i])
    out = list(found)
    for run in runs:
        whole = run[0] == 0 or toks[run[0] - 1].seg != toks[run[0]].seg   # the run starts its segment
        role = _cue_role([_words(toks[k]) for k in run], whole) if len(run) <= CUE_RUN_MAX else None
        if role is None:
            continue
        first, last = run[0], run[-1]
        out = [m for m in out if not (m in generic and first <= m.first and m.last <= last)]
        out.append(LabelMatch(f"date:{role}", " ".join(toks[k].text for k in run), line, first, last,
                              DATE_CUE_STRENGTH))
    return out


CUE_TAIL = 2     # words from a run's end a start/end word may stand in a run that starts mid-segment


def _cue_role(run: list[list[str]], whole: bool) -> str | None:
    """A date role from a run's words (each token's words): a qualifier anywhere; a preposition as
    the run's last word; a start or end word anywhere in a run that is its segment's label, else
    among its last words."""
    for words in run:
        for qualifier, cue in DATE_QUALIFIER_WORDS.items():
            if set(words) & cue:
                return qualifier
    last = run[-1][-1:] if run[-1] else []
    if set(last) & DATE_END_PREPOSITIONS:
        return "expiry"
    if set(last) & DATE_START_PREPOSITIONS:
        return "issue"
    for words in reversed(run if whole else run[-CUE_TAIL:]):
        if set(words) & DATE_END_WORDS:
            return "expiry"
        if set(words) & DATE_START_WORDS:
            return "issue"
    return None
