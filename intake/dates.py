"""Finding and parsing dates in text, with one day/month decision per document.

``find_dates(text)`` returns every date-shaped mention with its character
span; ``decide_order(mentions, locale)`` settles day/month order once per
document (a numeric part over 12 decides, then dots mean day first, then the
issuer's locale), and ``decide_document_order`` does so for the field readers
with more evidence and a reason; ``Mention.resolve(order)`` gives the
``datetime.date``.
Month-only dates resolve to the month's last day when ``end_of_month``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from .datafile import load_data

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
    # German / French / Spanish names seen on EU certificates
    "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7, "oktober": 10,
    "dezember": 12, "janvier": 1, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "enero": 1, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "octubre": 10, "noviembre": 11, "diciembre": 12,
}
_MON = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = r"(?:st|nd|rd|th)?"
_DAY = r"\d{1,2}|(?-i:[Il])(?=st)"  # a day of the month, or "Ist"/"lst": the ordinal 1st as OCR reads it

PATTERNS = [
    # kind, regex; groups are named y, m, d (m may be a month name)
    ("iso", r"(?<![\d.])(?P<y>(?:19|20)\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d])"),
    ("numeric", r"(?<![\d./-])(?P<a>\d{1,2})\s?(?P<sep>[./-])\s?(?P<b>\d{1,2})\s?(?P=sep)\s?(?P<y>(?:19|20)\d{2}|\d{2})(?![\dA-Za-z])"),
    # "Sep 26,2020": OCR drops the space after the comma
    # a text layer may run the next cell on after the year ("17th of February 2024CRS-4550")
    # the day may be "Ist" or "lst": OCR reads the 1 of "1st" as a capital I or a small l
    # ("Ist of April 2021", "January lst, 2019")
    ("mdy", rf"\b(?P<m>{_MON[1:-4]})\.?\s*(?P<d>{_DAY}){_ORD}(?:,\s*|\s+)(?P<y>(?:19|20)\d{{2}})(?!\d)"),
    ("dmy", rf"\b(?P<d>{_DAY})(?:st|nd|rd|th|\.)?(?:\s+of)?[\s-]+(?P<m>{_MON[1:-4]})\.?,?[\s-]+(?P<y>(?:19|20)\d{{2}})(?!\d)"),
    ("month", rf"\b(?P<m>{_MON[1:-4]})\.?,?[\s-]+(?P<y>(?:19|20)\d{{2}})\b"),
    ("month_numeric", r"(?<![\d./-])(?P<m>0?[1-9]|1[0-2])\s?[/.-]\s?(?P<y>(?:19|20)\d{2})(?![\d./-])"),
    # a card's month-only expiry: "2026-02", "06/24" (two-digit month, slash, two-digit year)
    ("month_numeric", r"(?<![\d./-])(?P<y>(?:19|20)\d{2})-(?P<m>0[1-9]|1[0-2])(?![\d./-])"),
    ("month_numeric", r"(?<![\d./-])(?P<m>0[1-9]|1[0-2])/(?P<y>\d{2})(?![\d./-])"),
]
_COMPILED = [(kind, re.compile(rx, re.IGNORECASE)) for kind, rx in PATTERNS]


@dataclass
class Mention:
    start: int
    end: int
    kind: str            # iso | numeric | mdy | dmy | month | month_numeric
    parts: dict
    text: str

    @property
    def month_only(self) -> bool:
        return self.kind in ("month", "month_numeric")

    def resolve(self, order: str = "MDY", end_of_month: bool = True) -> dt.date | None:
        p = self.parts
        try:
            if self.kind == "numeric":
                a, b = int(p["a"]), int(p["b"])
                month, day = (a, b) if order == "MDY" else (b, a)
                year = expand_year(p["y"])
            elif self.kind == "iso":
                year, month, day = int(p["y"]), int(p["m"]), int(p["d"])
            else:
                m = p["m"]
                month = int(m) if m.isdigit() else MONTHS[m.lower().rstrip(".")]
                year = expand_year(p["y"])
                if self.month_only:
                    day = calendar.monthrange(year, month)[1] if end_of_month else 1
                else:
                    day = int(p["d"])
            return dt.date(year, month, day)
        except (ValueError, KeyError):
            return None


def expand_year(text: str, today: dt.date | None = None) -> int:
    """Four-digit year; two digits fall in the window (today - 70, today + 30]."""
    year = int(text)
    if len(text) == 4:
        return year
    pivot = ((today or dt.date.today()).year + 30) % 100
    return 2000 + year if year <= pivot else 1900 + year


def find_dates(text: str) -> list[Mention]:
    """Date-shaped mentions in ``text``, non-overlapping, longest first, in order."""
    found: list[Mention] = []
    for kind, rx in _COMPILED:
        for m in rx.finditer(text):
            if any(m.start() < f.end and f.start < m.end() for f in found):
                continue
            parts = m.groupdict()
            if parts.get("d") in ("I", "l"):
                parts["d"] = "1"   # "Ist", "lst": the ordinal 1st as OCR read it
            mention = Mention(m.start(), m.end(), kind, parts, m.group(0))
            if mention.resolve("MDY") is None and mention.resolve("DMY") is None:
                continue
            found.append(mention)
    return sorted(found, key=lambda f: f.start)


def _one_way(numeric: list[Mention]) -> tuple[str, Mention] | None:
    """The order the first numeric date that reads only one way (25/03/2024) is in, and that date."""
    for m in numeric:
        a, b = int(m.parts["a"]), int(m.parts["b"])
        if a > 12 >= b:
            return "DMY", m
        if b > 12 >= a:
            return "MDY", m
    return None


def decide_order(mentions: list[Mention], locale: str | None) -> tuple[str, bool]:
    """("MDY" | "DMY", settled_by_content) for the numeric dates of one document."""
    numeric = [m for m in mentions if m.kind == "numeric"]
    settled = _one_way(numeric)
    if settled:
        return settled[0], True
    if any(m.parts["sep"] == "." for m in numeric):
        return "DMY", False
    if locale in ("UK", "EU"):
        return "DMY", False
    return "MDY", False


def parse_date(text: str, locale: str | None = "US", end_of_month: bool = True) -> dt.date | None:
    """The first date in ``text`` (convenience for single values and tests)."""
    mentions = find_dates(text)
    if not mentions:
        return None
    order, _ = decide_order(mentions, locale)
    return mentions[0].resolve(order, end_of_month)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def predicted_expiry(issued: dt.date | None, validity_months: int | None) -> dt.date | None:
    """When a credential with no printed expiry lapses: ``validity_months``
    after its issue date (the convention issuers use when they print only
    "valid for two years"). The portal uses this same rule."""
    if issued is None or validity_months is None:
        return None
    return add_months(issued, validity_months)


# --- one day/month order per document ---------------------------------------------

@dataclass
class OrderDecision:
    order: str                 # "DMY" | "MDY"
    reason: str                # one plain sentence
    by_locale: bool            # True when only a locale guess decided it (the dates stay unconfirmed)


def swappable(m: Mention) -> bool:
    """A numeric date that reads as two different real dates depending on the order."""
    if m.kind != "numeric":
        return False
    a, b = m.resolve("MDY"), m.resolve("DMY")
    return a is not None and b is not None and a != b


def whole_period(start: dt.date, end: dt.date, validity_months: int | None) -> bool:
    """Whether ``end`` is a credential period after ``start``: the type's validity, or whole
    years, each to the day, the day before ("1 June 2022 - 31 May 2023") or that month's end."""
    if end <= start:
        return False
    months = (end.year - start.year) * 12 + end.month - start.month
    spans = {12 * y for y in (months // 12, (months + 1) // 12) if 1 <= y <= 10}
    if validity_months:
        spans.add(validity_months)
    last = calendar.monthrange(end.year, end.month)[1]
    for span in spans:
        exact = add_months(start, span)
        if abs((end - exact).days) <= 1 or end.day == last and (end.year, end.month) == (exact.year, exact.month):
            return True
    return False


@lru_cache(maxsize=1)
def _locale_cues() -> dict[str, list[tuple[str, re.Pattern]]]:
    data = load_data("locale_cues.yaml")
    return {order: [(name, re.compile(rx, re.IGNORECASE if name != "postcodes" else 0)) for name, rx in cues.items()]
            for order, cues in (("DMY", data["day_first"]), ("MDY", data["month_first"]))}


_CUE_NAMES = {"countries": "place", "phones": "phone number", "postcodes": "postcode", "domains": "web address",
              "spellings": "spelling"}


def locale_from_text(text: str) -> tuple[str | None, str]:
    """("DMY" | "MDY" | None, what on the page said so), from country words, phones, postcodes,
    web domains and spelling; each kind of cue counts once, and a tie says nothing."""
    votes: dict[str, list[str]] = {"DMY": [], "MDY": []}
    for order, cues in _locale_cues().items():
        for name, rx in cues:
            m = rx.search(text)
            if m:
                votes[order].append(f"{_CUE_NAMES.get(name, name)} {m.group(0).strip()!r}")
    if len(votes["DMY"]) == len(votes["MDY"]):
        return None, ""
    order = "DMY" if len(votes["DMY"]) > len(votes["MDY"]) else "MDY"
    return order, ", ".join(votes[order][:2])


def decide_document_order(mentions: list[Mention], pairs: list[tuple[Mention, Mention]], *,
                          learned: str | None = None, locale: str | None = None, locale_source: str = "",
                          text: str = "", validity_months: int | None = None) -> OrderDecision | None:
    """The one day/month order of a document's numeric dates, and why.

    In this order: a date that reads only one way (25/03/2024) settles it for
    the whole document; then an (issue, expiry) pair that is a whole period in
    only one order; then what a reviewer taught for this issuer; then dots
    (a European convention); and only then a locale guess: the directory's
    country for the issuer, cues printed on the page, or month first.
    None when the document has no ambiguous numeric date.
    """
    numeric = [m for m in mentions if m.kind == "numeric"]
    if not numeric:
        return None
    settled = _one_way(numeric)
    if settled:
        order, m = settled
        return OrderDecision(order, f"{m.text.strip()} on the page can only be "
                             + ("day first." if order == "DMY" else "month first."), False)
    fits = {order: [p for p in pairs if _both_swap_free(p, order)
                    and whole_period(p[0].resolve(order, False), p[1].resolve(order, True), validity_months)]
            for order in ("DMY", "MDY")}
    if any(swappable(x) for p in pairs for x in p) and bool(fits["DMY"]) != bool(fits["MDY"]):
        order = "DMY" if fits["DMY"] else "MDY"
        return OrderDecision(order, "Only " + ("day first" if order == "DMY" else "month first")
                             + " makes the expiry a whole validity period after the issue date.", False)
    if learned in ("DMY", "MDY"):
        return OrderDecision(learned, "A reviewer corrected this issuer's dates to "
                             + ("day first." if learned == "DMY" else "month first."), False)
    if any(m.parts["sep"] == "." for m in numeric):
        return OrderDecision("DMY", "Dates written with dots are day first.", False)
    if locale in ("UK", "EU"):
        return OrderDecision("DMY", f"Nothing on the page settles the order; {locale_source or 'the issuer'} writes day first.", True)
    if locale == "US":
        return OrderDecision("MDY", f"Nothing on the page settles the order; {locale_source or 'the issuer'} writes month first.", True)
    cue, said = locale_from_text(text)
    if cue:
        return OrderDecision(cue, "Nothing on the page settles the order; the page suggests "
                             + ("day first" if cue == "DMY" else "month first") + f" ({said}).", True)
    return OrderDecision("MDY", "Nothing on the page settles the order; month first is a guess.", True)


def _both_swap_free(pair: tuple[Mention, Mention], order: str) -> bool:
    return all(m.resolve(order, True) is not None for m in pair)
