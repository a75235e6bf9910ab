"""Issue and expiry dates: each date's role from the label before it, a column header or a range."""
from __future__ import annotations

import re

from .. import dates as D
from ..directory import load_directory
from ..layout import Token
from .candidates import Candidate, FieldResult, _best, ocr_factor
from .no_expiry import CONTRADICTED_CAP, contradicts, read_no_expiry
from .labels import BESIDE_ROW
from .record_rows import ROW_MIN_CELLS, header_roles
from .vocabulary import CHANGE_WORDS, DATE_START_PREPOSITIONS, PREVIOUS_WORDS, RANGE_WORDS

# Locale-only readings of an ambiguous date stay below the review threshold (0.75 in the portal).
LOCALE_ONLY_CAP = 0.7
# An issue and an expiry that are a whole validity period apart (see
# ``intake.dates.whole_period``) confirm each other: two labels, two readings
# of digits and a day/month order that all agree. Both become confident from
# this raw score up, unless either day is also printed in the other role,
# another day came close for the same role (a renewal letter's old expiry
# "moved from <day> to <day>" against its "in force from <day>"), or their
# roles come only from a range no label names ("May 2021 - May 2023"). On
# dev and val it made 23 dates confident (13 from text layers, 10 OCR'd), all
# right; without the rival check it made that renewal letter's issue date
# confident, wrongly.
PAIR_CONFIDENCE = 0.9
PAIR_MIN_RAW = 0.6
PAIR_RIVAL_SHARE = 0.8     # a rival day scored this close to the one read leaves the role undecided
ORIGINAL_ISSUE_FACTOR = 0.85
CELL_WORD_CONF = 0.9
EXPIRY_SEEN_SCORE = 0.3           # an expiry candidate this strong marks its day as an end, never a start              # a word read this surely in a segment between label and date is a table cell      # an original grant date is the issue date only when nothing else is


