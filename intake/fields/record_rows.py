"""The credential's own row in a transcript or training record.

A record lists many rows (modules, webinars, exams), each a date, a code, a
title, a type cell and an outcome; the credential is the one row whose type
cell names a credential ("Credential", "Certification", "Licence"). Its first
date is when it was granted, its identifier cell is its number, and a date in
a column whose header names an end ("Valid until", "Not valid after") is its
expiry. Nothing here knows an issuer or a layout: a table, its header and the
kind of thing a row records.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import dates as D
from ..layout import Line, Token
from .vocabulary import CREDENTIAL_NOUNS

ROW_MIN_CELLS = 4        # a table row: a date and at least three more cells
HEADER_REACH = 12        # lines above a row to look for its table's header


@dataclass
class CredentialRow:
    line: Line
    cells: list[list[Token]]            # the row's segments, left to right
    type_cell: int                      # index of the cell that names a credential
    dates: list[tuple[D.Mention, list[Token]]]
    header: Line | None


def find_credential_row(doc) -> CredentialRow | None:
    """The one table row whose type cell names a credential; None when there is none or several."""
    layout = doc.layout
    by_line: dict[int, list[tuple[D.Mention, list[Token]]]] = {}
    for mention in D.find_dates(layout.text):
        toks = layout.tokens_in(mention.start, mention.end)
        if toks:
            by_line.setdefault(toks[0].line.number, []).append((mention, toks))
    rows = []
    for number, found in by_line.items():
        line = layout.lines[number]
        cells = line.segments()
        if len(cells) < ROW_MIN_CELLS or found[0][1][0] is not line.tokens[0]:
            continue   # a row starts with its date
        typed = [k for k, cell in enumerate(cells[1:], 1)
                 if len(cell) == 1 and cell[0].norm in CREDENTIAL_NOUNS]
        if typed:
            rows.append(CredentialRow(line, cells, typed[0], found, None))
    if len(rows) != 1:
        return None
    row = rows[0]
    row.header = _header(doc, row.line, by_line)
    return row


def _header(doc, line: Line, by_line: dict) -> Line | None:
    """The table's header: the nearest line above the row with several cells and no date."""
    for prev in reversed(doc.layout.lines[max(0, line.number - HEADER_REACH): line.number]):
        if prev.page != line.page:
            break
        if prev.number not in by_line and len(prev.segments()) >= ROW_MIN_CELLS - 1:
            return prev
    return None


def header_roles(doc, row: CredentialRow, toks: list[Token]) -> list[str]:
    """The label kinds of the header cell above ``toks`` (and of the header's wrapped next line)."""
    if row.header is None:
        return []
    x0, x1 = doc.layout.xspan(toks)
    kinds = []
    for number in (row.header.number, row.header.number + 1):
        if number >= row.line.number:
            break
        for m in doc.ex.labels[number]:
            m0, m1 = doc.layout.xspan(m.tokens)
            if min(x1, m1) - max(x0, m0) > 0 or abs((m0 + m1) / 2 - (x0 + x1) / 2) < (x1 - x0 + m1 - m0) / 2:
                kinds.append(m.kind)
    return kinds
