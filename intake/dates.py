"""Finding and parsing dates in text, with one day/month decision per document.

``find_dates(text)`` returns every date-shaped mention with its character
span; ``DateOrder.decide(mentions, locale)`` settles day/month order once per
document (a numeric part over 12 decides, then dots mean day first, then the
issuer's locale); ``Mention.resolve(order)`` gives the ``datetime.date``.
Month-only dates resolve to the month's last day when ``end_of_month``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

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
_Y4 = r"((?:19|20)\d{2})"

PATTERNS = [
    # kind, regex; groups are named y, m, d (m may be a month name)
    ("iso", rf"(?<![\d.])(?P<y>(?:19|20)\d{{2}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?![\d])"),
    ("numeric", r"(?<![\d./-])(?P<a>\d{1,2})\s?(?P<sep>[./-])\s?(?P<b>\d{1,2})\s?(?P=sep)\s?(?P<y>(?:19|20)\d{2}|\d{2})(?![\dA-Za-z])"),
    ("mdy", rf"\b(?P<m>{_MON[1:-4]})\.?\s*(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>(?:19|20)\d{{2}})\b"),
    ("dmy", rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th|\.)?(?:\s+of)?[\s-]+(?P<m>{_MON[1:-4]})\.?,?[\s-]+(?P<y>(?:19|20)\d{{2}})\b"),
    ("month", rf"\b(?P<m>{_MON[1:-4]})\.?,?[\s-]+(?P<y>(?:19|20)\d{{2}})\b"),
    ("month_numeric", r"(?<![\d./-])(?P<m>0?[1-9]|1[0-2])\s?[/.-]\s?(?P<y>(?:19|20)\d{2})(?![\d./-])"),
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
                year = int(p["y"])
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
            mention = Mention(m.start(), m.end(), kind, m.groupdict(), m.group(0))
            if mention.resolve("MDY") is None and mention.resolve("DMY") is None:
                continue
            found.append(mention)
    return sorted(found, key=lambda f: f.start)


def decide_order(mentions: list[Mention], locale: str | None) -> tuple[str, bool]:
    """("MDY" | "DMY", settled_by_content) for the numeric dates of one document."""
    numeric = [m for m in mentions if m.kind == "numeric"]
    for m in numeric:
        if int(m.parts["a"]) > 12 >= int(m.parts["b"]):
            return "DMY", True
        if int(m.parts["b"]) > 12 >= int(m.parts["a"]):
            return "MDY", True
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
