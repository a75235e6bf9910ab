"""Field extraction from the word model: labels, layout, validators, confidence.

For every field there are label synonyms (as invoice2data's templates keep
them); a value is read inline after its label, in the segment to its right,
or in the segment below it, skipping neighbours that are labels themselves.
Dates get a role (issue, expiry, birth, print, exam, ...) from the nearest
label before them on the line, from a column header above, or from a range
("valid from X to Y", "X through Y"). Each candidate carries a score built
from label strength, position, validator pass and OCR word confidence; the
best candidate per field wins and its score is the field's confidence.
"""
from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlparse

from rapidfuzz import fuzz

from . import dates as D
from .directory import Issuer, find_credential_type, find_issuer, fold, load_directory
from .layout import Layout, Line, Token, fold_token

# --- label tables ------------------------------------------------------------

LICENSE_LABELS = [
    "license number", "license no", "license #", "licence number", "licence no", "licence #",
    "lic no", "lic #", "lic number", "license id", "licence id",
    "certificate number", "certificate no", "certificate #", "certificate id", "certificate code",
    "cert no", "cert #", "cert id", "cert number", "certification number", "certification no",
    "certification #", "certification id", "credential id", "credential number", "credential no",
    "credential #", "ecard code", "ecard number", "ecard id", "validation number", "validation no",
    "validation code", "registration number", "registration no", "registration #", "registry number",
    "registry no", "card number", "card no", "card #", "card id", "id no", "id number", "id #",
    "verification code", "verification number", "permit number", "permit no", "permit #", "permit id",
    "pin", "id-no",
    "registrant number", "register number", "qualification number", "award number",
]
WEAK_LICENSE_LABELS = ["license", "licence", "number", "no", "id", "ecard", "certificate"]
HOLDER_LABELS = [
    "holder name", "name of holder", "holder", "name", "full name", "licensee name", "licensee",
    "certificant name", "certificant", "cardholder name", "cardholder", "card holder",
    "candidate name", "student name", "participant name", "participant", "trainee name", "trainee",
    "employee name", "recipient name", "recipient", "registrant name", "registrant", "issued to",
    "awarded to", "presented to", "nurse name", "member name", "operator name", "worker name",
    "name of licensee", "name of registrant", "learner name", "delegate name", "delegate",
]
HOLDER_INTROS = [
    "this is to certify that", "this certifies that", "this is to confirm that", "hereby certifies that",
    "certifies that", "certify that", "be it known that", "know all persons by these presents that",
    "is hereby awarded to", "this certificate is awarded to", "this card certifies that",
    "presented to", "awarded to", "confirms that", "this is to certify",
]
CREDENTIAL_LABELS = [
    "credential", "credential type", "license type", "licence type", "profession", "program",
    "programme", "certification", "certification type", "course", "course title", "course name",
    "qualification", "card type", "certificate type", "occupation", "discipline", "classification",
    "scheme", "designation", "award", "certificate title", "license class", "trade",
]
ISSUER_LABELS = [
    "issued by", "issuing body", "issuing authority", "issuing organization", "issuing organisation",
    "awarding body", "certifying body", "certification body", "licensing authority", "issuer",
]
OTHER_LABELS = [
    "candidate id", "candidate number", "candidate no", "exam code", "exam id", "exam number",
    "order number", "order no", "training center id", "training centre id", "training center",
    "employee no", "employee number", "employee id", "reference", "ref", "receipt no", "receipt number",
    "batch", "phone", "tel", "telephone", "fax", "zip", "postcode", "member id", "customer id", "case",
    "case number", "invoice", "course id", "course code", "site id", "instructor id", "student id",
    "learner id", "ticket", "fee paid", "status", "certification status", "contact hours", "ce hours",
    "city state zip", "city", "address", "instructor", "trainer", "evaluator", "examiner", "signature",
    "page", "public record actions", "member since", "email", "website", "tel no", "mobile",
    "license status", "date", "score", "grade", "hours", "location", "exam", "exam passed",
]
DATE_ROLES = {
    "expiry": [
        "expiration date", "expiry date", "date of expiry", "expires on", "expires", "expiration",
        "expiry", "exp date", "exp", "valid until", "valid through", "valid thru", "valid to",
        "valid till", "good through", "good thru", "recommended renewal date", "renewal date",
        "renew by", "renewal due", "re evaluation due", "reevaluation due", "re-evaluation due",
        "recertification due", "recertification date", "next renewal", "gultig bis", "ablaufdatum",
        "expire", "card expires", "registration expires", "license expires", "until",
        "date of expiration", "expiration dt", "exp dt", "due for renewal", "renewal",
    ],
    "issue": [
        "issue date", "date issued", "date of issue", "issued on", "issued", "issuance date",
        "granted on", "granted", "date granted", "certified on", "certified", "date certified",
        "certification date", "date of certification", "date of achievement", "achievement date",
        "achieved", "awarded on", "awarded", "date awarded", "completion date", "date of completion",
        "date completed", "completed on", "course completed", "completed", "effective date",
        "effective", "valid from", "registration date", "date of registration", "earned on", "earned",
        "issued date", "start date", "from", "ausstellungsdatum", "renewed", "renewal issued",
        "date of award", "passed on", "course date", "training date", "date of training",
    ],
    "original": [
        "original issue date", "original issue", "originally issued", "first issued",
        "original certification date", "original license date", "initial certification",
        "date of original issue", "original", "initial issue date", "initially certified",
        "original grant date", "licensed since", "initial licensure",
    ],
    "birth": ["date of birth", "birth date", "birthdate", "dob", "born", "geburtsdatum"],
    "print": [
        "date printed", "printed on", "printed", "print date", "generated on", "generated", "as of",
        "data current", "report date", "lookup date", "retrieved", "accessed",
    ],
    "exam": [
        "exam date", "exam passed", "examination date", "date of exam", "test date", "exam",
        "examination", "assessment date", "date of examination",
    ],
    "ce": [
        "ce deadline", "ce due", "cpe due", "ceu due", "ce due date", "continuing education",
        "reported by", "report by", "cpe deadline", "pdu due",
    ],
    "member": ["member since", "since"],
}
PERIOD_LABELS = [
    "certification period", "registration period", "validity period", "period of validity", "valid",
    "period", "license period", "licence period", "registration valid", "valid for the period",
    "valid from", "term", "validity", "dates",
]
RANGE_WORDS = {"to", "through", "thru", "until", "till", "-", "–", "—", "bis", "au"}
FILLER = {"is", "was", "are", "of", ":", "#", "no", "no.", "-", "–", "number", "the", "on", "=", "in"}
SIGNATORY_WORDS = {
    "director", "president", "officer", "manager", "instructor", "evaluator", "examiner", "coordinator",
    "chair", "chairman", "registrar", "secretary", "head", "vice", "chief", "executive", "trainer",
    "signature", "signed", "authorized", "authorised", "commissioner", "dean", "superintendent",
}
NAME_STOP = {
    "has", "have", "successfully", "completed", "the", "of", "and", "for", "certificate", "certification",
    "is", "was", "been", "that", "to", "on", "in", "at", "by", "with", "license", "licence", "course",
    "training", "card", "program", "dear", "date", "number", "no", "this", "hereby", "awarded", "valid",
    "name", "holder", "issued", "expires", "expiration", "status", "verify", "www", "http", "https",
    "department", "association", "board", "institute", "council", "university", "services", "inc",
    "llc", "ltd", "gmbh", "co", "company", "corporation", "registered", "nurse", "provider", "member",
    "attended", "passed", "received", "requirements", "credential", "achievement", "american",
    "we", "you", "your", "are", "our", "please", "pleased", "thank", "congratulations", "signature",
    "printed", "page", "enclosed", "find", "sincerely", "regards", "respectfully", "re",
}
NAME_PARTICLES = {"de", "van", "von", "da", "del", "der", "den", "la", "le", "bin", "al", "di", "du", "dos", "ter", "y"}
GENERIC_ADDRESSEES = {"certificant", "candidate", "sir", "madam", "colleague", "member", "customer",
                      "applicant", "licensee", "student", "participant", "holder", "nurse", "learner"}