def read_dates(doc) -> dict[str, FieldResult]:
    text = doc.layout.text
    mentions = D.find_dates(text)
    roles: list[tuple[D.Mention, str, float, list[Token]]] = []
    for i, mention in enumerate(mentions):
        toks = doc.layout.tokens_in(mention.start, mention.end)
        role, strength = _date_role(doc, mention, toks, mentions[i - 1] if i else None)
        roles.append((mention, role, strength, toks))
    # ranges: "X to Y", "X through Y", "X - Y"
    unlabelled: set[int] = set()   # mentions whose role only the range gave (no label, or another label, said it)
    for k in range(1, len(roles)):
        prev, cur = roles[k - 1], roles[k]
        between = text[prev[0].end:cur[0].start].strip().lower()
        # two dates side by side on one line under a period's label: its start and end
        one_period = prev[1] == "period" and cur[1] in ("period", "none") and not between \
            and prev[3] and cur[3] and prev[3][0].line is cur[3][0].line
        if prev[1] == "changed" and between in RANGE_WORDS and cur[1] in ("none", "expiry", "period", "range"):
            # "has moved from <old day> to <new day>": the new day ends the period, as in a range
            unlabelled.add(id(cur[0]))
            roles[k] = (cur[0], "expiry", max(cur[2], 0.9), cur[3])
            continue
        if one_period or between in RANGE_WORDS and prev[1] in ("period", "issue", "none", "original") and cur[1] in ("none", "expiry", "period", "range"):
            start_said = prev[1] in ("issue", "original", "period")
            if not start_said:
                unlabelled.add(id(prev[0]))
            if not (cur[1] in ("expiry", "period") or cur[1] == "none" and start_said):
                unlabelled.add(id(cur[0]))
            roles[k - 1] = (prev[0], "issue", max(prev[2], 0.9), prev[3])
            roles[k] = (cur[0], "expiry", max(cur[2], 0.9), cur[3])
    _restated_columns(doc, text, mentions, roles)
    validity = _printed_validity(text)
    decision = _decide_order(doc, mentions, roles, text, validity)
    order = decision.order if decision else "MDY"
    issue_c, expiry_c = [], []
    for mention, role, strength, toks in roles:
        if role == "expiry":
            day = mention.resolve(order, end_of_month=True)
            if day:
                expiry_c.append(Candidate(day, toks, strength * ocr_factor(toks), "label",
                                          {"mention": mention, "unlabelled": id(mention) in unlabelled}))
        elif role in ("issue", "original"):
            day = mention.resolve(order, end_of_month=False)
            if day:
                s = strength * (ORIGINAL_ISSUE_FACTOR if role == "original" else 1.0)
                issue_c.append(Candidate(day, toks, s * ocr_factor(toks), role,
                                         {"mention": mention, "unlabelled": id(mention) in unlabelled}))
    row_issue, row_expiry = _row_candidates(doc, order)
    issue_c += row_issue
    expiry_c += row_expiry
    # a day printed as an expiry somewhere (a previous record's, "moved from <old expiry> to ...")
    # is no issue date
    expiring = {c.value for c in expiry_c if c.score >= EXPIRY_SEEN_SCORE}
    issue_c = [c for c in issue_c if c.value not in expiring] or issue_c
    issue_pool = [c for c in issue_c if c.source == "issue"] or issue_c   # an original grant only when nothing else
    issue_pool = _current_periods(issue_pool, roles, order)
    issue = _best(issue_pool)
    # an expiry of this period ends after its issue: a day on or before it is a previous period's
    # ("Not valid after | 31/12/2018 | 31/12/2019" beside "in force from 1/1/2019")
    later = [c for c in expiry_c if issue.value is None or c.value > issue.value]
    expiry = _best(later or expiry_c)
    issue = _within_a_period(issue, issue_pool, expiry)
    if expiry.value is None and issue.value is not None and validity:
        months, span = validity   # "Valid for 2 years" with an issue date and no printed expiry
        expiry = FieldResult(D.add_months(issue.value, months), round(issue.confidence * 0.95, 3),
                             doc.layout.tokens_in(*span), "validity")
    if issue.value and expiry.value and expiry.value <= issue.value:
        issue.confidence = round(issue.confidence * 0.5, 3)
        expiry.confidence = round(expiry.confidence * 0.5, 3)
    doc.date_order = decision.order if decision else None
    doc.date_order_reason = decision.reason if decision else None
    doc.ambiguous_dates = []
    for name, res, cands in (("issue_date", issue, issue_c), ("expiry_date", expiry, expiry_c)):
        mention = _mention_of(res, cands) or (_mention_of(issue, issue_c) if res.source == "validity" else None)
        if decision and decision.by_locale and mention is not None and D.swappable(mention):
            doc.ambiguous_dates.append(name)
            res.confidence = round(min(res.confidence, LOCALE_ONLY_CAP), 3)
            res.cap = min(res.cap, LOCALE_ONLY_CAP)
    _confirm_pair(issue, expiry, issue_c, expiry_c, validity[0] if validity else _type_validity(doc), issue_pool)
    if expiry.value is None:
        expiry = read_no_expiry(doc) or expiry   # "Expiry: Lifetime": a null the document states
    elif contradicts(doc, expiry):
        expiry.confidence = round(min(expiry.confidence, CONTRADICTED_CAP), 3)
        expiry.cap = min(expiry.cap, CONTRADICTED_CAP)
    return {"issue_date": issue, "expiry_date": expiry}


