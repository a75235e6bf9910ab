"""Reading spreadsheets: a CSV (sniffed dialect, UTF-8 or Windows-1252) or the
first sheet of an Excel workbook (.xlsx/.xlsm, or an old-style .xls), as a
header row and rows of values.

Values are read, never formulas (openpyxl ``data_only``/``read_only``; xlrd
reads the values a .xls stores). Used by the imports
(``portal.services.imports``) and the roster and exclusion files of
verification.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from portal.errors import Invalid

MAX_ROWS_DEFAULT = 50_000
EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
WORKBOOK_NAMES = ".xlsx or .xls"  # as messages name the workbooks read
ACCEPT_ATTRIBUTE = ",".join(EXTENSIONS)  # the file inputs' accept=
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def name_key(text: str) -> str:
    """Lower-case words of letters and digits: how headers, names and type
    names from a sheet are compared with what they should match."""
    return _NOT_WORD.sub(" ", (text or "").lower()).strip()


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]          # values as read: str, date, number, bool or None
    row_numbers: list[int]         # the spreadsheet's own row numbers, for messages


def max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS", MAX_ROWS_DEFAULT))


def is_workbook(filename: str) -> bool:
    """Excel workbooks by name; anything else accepted is read as CSV text."""
    return filename.lower().endswith(WORKBOOK_EXTENSIONS)


def _raw_rows(path: Path, filename: str):
    if filename.lower().endswith(".xls"):
        return _xls_rows(path)
    return _xlsx_rows(path) if is_workbook(filename) else _csv_rows(path)


def _header(row: list[Any]) -> list[str] | None:
    """The row as headers, when it is the header row (the first with a value)."""
    if any(v not in (None, "") for v in row):
        return [str(v).strip() if v is not None else "" for v in row]
    return None


def read_headers(path: Path, filename: str) -> list[str]:
    """The header row alone, read without going through the rest of the file;
    ``Invalid`` for the file field when there is none or it cannot be read."""
    for _, row in _raw_rows(path, filename):
        headers = _header(row)
        if headers:
            return headers
    raise Invalid("The file has no header row.", "file")


def read_table(path: Path, filename: str, limit: int | None = None) -> Table:
    """The first sheet (or the CSV) as a header row and value rows; a file
    that cannot be read, or holds more than ``limit`` rows (default: the
    import limit, ``max_rows()``), raises ``Invalid`` for the file field."""
    headers: list[str] | None = None
    limit = limit or max_rows()
    rows, numbers = [], []
    for number, row in _raw_rows(path, filename):
        if headers is None:
            headers = _header(row)
            continue
        if all(v in (None, "") for v in row):
            continue
        if len(rows) >= limit:
            raise Invalid(f"The file has more than {limit:,} rows. Split it into smaller files.", "file")
        rows.append(list(row) + [None] * (len(headers) - len(row)))
        numbers.append(number)
    if not headers:
        raise Invalid("The file has no header row.", "file")
    return Table(headers, rows, numbers)


def _csv_rows(path: Path):
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise Invalid("This is not a text CSV file.", "file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in row]
    except csv.Error as error:
        raise Invalid(f"The CSV could not be read: {error}.", "file") from None


def _xlsx_rows(path: Path):
    from openpyxl import load_workbook

    with open(path, "rb") as handle:  # a file object: openpyxl checks names' extensions
        try:
            # data_only: the values Excel last computed, never the formulas;
            # read_only: streams rows, so 50,000 rows stay cheap.
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for damaged files
            raise Invalid("The file could not be read as an Excel workbook (.xlsx). "
                          "Save it again from Excel, or export it as CSV.", "file") from error
        rows = (([v.strip() if isinstance(v, str) else v for v in row])
                for row in workbook.worksheets[0].iter_rows(values_only=True))
        yield from _to_the_end(rows, workbook.close)


def _to_the_end(rows, close):
    """Number and yield a workbook's rows; a library error part way is ``Invalid`` for the file
    field, and ``close`` runs however the reading ends."""
    try:
        for number, row in enumerate(rows, start=1):
            yield number, row
    except Exception as error:  # the libraries raise many kinds for damaged files
        raise Invalid("The workbook is damaged and could not be read to the end.", "file") from error
    finally:
        close()


def _xls_rows(path: Path):
    """An old-style (BIFF, Excel 97-2003) workbook's first sheet, through xlrd."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), on_demand=True)
    except Exception as error:  # xlrd raises many kinds for damaged or mislabelled files
        raise Invalid("The file could not be read as an old-style Excel workbook (.xls). "
                      "Save it again from Excel (as .xlsx), or export it as CSV.", "file") from error
    def rows():
        sheet = book.sheet_by_index(0)
        for index in range(sheet.nrows):
            yield [_xls_value(cell, book.datemode) for cell in sheet.row(index)]

    yield from _to_the_end(rows(), book.release_resources)


def _xls_value(cell, datemode: int) -> Any:
    """A .xls cell as openpyxl gives an .xlsx one: text stripped, whole numbers as int, dates as datetime."""
    import xlrd

    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value.strip()
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        # .xls stores every number as a float: "445566" typed in a cell comes back 445566.0.
        return int(cell.value) if float(cell.value).is_integer() else cell.value
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(cell.value, datemode)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    return None  # empty, blank, or an error value (#N/A)
