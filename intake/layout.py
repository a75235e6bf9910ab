"""Lines, segments and a flat token stream over the word model.

Words are grouped into lines by their deskewed centres, lines into segments
where the horizontal gap is wider than about one character height (a table
cell, a label column, a value column). Geometry is in page pixels so x and y
distances compare. The token stream is every word in reading order, with a
character offset into ``Layout.text`` so regexes (dates, sentences) can run
over the text and map back to words.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from dataclasses import dataclass, field

from .model import Page, Word


@dataclass
class Token:
    word: Word
    index: int               # position in Layout.tokens
    line: "Line"
    seg: int                 # segment number within the line
    start: int = 0           # char offset in Layout.text
    end: int = 0
    norm: str = ""           # folded text for label matching

    @property
    def text(self) -> str:
        return self.word.text


@dataclass
class Line:
    page: int
    tokens: list[Token] = field(default_factory=list)
    y: float = 0.0           # centre, page pixels (deskewed)
    h: float = 0.0           # typical glyph height, pixels
    number: int = 0          # index in Layout.lines
    page_h: float = 1.0

    def segments(self) -> list[list[Token]]:
        out: dict[int, list[Token]] = {}
        for t in self.tokens:
            out.setdefault(t.seg, []).append(t)
        return list(out.values())

    def segment(self, seg: int) -> list[Token]:
        return [t for t in self.tokens if t.seg == seg]


def fold_token(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^0-9a-z#+]", "", text)


class Layout:
    def __init__(self, pages: list[Page]):
        self.pages = pages
        self.lines: list[Line] = []
        self.tokens: list[Token] = []
        self.pages_by_number = {p.number: p for p in pages}
        for page in pages:
            self._add_page(page)
        parts = []
        pos = 0
        for line in self.lines:
            for t in line.tokens:
                t.index = len(self.tokens)
                self.tokens.append(t)
                t.start = pos
                parts.append(t.text)
                pos += len(t.text)
                t.end = pos
                parts.append(" ")
                pos += 1
            parts[-1:] = ["\n"] if parts else []
        self.text = "".join(parts)
        self._starts = [t.start for t in self.tokens]

    # geometry in pixels of the page (x and y comparable)
    @staticmethod
    def px(word: Word, page: Page) -> tuple[float, float, float, float]:
        w, h = max(page.width_px, 1), max(page.height_px, 1)
        half = (word.x1 - word.x0) * w / 2
        return word.lx * w - half, word.ly * h, word.lx * w + half, (word.bottom - word.top) * h

    def _add_page(self, page: Page) -> None:
        items = []
        for word in page.words:
            x0, cy, x1, hh = self.px(word, page)
            items.append((cy, x0, x1, max(hh, 1.0), word))
        items.sort(key=lambda i: (i[0], i[1]))
        rows: list[list] = []
        for item in items:
            cy, hh = item[0], item[3]
            if rows:
                row = rows[-1]
                ry = statistics.fmean(i[0] for i in row)
                rh = statistics.median(i[3] for i in row)
                if abs(cy - ry) < 0.5 * max(min(hh, rh), 0.6 * max(hh, rh)):
                    row.append(item)
                    continue
            rows.append([item])
        for row in rows:
            row.sort(key=lambda i: i[1])
            hh = statistics.median(i[3] for i in row)
            line = Line(page.number, y=statistics.fmean(i[0] for i in row), h=hh,
                        number=len(self.lines), page_h=page.height_px or 1)
            seg, prev_x1 = 0, None
            for cy, x0, x1, h_, word in row:
                if prev_x1 is not None and x0 - prev_x1 > 1.1 * hh:
                    seg += 1
                line.tokens.append(Token(word, 0, line, seg, norm=fold_token(word.text)))
                prev_x1 = x1
            self.lines.append(line)

    def token_at(self, offset: int) -> Token:
        import bisect
        i = bisect.bisect_right(self._starts, offset) - 1
        return self.tokens[max(i, 0)]

    def tokens_in(self, start: int, end: int) -> list[Token]:
        return [t for t in self.tokens if t.start < end and start < t.end]

    def xspan(self, tokens: list[Token]) -> tuple[float, float]:
        page = self.pages_by_number[tokens[0].line.page]
        spans = [self.px(t.word, page) for t in tokens]
        return min(s[0] for s in spans), max(s[2] for s in spans)

    def below(self, line: Line, x0: float, x1: float, max_lines: int = 2,
              max_gap: float = 3.0) -> list[tuple[Line, list[Token]]]:
        """Segments under ``[x0, x1]`` in the next lines of the same page."""
        out = []
        for nxt in self.lines[line.number + 1: line.number + 1 + max_lines * 3]:
            if nxt.page != line.page or nxt.y - line.y > max_gap * max(line.h, nxt.h) * (len(out) + 1.5):
                break
            for seg in nxt.segments():
                if sum(c.isalnum() for t in seg for c in t.text) <= 1:
                    continue   # a speck or a table rule read as "|", "1", "—"
                sx0, sx1 = self.xspan(seg)
                overlap = min(x1, sx1) - max(x0, sx0)
                if overlap > 0 or abs((sx0 + sx1) / 2 - (x0 + x1) / 2) < 0.3 * (x1 - x0 + sx1 - sx0):
                    out.append((nxt, seg))
            if len(out) >= max_lines:
                break
        return out

    def above(self, line: Line, x0: float, x1: float, max_gap: float = 3.5) -> list[Token] | None:
        """The nearest segment above ``[x0, x1]`` (a column header)."""
        for prev in reversed(self.lines[max(0, line.number - 4): line.number]):
            if prev.page != line.page or line.y - prev.y > max_gap * max(line.h, prev.h):
                break
            best, best_overlap = None, 0.0
            for seg in prev.segments():
                sx0, sx1 = self.xspan(seg)
                overlap = min(x1, sx1) - max(x0, sx0)
                if overlap > best_overlap:
                    best, best_overlap = seg, overlap
            if best:
                return best
        return None