ORG_WORDS = {
    "association", "department", "board", "institute", "council", "commission", "agency", "society",
    "university", "college", "academy", "authority", "administration", "inc", "llc", "ltd", "limited",
    "gmbh", "co", "company", "corp", "corporation", "group", "services", "foundation", "scheme",
    "federation", "organization", "organisation", "centre", "center", "school", "ministry", "office",
    "bureau", "division", "registry", "ag", "plc", "sa", "bv", "trust", "ambulance", "cross", "consortium",
}
TITLE_WORDS = {"certificate", "certification", "license", "licence", "card", "verification", "lookup",
               "details", "results", "record", "achievement", "completion", "diploma", "award", "of",
               "wallet", "pocket", "information", "credential", "registration", "renewal", "notice",
               "confirmation", "letter", "course", "training", "permit", "statement", "transcript"}
_NOT_NAMES = {"details", "results", "lookup", "services", "actions", "public", "record", "information",
              "street", "avenue", "road", "suite", "drive", "lane", "signature", "cardholder", "state",
              "united", "states", "kingdom", "america", "official", "active", "current", "none"}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}


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


@dataclass
class Candidate:
    value: object
    tokens: list[Token]
    score: float
    source: str
    extra: dict = field(default_factory=dict)


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
    for phrase in WEAK_LICENSE_LABELS:
        table.append(("license_number", _phrase_tokens(phrase), phrase, 0.75))
    for phrase in HOLDER_LABELS:
        table.append(("holder_name", _phrase_tokens(phrase), phrase, 0.8 if phrase == "name" else 1.0))
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


