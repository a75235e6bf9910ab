"""Old-style Excel (.xls) workbooks made in the tests.

No maintained Python package writes .xls (xlwt, the one writer, has had no
release since 2017), so the tests build the file themselves from the two
published formats: a BIFF8 workbook stream ([MS-XLS]) inside an OLE2
compound file ([MS-CFB], version 3, 512-byte sectors). One sheet; cells are
text (in the shared string table, as Excel writes them), numbers, or dates
(a number under the built-in m/d/yyyy format). The stream is padded to the
4,096-byte mini-stream cutoff, so it lives in ordinary sectors.

    workbook([["License Number", "Expires"], ["RN1", date(2027, 5, 31)], ...]) -> bytes
"""
from __future__ import annotations

import struct
from datetime import date, datetime

SECTOR = 512
END_OF_CHAIN, FAT_SECTOR, FREE, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF
GENERAL_XF, DATE_XF = 0, 1
EXCEL_EPOCH = date(1899, 12, 30)  # the 1900 date system, past Excel's phantom 29 Feb 1900


def _record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _text(value: str, length_bytes: int = 2) -> bytes:
    """An unformatted BIFF8 string, stored as UTF-16LE (option flag 1)."""
    length = struct.pack("<H" if length_bytes == 2 else "<B", len(value))
    return length + b"\x01" + value.encode("utf-16-le")


def _xf(format_index: int) -> bytes:
    # font 0, format, a cell XF whose parent is style XF 0, general alignment, no borders or fill.
    return _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, format_index, 0x0000, 0x20, 0, 0, 0xF8, 0, 0, 0x20C0))


def _cells(rows: list[list]) -> tuple[list[str], bytes]:
    strings: list[str] = []
    index: dict[str, int] = {}
    out = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                out += _record(0x00FD, struct.pack("<HHHI", r, c, GENERAL_XF, index[value]))  # LABELSST
            elif isinstance(value, (date, datetime)):
                day = value.date() if isinstance(value, datetime) else value
                out += _record(0x0203, struct.pack("<HHHd", r, c, DATE_XF, float((day - EXCEL_EPOCH).days)))
            else:
                out += _record(0x0203, struct.pack("<HHHd", r, c, GENERAL_XF, float(value)))  # NUMBER
    return strings, out


def _workbook_stream(rows: list[list], sheet_name: str) -> bytes:
    strings, cells = _cells(rows)
    sst = _record(0x00FC, struct.pack("<II", len(strings), len(strings)) + b"".join(_text(s) for s in strings))
    assert len(sst) <= 8228, "more shared text than one SST record holds (CONTINUE records are not written)"
    columns = max((len(r) for r in rows), default=0)
    sheet = (_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06))  # BOF: worksheet
             + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, columns, 0))  # DIMENSIONS
             + cells + _record(0x000A, b""))  # EOF
    name = _text(sheet_name, length_bytes=1)

    def globals_part(sheet_at: int) -> bytes:
        return (_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))  # BOF: globals
                + _record(0x0042, struct.pack("<H", 1200))  # CODEPAGE: UTF-16
                + _record(0x0022, struct.pack("<H", 0))  # DATEMODE: 1900
                + _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _text("Arial", 1))
                + _xf(0) + _xf(14)  # General; the built-in date format m/d/yyyy
                + _record(0x0085, struct.pack("<IBB", sheet_at, 0, 0) + name)  # BOUNDSHEET
                + sst + _record(0x000A, b""))

    head = globals_part(0)
    stream = globals_part(len(head)) + sheet
    return stream + b"\x00" * max(0, 4096 - len(stream))


def _directory_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", NO_STREAM, NO_STREAM, child) + b"\x00" * 16 + struct.pack("<I", 0)
            + b"\x00" * 16 + struct.pack("<III", start, size, 0))


def workbook(rows: list[list], sheet_name: str = "Sheet1") -> bytes:
    """A .xls file whose first sheet holds ``rows`` (str, int/float, date or None per cell)."""
    stream = _workbook_stream(rows, sheet_name)
    data_sectors = -(-len(stream) // SECTOR)
    fat_sectors = 1
    while data_sectors + 1 + fat_sectors > fat_sectors * (SECTOR // 4):
        fat_sectors += 1
    assert fat_sectors <= 109, "larger than the header's own FAT list (DIFAT sectors are not written)"
    directory_at = data_sectors
    fat_at = directory_at + 1
    fat = [i + 1 for i in range(data_sectors - 1)] + [END_OF_CHAIN, END_OF_CHAIN] + [FAT_SECTOR] * fat_sectors
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 16
              + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, fat_sectors, directory_at, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<109I", *([fat_at + i for i in range(fat_sectors)] + [FREE] * (109 - fat_sectors))))
    directory = (_directory_entry("Root Entry", 5, 1, END_OF_CHAIN, 0)
                 + _directory_entry("Workbook", 2, NO_STREAM, 0, len(stream))
                 + _directory_entry("", 0, NO_STREAM, 0, 0) * 2)
    body = stream.ljust(data_sectors * SECTOR, b"\x00") + directory + struct.pack(f"<{len(fat)}I", *fat)
    return header + body