def _current_periods(pool: list[Candidate], roles, order: str) -> list[Candidate]:
    """``pool`` without the starts of periods that ended before another candidate began: a
    history row "01/06/2021 | 31/05/2022 | Lapsed" under "From | To" beside "Registered from
    01/06/2022" is a previous period, no rival to the current one."""
    def end_on_its_line(c: Candidate):
        """The first later day printed after ``c`` on its line: the end of the period it starts."""
        if not c.tokens:
            return None
        line = c.tokens[0].line
        days = [m.resolve(order, end_of_month=True) for m, _, _, toks in roles
                if toks and toks[0].line is line and toks[0].start > c.tokens[-1].start]
        return next((d for d in days if d and d > c.value), None)

    def previous(c: Candidate) -> bool:
        end = end_on_its_line(c)
        return end is not None and any(o.value >= end for o in pool)
    return [c for c in pool if not previous(c)] or pool


MAX_PERIOD_YEARS = 10      # no credential period runs longer: an "issue" further back is another day's


def _within_a_period(issue: FieldResult, pool: list[Candidate], expiry: FieldResult) -> FieldResult:
    """The issue date re-chosen among the labelled candidates that fall within MAX_PERIOD_YEARS
    before the expiry, when the one chosen lies further back (a birth date under a header two
    columns share) and another does not."""
    if issue.value is None or expiry.value is None or expiry.value <= issue.value:
        return issue
    if D.add_months(issue.value, 12 * MAX_PERIOD_YEARS) >= expiry.value:
        return issue
    near = [c for c in pool if c.value < expiry.value <= D.add_months(c.value, 12 * MAX_PERIOD_YEARS)]
    return _best(near) if near else issue


def _confirm_pair(issue: FieldResult, expiry: FieldResult, issue_c: list[Candidate], expiry_c: list[Candidate],
                  validity_months: int | None, issue_pool: list[Candidate] | None = None) -> None:
    """Both dates confident when they are a whole validity period apart (``PAIR_CONFIDENCE``);
    a locale-only order keeps its cap. The issue's rivals are those of the pool it was chosen
    from (``issue_pool``): an original grant date ("First registered 2008") does not compete
    with a date labelled as this period's issue."""
    if issue.value is None or expiry.value is None or expiry.source == "validity":
        return   # an expiry computed from a printed validity is no second reading
    if min(issue.confidence, expiry.confidence) < PAIR_MIN_RAW:
        return
    if issue.value in {c.value for c in expiry_c} or expiry.value in {c.value for c in issue_c}:
        return   # one of the days is printed in the other role too
    for res, cands in ((issue, issue_pool or issue_c), (expiry, expiry_c)):
        own = [c for c in cands if c.value == res.value]
        if any(c.extra.get("unlabelled") for c in own if c.tokens == res.tokens):
            return   # "moved from <day> to <day>": only the range, no label, said which is which
        top = max(c.score for c in own)
        if any(c.score >= PAIR_RIVAL_SHARE * top for c in cands if c.value != res.value):
            return   # the labels left two days in the running: agreeing with one of them decides nothing
    if not D.whole_period(issue.value, expiry.value, validity_months):
        return
    for res in (issue, expiry):
        res.confidence = round(min(res.cap, max(res.confidence, PAIR_CONFIDENCE)), 3)


ROW_DATE_SCORE = 0.8   # a date in a transcript's credential row: its column, not a label, says what it is


def _row_candidates(doc, order: str) -> tuple[list[Candidate], list[Candidate]]:
    """The credential row's first date as its issue, a later date under an end or validity header
    as its expiry."""
    row = doc.credential_row()
    if row is None:
        return [], []
    issue, expiry = [], []
    (first, first_toks), later = row.dates[0], row.dates[1:]
    day = first.resolve(order, end_of_month=False)
    if day:
        issue.append(Candidate(day, first_toks, ROW_DATE_SCORE * ocr_factor(first_toks), "issue", {"mention": first}))
    type_x = doc.layout.xspan(row.cells[row.type_cell])[1]
    for mention, toks in later:
        if doc.layout.xspan(toks)[0] < type_x:
            continue
        kinds = header_roles(doc, row, toks)
        day = mention.resolve(order, end_of_month=True)
        if day and any(k in ("date:expiry", "period") for k in kinds):
            expiry.append(Candidate(day, toks, ROW_DATE_SCORE * ocr_factor(toks), "label", {"mention": mention}))
    return issue, expiry