FUZZY_BELOW = 0.9   # an OCR token read at least this confidently is taken as spelt


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
            for kind, ptoks, phrase, strength in self.table:
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
        """Candidate value token runs for label ``m``: inline, right, below."""
        line, out = m.line, []
        seg = line.tokens[m.last].seg
        rest = [t for t in line.tokens[m.last + 1:] if t.seg == seg]
        while rest and (rest[0].norm in FILLER or rest[0].norm == "" ):
            rest = rest[1:]
        rest = self._until_label(rest)
        if rest and len(rest) == 1 and _junk_or_short(rest[0]):
            rest = []   # an OCR remnant of the label ("CERTIFICATE ip" for "ID") or a rule line
        colon = line.tokens[m.last].text.endswith(":") or (m.last + 1 < len(line.tokens) and line.tokens[m.last + 1].text in (":", "#"))
        if rest:
            out.append((rest, "inline" if colon or m.first == 0 or line.tokens[m.first - 1].seg != seg else "sentence"))
            if len(out[0][0]) and out[0][1] == "sentence":
                pass
        segs = line.segments()
        idx = next((k for k, s in enumerate(segs) if s[0].seg == seg), None)
        if not rest and idx is not None and idx + 1 < len(segs):
            right = segs[idx + 1]
            if not self.is_label_start(right[0]):
                # a far value after a label without a colon is often the next column
                lx1 = self.layout.xspan(m.tokens)[1]
                rx0 = self.layout.xspan(right)[0]
                far = (rx0 - lx1) > 12 * max(line.h, 1) and not colon
                out.append((self._until_label(right), "right_far" if far else "right"))
        if not rest and allow_below:
            x0, x1 = self.layout.xspan(m.tokens)
            for _, below in self.layout.below(line, x0, x1, max_lines=1):
                if not self.is_label_start(below[0]):
                    out.append((self._until_label(below), "below"))
        return [(toks, pos) for toks, pos in out if toks]

    def _until_label(self, toks: list[Token]) -> list[Token]:
        for k, t in enumerate(toks):
            if k and self.is_label_start(t):
                return toks[:k]
        return toks


# --- helpers -------------------------------------------------------------------

GARBAGE_BELOW = 0.4     # OCR words below this confidence are mostly logo and rule noise


_SHARED_SUFFIXES = {"gov", "co", "org", "ac", "com", "net", "edu", "uk"}   # second levels many bodies share


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
            keeps = [3] if labels[-2] in _SHARED_SUFFIXES else [2, 3]
            for keep in keeps:
                if len(labels) >= keep and labels[-keep] != "www":
                    owners.setdefault(".".join(labels[-keep:]), set()).add(issuer.code)
    pairs = [(d, by_code[next(iter(c))]) for d, c in owners.items() if len(c) == 1]
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))


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


