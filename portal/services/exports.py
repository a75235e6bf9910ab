"""Every spreadsheet the portal hands out is written here, with one cell rule.

A cell whose text starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) is prefixed with a quote, so Excel, LibreOffice and Sheets
show it as text instead of running it (CSV/formula injection). Numbers and
dates stay values: they cannot be formulas.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv"  # a response adds "; charset=utf-8" to a text type (naming it here sent it twice)
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """The value to write in a cell: text that could run as a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float, date, datetime)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (text) with a header row; every cell passed through ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """``csv_lines`` as UTF-8 with a byte-order mark, which Excel needs to read accents right."""
    return csv_lines(header, rows).encode("utf-8-sig")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str, title: str | None = None,
               freeze: str | None = None, widths: dict[str, int] | None = None) -> bytes:
    """An Excel workbook of one sheet: an optional bold title line, a bold header, the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    worksheet = book.active
    worksheet.title = sheet
    if title:
        worksheet.append([safe_cell(title)])
        worksheet.cell(row=1, column=1).font = Font(bold=True)
    worksheet.append(list(header))
    for cell in worksheet[worksheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        worksheet.append([safe_cell(v) for v in row])
    if freeze:
        worksheet.freeze_panes = freeze
    for column, width in (widths or {}).items():
        worksheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