def _mention_of(res: FieldResult, cands: list[Candidate]) -> D.Mention | None:
    for c in cands:
        if res.value is not None and c.value == res.value and c.tokens == res.tokens:
            return c.extra.get("mention")
    return None


def _decide_order(doc, mentions, roles, text: str, validity) -> D.OrderDecision | None:
    """The document's day/month order from its own dates first (see intake.dates.decide_document_order)."""
    issues = [r[0] for r in roles if r[1] in ("issue", "original")]
    expiries = [r[0] for r in roles if r[1] == "expiry"]
    pairs = [(a, b) for a in issues[:4] for b in expiries[:4]]
    learned = next((h["date_order"] for h in doc.hints if h.get("date_order") in ("DMY", "MDY")), None)
    entry = doc.issuer_entry
    locale, source = (entry.locale, f"the issuer ({entry.country})") if entry else (doc.locale_hint, "")
    months = validity[0] if validity else _type_validity(doc)
    return D.decide_document_order(mentions, pairs, learned=learned, locale=locale, locale_source=source,
                                   text=text, validity_months=months)


def _type_validity(doc) -> int | None:
    code = doc.credential_type()[1]
    ctype = load_directory().credential_type(code) if code else None
    return ctype.validity_months if ctype else None


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "twelve": 12,
                 "eighteen": 18, "twenty-four": 24, "thirty-six": 36}
_VALIDITY = re.compile(
    r"\b(?:valid(?:ity)?|expires?|good|renewable|lapses?|in force|remains? (?:valid|current))\b[^.\n]{0,40}?"
    r"\b(?:for|of|after|within|in)\s+(?:a\s+period\s+of\s+)?(?P<n>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")"
    r"(?:\s*\(\d{1,3}\))?[\s-]+(?P<unit>years?|months?|yrs?)\b"
    r"|\b(?P<n2>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")[\s-]+(?P<unit2>years?|months?)\s+(?:validity|valid|from\s+(?:the\s+)?(?:date\s+of\s+)?[a-z]+)\b",
    re.IGNORECASE)


def _printed_validity(text: str) -> tuple[int, tuple[int, int]] | None:
    """(months, char span) of a printed validity ("valid for 2 years", "validity of 36 months")."""
    m = _VALIDITY.search(text)
    if not m:
        return None
    n, unit = (m.group("n"), m.group("unit")) if m.group("n") else (m.group("n2"), m.group("unit2"))
    count = _NUMBER_WORDS.get(n.lower()) or int(n)
    months = count * 12 if unit.lower().startswith("y") else count
    return (months, (m.start(), m.end())) if 1 <= months <= 120 else None


HISTORY_FACTOR = 0.7   # a header over a column of several dates: one row of a history, not the current value


def _date_below(doc, line, x0: float, x1: float) -> bool:
    """Whether the next line has a date in the same column (the header's column lists several)."""
    if line.number + 1 >= len(doc.layout.lines):
        return False
    nxt = doc.layout.lines[line.number + 1]
    if nxt.page != line.page:
        return False
    for m in D.find_dates(" ".join(t.text for t in nxt.tokens)):
        toks = doc.layout.tokens_in(nxt.tokens[0].start + m.start, nxt.tokens[0].start + m.end)
        if toks:
            s0, s1 = doc.layout.xspan(toks)
            if min(x1, s1) - max(x0, s0) > 0:
                return True
    return False


PREVIOUS_REACH = 6   # words before a date's label that may call it past
CHANGE_REACH = 2     # words before "from" a change verb stands in ("has moved from", "brought forward from")


def _said_previous(line, label, prev: D.Mention | None) -> bool:
    """Whether the words just before a date's label, in its segment and after the previous date,
    call the date past ("Your previous registration was due to expire on")."""
    seg = line.tokens[label.first].seg
    before = [t for t in line.tokens[max(0, label.first - PREVIOUS_REACH):label.first]
              if t.seg == seg and (prev is None or t.start >= prev.end)]
    return any(t.norm in PREVIOUS_WORDS for t in before + label.tokens)