_ID_TOKEN = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]*[A-Z0-9]$|^[0-9]$", re.I)


def parse_license(tokens: list[Token]) -> tuple[str, list[Token]] | None:
    """The ID-shaped value at the start of ``tokens`` (e.g. 'RN 995882', 'M268-MH9R')."""
    parts, used = [], []
    for k, t in enumerate(tokens[:4]):
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
                if text.isupper() and len(text) <= 4 and nxt and any(c.isdigit() for c in nxt):
                    parts.append(text)
                    used.append(t)
                    continue
                break
            parts.append(text)
            used.append(t)
            continue
        if has_digit and (parts[-1].isalpha() or len(text) >= 3 and text.isalnum() and parts[-1][-1].isdigit() and len(parts) < 3 and t.line is used[-1].line and _gap_small(used[-1], t)):
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
    return (b.word.x0 - a.word.x1) < 2.5 * max(a.word.height, 1e-6) * (1 if a.word.page else 1)


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


def id_ambiguity(value: str, issuer: Issuer | None) -> bool:
    """Whether an OCR-read ID could as well be another ID (a letter/digit confusion left open).

    A part (between spaces or dashes) of only digits or only letters is read
    in one character class; a mixed part with confusable characters is ambiguous unless exactly one reading
    fits the issuer's patterns.
    """
    parts = [p for p in re.split(r"[\s\-/.]+", value) if p]
    if not any(any(c.isdigit() for c in p) and any(c.isalpha() for c in p) and any(c in _CONFUSABLE for c in p)
               for p in parts):
        return False   # every part is all digits or all letters ("RN 995882", "HVW-40917")
    if issuer and issuer.license_number_patterns:
        return len(_pattern_fits(issuer, value)) != 1
    return True


def clean_name(text: str) -> str:
    text = text.strip(" ,;:")
    if "," in text:
        last, _, first = text.partition(",")
        first_parts = first.split()
        suffix = [p for p in first_parts if p.lower().strip(".") in _SUFFIXES]
        first_parts = [p for p in first_parts if p not in suffix]
        if first_parts and last.strip():
            text = " ".join(first_parts + [last.strip()] + suffix)
        else:
            text = text.replace(",", "")
    text = " ".join(text.split())
    if text.isupper():
        text = " ".join(w if w.lower().strip(".") in ("ii", "iii", "iv") else w.title() for w in text.split())
    return text


_STRAY = "\"'‘’“”`|«»"   # quote marks and bars OCR reads from specks and rules next to words


def _name_part(t: Token) -> str:
    return t.text.strip(_STRAY) if t.word.conf < 1.0 else t.text


def parse_name(tokens: list[Token]) -> tuple[str, list[Token]] | None:
    used = []
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
    if any(fold_token(p) in TITLE_WORDS or fold_token(p) in _NOT_NAMES for p in parts):
        return None
    if any(not p[:1].isupper() and fold_token(p) not in NAME_PARTICLES for p in parts):
        return None   # every part of a name is capitalised
    text = " ".join(parts)
    if not re.search(r"[A-ZÀ-Þ]", text):
        return None   # names are capitalised
    return clean_name(text), used


# --- field extractors ------------------------------------------------------------

@dataclass
class FieldResult:
    value: object = None
    confidence: float = 0.0
    tokens: list[Token] = field(default_factory=list)
    source: str = ""
    cap: float = 0.99       # the most confidence this value can earn (agreement cannot lift it)


OCR_ID_CAP = 0.85

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