def _said_changed(line, label) -> bool:
    """Whether a date's label says the date is what a change started from ("The expiry date held
    has moved from", "was extended from"): the value before the change, not a start."""
    near = line.tokens[max(0, label.first - CHANGE_REACH):label.first] + label.tokens
    return label.tokens[-1].norm in DATE_START_PREPOSITIONS and any(t.norm in CHANGE_WORDS for t in near)


def _cells_between(line, label_seg: int, date_seg: int) -> bool:
    """Whether a table cell stands between a label and a date on one line: a segment with a digit or
    a word read surely, not dot leaders, colons or OCR specks."""
    for seg in line.segments():
        if label_seg < seg[0].seg < date_seg and any(
                any(c.isdigit() for c in t.text) or (sum(c.isalpha() for c in t.text) >= 4 and t.word.conf >= CELL_WORD_CONF)
                for t in seg):
            return True
    return False


def _line_label(doc, toks: list[Token], prev: D.Mention | None):
    """The nearest label before a date on its line, back to the previous date, with no table cell
    between them."""
    first = toks[0]
    line = first.line
    idx = line.tokens.index(first)
    best = None
    for m in doc.ex.labels[line.number]:
        if m.last < idx and (prev is None or m.first >= 0 and m.line.tokens[m.first].start >= prev.end):
            if m.kind.startswith("date:") or m.kind in ("period", "other", "license_number", "holder_name", "credential_type"):
                best = m
    if best is not None and _cells_between(line, line.tokens[best.last].seg, first.seg):
        best = None   # a word in a table cell further left ("Certified" as an outcome) labels nothing here
    return best


RESTATED_FACTOR = 0.5   # a value a later column of its row restates ("Previous record | After renewal")


def _restated_columns(doc, text: str, mentions, roles) -> None:
    """A row label followed by two dates in two cells: the later cell restates the value after a
    change (a renewal letter's "before | after" table), so the label's role moves to it."""
    for k in range(1, len(roles)):
        prev, cur = roles[k - 1], roles[k]
        if not prev[3] or not cur[3] or prev[3][0].line is not cur[3][0].line or prev[3][-1].seg == cur[3][0].seg:
            continue
        if any(c.isalnum() for c in text[prev[0].end:cur[0].start]) or prev[1] not in ("issue", "expiry", "original") \
                or cur[1] not in ("none", prev[1]):
            continue   # the later cell's own column header says something else ("Original issue date")
        label = _line_label(doc, prev[3], mentions[k - 2] if k >= 2 else None)
        if label is None or not label.kind.startswith("date:") or _line_label(doc, cur[3], prev[0]) is not None:
            continue
        roles[k] = (cur[0], prev[1], prev[2], cur[3])
        roles[k - 1] = (prev[0], prev[1], prev[2] * RESTATED_FACTOR, prev[3])


def _beside_label(doc, line, toks: list[Token]):
    """The date label of a label column printed just off the date's baseline (a form whose
    labels stand left of their values, a little higher or lower: "Birthdate" beside "October 12,
    1977"): the nearest line within BESIDE_ROW line heights whose words all end left of the date."""
    x0 = doc.layout.xspan(toks)[0]
    best = None
    for k in (line.number - 1, line.number + 1):
        if not 0 <= k < len(doc.layout.lines):
            continue
        other = doc.layout.lines[k]
        dist = abs(other.y - line.y)
        if other.page != line.page or dist > BESIDE_ROW * max(line.h, other.h) \
                or doc.layout.xspan(other.tokens)[1] >= x0 or not other.tokens[0].text[:1].isupper():
            continue   # (a line in lower case is a wrapped sentence's, "assessment for", no form's label)
        labels = [m for m in doc.ex.labels[k] if m.kind.startswith("date:")
                  and m.first == 0 and m.last == len(other.tokens) - 1]   # the line is the label, nothing else
        if labels and (best is None or dist < best[0]):
            best = (dist, labels[-1])
    return best[1] if best else None


def _overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return min(a[1], b[1]) - max(a[0], b[0]) > 0


def _header_role(doc, line, toks: list[Token]) -> tuple[str, float] | None:
    """The date role of the column header above a date: the role nearest the header's end
    ("Practising certificate expires", "Term ends"), weaker over a column of several dates (a
    history of past periods); "period" for a period's header; None without one."""
    x0, x1 = doc.layout.xspan(toks)
    header = doc.layout.above(line, x0, x1)
    if not header or D.find_dates(" ".join(t.text for t in header)):
        return None   # a line above that prints a date is running text or a row, no column's header
    # the header's labels, and those of a header cell OCR cut in two ("DATUM DER AUSSTELLUNG / DaTE"
    # | "OF ISSUANCE") whose other part stands over the date too
    in_header = [m for m in doc.ex.labels[header[0].line.number] if m.tokens[0] in header or m.tokens[-1] in header
                 or _overlaps(doc.layout.xspan(m.tokens), (x0, x1))]
    roles = [m for m in in_header if m.kind.startswith("date:")]
    if roles:
        column = HISTORY_FACTOR if _date_below(doc, line, x0, x1) else 1.0
        return roles[-1].kind[5:], 0.93 * roles[-1].strength * column
    if any(m.kind == "period" for m in in_header):
        return "period", 0.9
    return None


def _date_role(doc, mention: D.Mention, toks: list[Token], prev: D.Mention | None) -> tuple[str, float]:
    if not toks:
        return "none", 0.0
    first = toks[0]
    line = first.line
    idx = line.tokens.index(first)
    # 1. nearest label before the date on its line (back to the previous date)
    best = _line_label(doc, toks, prev)
    if best and best.kind.startswith("date:") and _said_previous(line, best, prev):
        return "previous", 0.0
    if best and best.kind.startswith("date:") and _said_changed(line, best):
        return "changed", 0.0
    if best and best.kind.startswith("date:"):
        distance = idx - best.last
        same_seg = line.tokens[best.last].seg == first.seg
        strength = 0.95 if (distance <= 2 or not same_seg) else 0.88
        return best.kind[5:], strength * best.strength
    if best is None and len(line.segments()) == 1:
        beside = _beside_label(doc, line, toks)
        if beside is not None:
            return beside.kind[5:], 0.95 * beside.strength
    header = _header_role(doc, line, toks)
    if best and best.kind in ("period", "other") and line.tokens[best.last].seg != first.seg \
            and header and header[0] not in ("period", "none"):
        return header   # a cell further left ("Valid", "CASE 2843837") under its own header: the column's says
    if best and best.kind == "period":
        return "period", 0.9
    if best and best.kind == "other" and (idx - best.last) <= 3:
        return "other", 0.0
    # 2. a column header above a date that starts its cell (words before it in its segment make
    # it running text: "window opens on 9/9/2019." under "... The next renewal")
    starts_cell = idx == 0 or line.tokens[idx - 1].seg != first.seg
    if header and starts_cell and not (best and idx - best.last <= 2):
        return header
    # 3. a sentence wrapped from the previous line ("... valid until\n06/17/2024")
    if idx == 0 and line.number > 0:
        prev_line = doc.layout.lines[line.number - 1]
        ms = doc.ex.labels[prev_line.number]
        if ms and ms[-1].last >= len(prev_line.tokens) - 2 and ms[-1].kind.startswith("date:") \
                and len(prev_line.segments()) == 1 and len(line.segments()) < ROW_MIN_CELLS:
            # a sentence, not a table's header over its first row
            return ms[-1].kind[5:], 0.85
    return "none", 0.0