class DocumentFields:
    """Reads all fields of one document."""

    def __init__(self, layout: Layout, hints: list[dict] | None = None, locale: str | None = None):
        self.layout = layout
        self.ex = Extractor(layout, hints)
        self.hints = self.ex.hints
        self.locale_hint = locale
        self.issuer_entry: Issuer | None = None
        self.holder_tokens: set[int] = set()

    # issuer --------------------------------------------------------------------
    def issuer(self) -> FieldResult:
        cands: list[Candidate] = []
        lines = self.layout.lines
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
        for m in self.ex.matches("issuer"):
            for toks, pos in self.ex.values_for(m):
                text = " ".join(t.text for t in toks).strip(" .,:")
                found = find_issuer(text)
                if found:
                    cands.append(Candidate(found[0].name, toks, 0.95 * ocr_factor(toks), "issued_by", {"entry": found[0]}))
                elif len(text) > 3:
                    cands.append(Candidate(text, toks, 0.75 * ocr_factor(toks), "issued_by"))
                break
        # a directory issuer's web domain printed on the page ("heart.org/cpr")
        domains = _issuer_domains()
        for t in self.layout.tokens:
            low = t.text.lower()
            if "." not in low or t.word.conf < GARBAGE_BELOW:
                continue
            for domain, entry in domains:
                if re.search(rf"(?<![a-z0-9-]){re.escape(domain)}(?![a-z0-9-])", low):
                    cands.append(Candidate(entry.name, [t], 0.8 * ocr_factor([t]), "domain", {"entry": entry}))
                    break
        # a heading organisation that the directory does not know
        heading = self._heading_org(first_page, big)
        if heading:
            toks, text, org = heading
            listed = [c for c in cands if c.source == "directory" and c.score >= 0.8]
            if not listed:
                cands.append(Candidate(text, toks, (0.85 if org else 0.55) * ocr_factor(toks), "heading"))
        res = _best(cands, key=lambda c: fold(str(c.value)))
        for c in cands:
            if c.value == res.value and "entry" in c.extra:
                self.issuer_entry = c.extra["entry"]
                break
        # a directory issuer mentioned only in running text loses to a heading organisation
        return res

    def _heading_org(self, lines: list[Line], big: float):
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
                if any(self.ex.is_label_start(t) for t in seg[:1]):
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

    # holder -------------------------------------------------------------------------
    def holder(self) -> FieldResult:
        cands: list[Candidate] = []
        for h in self.hints:
            if h["field"] == "holder_name" and h.get("bbox"):
                got = parse_name(self._tokens_in_bbox(h))
                if got:
                    cands.append(Candidate(got[0], got[1], 0.9 * ocr_factor(got[1]), "hint_bbox"))
        for m in self.ex.matches("holder_name"):
            if m.phrase in ("name",) and m.first > 0 and m.line.tokens[m.first - 1].seg == m.line.tokens[m.first].seg:
                continue   # "... name" inside a sentence
            for toks, pos in self.ex.values_for(m):
                got = parse_name(toks)
                if got:
                    base = POSITION[pos] * m.strength
                    cands.append(Candidate(got[0], got[1], base * ocr_factor(got[1]), "label"))
                    break
        for m in self.ex.matches("intro"):
            line = m.line
            rest = [t for t in line.tokens[m.last + 1:]]
            got = parse_name(rest) if rest else None
            if not got:
                for nxt in self.layout.lines[line.number + 1: line.number + 4]:
                    if nxt.page != line.page:
                        break
                    got = parse_name(nxt.tokens)
                    if got and len(got[1]) >= len([t for t in nxt.tokens if t.seg == got[1][0].seg]) - 1:
                        break
                    got = None
            if got and not self._signatory(got[1]):
                cands.append(Candidate(got[0], got[1], 0.93 * ocr_factor(got[1]), "intro"))
        labelled_lines = {m.line.number for ms in self.ex.labels.values() for m in ms if m.kind != "intro"}
        for ln in self.layout.lines:
            # a line that is nothing but a name: a wallet card's holder line, a letter's address block
            if ln.number in labelled_lines or not ln.tokens:
                continue
            got = parse_name(ln.tokens)
            if not got or len(got[1]) != len(ln.tokens) or self._signatory(got[1]):
                continue
            line_text = " ".join(t.text for t in ln.tokens)
            if find_issuer(line_text) or find_credential_type(line_text):
                continue
            prev = self.layout.lines[ln.number - 1] if ln.number else None
            if prev is not None and prev.page == ln.page and prev.tokens and prev.tokens[-1].text.endswith(":"):
                continue
            nxt = self.layout.lines[ln.number + 1] if ln.number + 1 < len(self.layout.lines) else None
            address = bool(nxt and nxt.page == ln.page and re.match(r"^\d{1,6}$", nxt.tokens[0].text)
                           and len(nxt.tokens) >= 2 and nxt.tokens[1].text[:1].isupper())
            base = 0.72 if address else 0.55
            if "," in ln.tokens[0].text:
                base += 0.1
            cands.append(Candidate(got[0], got[1], base * ocr_factor(got[1]), "address" if address else "standalone"))
        for ln in self.layout.lines:
            if ln.tokens and ln.tokens[0].norm == "dear":
                got = parse_name(ln.tokens[1:])
                if got and not any(fold_token(w) in GENERIC_ADDRESSEES for w in got[0].split()):
                    cands.append(Candidate(got[0], got[1], 0.6 * ocr_factor(got[1]), "salutation"))
        res = _best(cands, key=lambda c: " ".join(sorted(fold(str(c.value)).split())))
        self.holder_tokens = set(id(t) for t in res.tokens)
        return res

    def _signatory(self, toks: list[Token]) -> bool:
        line = toks[0].line
        nxt = self.layout.lines[line.number + 1] if line.number + 1 < len(self.layout.lines) else None
        return bool(nxt and nxt.page == line.page and any(t.norm in SIGNATORY_WORDS for t in nxt.tokens[:4])
                    and nxt.y - line.y < 2.2 * max(line.h, nxt.h))

    def _tokens_in_bbox(self, hint: dict) -> list[Token]:
        x0, top, x1, bottom = hint["bbox"]
        page = hint.get("page", 1)
        pad = 0.01
        return [t for t in self.layout.tokens if t.line.page == page
                and x0 - pad <= t.word.lx <= x1 + pad and top - pad <= t.word.ly <= bottom + pad]

    # license number ---------------------------------------------------------------------
    def license(self) -> FieldResult:
        issuer = self.issuer_entry
        cands: list[Candidate] = []
        for h in self.hints:
            if h["field"] == "license_number" and h.get("bbox"):
                got = parse_license(self._tokens_in_bbox(h))
                if got:
                    cands.append(Candidate(got[0], got[1], 0.88 * ocr_factor(got[1]), "hint_bbox"))
        for m in self.ex.matches("license_number"):
            for toks, pos in self.ex.values_for(m):
                got = parse_license(toks)
                if not got:
                    continue
                value, used = got
                raw = value
                value, valid = normalise_id(value, issuer)
                base = POSITION[pos] * m.strength
                if m.phrase in [h.get("label") for h in self.hints]:
                    base = max(base, 0.95)
                if valid:
                    base = min(0.99, base + 0.05)
                elif issuer and issuer.license_number_patterns:
                    base *= 0.75   # the issuer's numbers look different: likely a misread or another ID
                extra = {}
                if min(t.word.conf for t in used) < 1.0 and (value != raw or id_ambiguity(value, issuer)):
                    extra["cap"] = OCR_ID_CAP   # a character-class guess stays below "confident"
                cands.append(Candidate(value, used, base * ocr_factor(used), "label", extra))
        if not cands and issuer and issuer.license_number_patterns:
            seen = []
            for t in self.layout.tokens:
                text = t.text.strip(".,;:()")
                value, valid = normalise_id(text, issuer)
                if valid and any(c.isdigit() for c in value) and not self._labelled_other(t):
                    seen.append(Candidate(value, [t], 0.6 * ocr_factor([t]), "pattern"))
            if len({c.value for c in seen}) == 1:
                cands.extend(seen)
        return _best(cands, key=lambda c: re.sub(r"[\s\-]", "", str(c.value)).upper())

    def _labelled_other(self, tok: Token) -> bool:
        line = tok.line
        before = [m for m in self.ex.labels[line.number] if m.last < line.tokens.index(tok)]
        return bool(before and before[-1].kind in ("other",) or any(m.kind.startswith("date:") for m in before[-1:]))

    # credential type --------------------------------------------------------------------
    def credential_type(self) -> tuple[FieldResult, str | None]:
        """The credential: a directory type of the issuer named on the page, a labelled
        value (resolved to the issuer's type when its distinctive words match), a
        directory type anywhere, or else the document's title line."""
        issuer = self.issuer_entry
        best = None
        for ln in self.layout.lines:
            text = " ".join(t.text for t in ln.tokens)
            found = find_credential_type(text, issuer) if issuer else None
            if found and (best is None or len(fold(found[0].name)) > len(fold(best[0].name)) or found[1] > best[1]):
                best = (found[0], found[1], ln.tokens)
        if best:
            t, score, toks = best
            return FieldResult(t.name, round(0.9 * score / 100 * ocr_factor(toks), 3), toks, "directory"), t.code
        if issuer:
            # a card that prints the type's distinctive word on a line of its own ("Labourer")
            for ln in self.layout.lines:
                toks = [t for t in ln.tokens if t.word.conf >= GARBAGE_BELOW]
                if 1 <= len(toks) <= 4:
                    typed = self._issuer_type([t.norm for t in toks if t.norm])
                    if typed:
                        return FieldResult(typed.name, round(0.8 * ocr_factor(toks), 3), toks, "directory"), typed.code
        cands = []
        for m in self.ex.matches("credential_type"):
            if m.first and m.line.tokens[m.first - 1].seg == m.line.tokens[m.first].seg:
                continue   # "... credential may be verified": a word in a sentence, not a label
            for toks, pos in self.ex.values_for(m):
                if pos == "sentence":
                    break
                text = " ".join(t.text for t in toks).strip(" :")
                norms = [t.norm for t in toks if t.norm]
                if (len(text) < 3 or D.find_dates(text) or not any(c.isalpha() for c in text)
                        or all(n in TITLE_WORDS or n in NAME_STOP for n in norms)):
                    continue
                typed = self._issuer_type(norms)
                if typed:
                    return FieldResult(typed.name, round(0.85 * m.strength * ocr_factor(toks), 3), toks,
                                       "label"), typed.code
                cands.append(Candidate(text, toks, 0.8 * m.strength * ocr_factor(toks), "label"))
                break
        if not cands:
            found = find_credential_type(self.layout.text)
            if found:
                return FieldResult(found[0].name, 0.6, [], "directory"), found[0].code
            title = self._title()
            if title:
                return FieldResult(title[0], round(0.5 * ocr_factor(title[1]), 3), title[1], "title"), None
        return _best(cands), None

    def _issuer_type(self, norms: list[str]):
        """The known issuer's credential type whose distinctive words all appear in a labelled value."""
        issuer = self.issuer_entry
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

    def _title(self) -> tuple[str, list[Token]] | None:
        """The document's title: the biggest line near the top that is a credential's name.

        Not the issuer's name, the holder, a label line, a bare "Certificate",
        an address or a sentence.
        """
        lines = self.layout.lines
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
                if any(self.ex.is_label_start(t) for t in seg) or find_issuer(text):
                    continue
                if any(id(t) in self.holder_tokens for t in seg):
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

    # dates ------------------------------------------------------------------------------
    def dates(self) -> dict[str, FieldResult]:
        text = self.layout.text
        mentions = D.find_dates(text)
        locale = self.issuer_entry.locale if self.issuer_entry else self.locale_hint
        order, settled = D.decide_order(mentions, locale)
        learned = next((h["date_order"] for h in self.hints if h.get("date_order") in ("DMY", "MDY")), None)
        if learned and not settled:
            order, settled = learned, True   # a reviewer read this issuer's dates in that order
        order_factor = 1.0 if settled or all(m.kind != "numeric" for m in mentions) else (0.97 if self.issuer_entry else 0.85)
        roles: list[tuple[D.Mention, str, float, list[Token]]] = []
        for i, mention in enumerate(mentions):
            toks = self.layout.tokens_in(mention.start, mention.end)
            role, strength = self._date_role(mention, toks, mentions[i - 1] if i else None)
            roles.append((mention, role, strength, toks))
        # ranges: "X to Y", "X through Y", "X - Y"
        for k in range(1, len(roles)):
            prev, cur = roles[k - 1], roles[k]
            between = text[prev[0].end:cur[0].start].strip().lower()
            if between in RANGE_WORDS and prev[1] in ("period", "issue", "none", "original") and cur[1] in ("none", "expiry", "period", "range"):
                roles[k - 1] = (prev[0], "issue", max(prev[2], 0.9), prev[3])
                roles[k] = (cur[0], "expiry", max(cur[2], 0.9), cur[3])
        issue_c, expiry_c = [], []
        for mention, role, strength, toks in roles:
            if role == "expiry":
                day = mention.resolve(order, end_of_month=True)
                if day:
                    expiry_c.append(Candidate(day, toks, strength * order_factor * ocr_factor(toks), "label"))
            elif role in ("issue", "original"):
                day = mention.resolve(order, end_of_month=False)
                if day:
                    s = strength * (0.85 if role == "original" else 1.0)
                    issue_c.append(Candidate(day, toks, s * order_factor * ocr_factor(toks), role))
        # "Valid for 2 years" with an issue date and no printed expiry
        issue = _best([c for c in issue_c if c.source == "issue"] or issue_c)
        if issue_c and len({c.value for c in issue_c if c.source == "issue"}) and any(c.source == "original" for c in issue_c):
            # the current period's issue date wins over an original grant date
            pass
        expiry = _best(expiry_c)
        if expiry.value is None and issue.value is not None:
            m = re.search(r"valid\s+for\s+(\d{1,2}|one|two|three|four|five)\s+(year|month)s?", text, re.I)
            if m:
                n = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}.get(m.group(1).lower()) or int(m.group(1))
                months = n * 12 if m.group(2).lower() == "year" else n
                expiry = FieldResult(D.add_months(issue.value, months), round(issue.confidence * 0.95, 3),
                                     self.layout.tokens_in(m.start(), m.end()), "validity")
        if issue.value and expiry.value and expiry.value <= issue.value:
            issue.confidence = round(issue.confidence * 0.5, 3)
            expiry.confidence = round(expiry.confidence * 0.5, 3)
        return {"issue_date": issue, "expiry_date": expiry}

    def _date_role(self, mention: D.Mention, toks: list[Token], prev: D.Mention | None) -> tuple[str, float]:
        if not toks:
            return "none", 0.0
        first = toks[0]
        line = first.line
        idx = line.tokens.index(first)
        # 1. nearest label before the date on its line (back to the previous date)
        best = None
        for m in self.ex.labels[line.number]:
            if m.last < idx and (prev is None or m.first >= 0 and m.line.tokens[m.first].start >= prev.end):
                if m.kind.startswith("date:") or m.kind in ("period", "other", "license_number", "holder_name", "credential_type"):
                    best = m
        if best and best.kind.startswith("date:"):
            distance = idx - best.last
            same_seg = line.tokens[best.last].seg == first.seg
            strength = 0.95 if (distance <= 2 or not same_seg) else 0.88
            return best.kind[5:], strength
        if best and best.kind == "period":
            return "period", 0.9
        if best and best.kind == "other" and (idx - best.last) <= 3:
            return "other", 0.0
        # 2. a column header above
        x0, x1 = self.layout.xspan(toks)
        header = self.layout.above(line, x0, x1)
        if header and not (best and idx - best.last <= 2):
            for m in self.ex.labels[header[0].line.number]:
                htoks = m.tokens
                if htoks[0] in header or htoks[-1] in header:
                    if m.kind.startswith("date:"):
                        # the header cell must hold only the label (not a sentence)
                        return m.kind[5:], 0.93
                    if m.kind == "period":
                        return "period", 0.9
        # 3. a sentence wrapped from the previous line ("... valid until\n06/17/2024")
        if idx == 0 and line.number > 0:
            prev_line = self.layout.lines[line.number - 1]
            ms = self.ex.labels[prev_line.number]
            if ms and ms[-1].last >= len(prev_line.tokens) - 2 and ms[-1].kind.startswith("date:"):
                return ms[-1].kind[5:], 0.85
        return "none", 0.0
