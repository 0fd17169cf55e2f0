"""How large a workbook's sheets are, read from the file before calamine opens it.

calamine holds a sheet's whole used range (first to last cell) in memory and aborts the
process when it cannot, so a sheet whose range is larger than ``MAX_SHEET_AREA`` cells (a
stray cell at XFD1048576, a generated sheet) is refused first, from what each format says
cheaply:

- .xlsx: the cell references (``r="C7"``) of each ``xl/worksheets/*.xml``;
- .xls (BIFF): each worksheet's DIMENSIONS record, found from the BOUNDSHEET offsets in the
  workbook globals, a few records into the sheet (an encrypted workbook is left to calamine,
  which says it needs a password);
- .ods: the rows and cells of ``content.xml`` with their repeat counts, the range reaching
  the last non-empty cell.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

MAX_SHEET_AREA = 5_000_000
_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# BIFF record types
_EOF, _BOUNDSHEET, _DIMENSIONS, _FILEPASS = 0x000A, 0x0085, 0x0200, 0x002F
_DIMENSIONS_WITHIN = 200  # records after a sheet's BOF where its DIMENSIONS is looked for

_UNZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, ValueError, KeyError)
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def check_extent(data: bytes, name: str) -> None:
    """Refuse a workbook with a sheet whose used range is over ``MAX_SHEET_AREA`` cells."""
    for sheet, area in _areas(data, name):
        if area > MAX_SHEET_AREA:
            raise UnreadableFileError(
                f"表格范围过大（约 {area // 10000} 万个单元格，可能有远处的零散单元格），"
                f"请删除多余的行列后再导入：{name}",
                f"sheet {sheet}: used range {area} cells > {MAX_SHEET_AREA}",
            )


def _areas(data: bytes, name: str) -> Iterator[tuple[str, int]]:
    if data.startswith(OLE_MAGIC):
        yield from _xls_areas(data, name)
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # calamine says it is damaged
    with archive:
        names = archive.namelist()
        if "content.xml" in names:
            yield from _ods_areas(archive, name)
        for entry in names:
            if entry.startswith("xl/worksheets/") and entry.endswith(".xml"):
                try:
                    xml = archive.read(entry)
                except _UNZIP_ERRORS as exc:
                    log.info("%s: unreadable %s for the extent check: %r", name, entry, exc)
                    continue  # calamine says it is damaged
                area = _xlsx_area(xml)
                if area:
                    yield entry, area


def _xlsx_area(xml: bytes) -> int:
    rows: list[int] = []
    cols: list[int] = []
    for m in _CELL_REF.finditer(xml):
        cols.append(_column_index(m.group(1)))
        rows.append(int(m.group(2)))
    if not rows:
        return 0
    return (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)


def _column_index(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, bytes]]:
    """(type, payload) of the BIFF records from ``pos`` on."""
    while pos + 4 <= len(stream):
        kind, size = struct.unpack_from("<HH", stream, pos)
        yield kind, stream[pos + 4 : pos + 4 + size]
        pos += 4 + size


def _xls_areas(data: bytes, name: str) -> Iterator[tuple[str, int]]:
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            entry = "Workbook" if ole.exists("Workbook") else "Book"
            stream = ole.openstream(entry).read()
    except Exception as exc:  # noqa: BLE001 - olefile raises OSError, ValueError, IndexError … on damage
        log.info("%s: no readable workbook stream for the extent check: %r", name, exc)
        return
    offsets = []
    for kind, payload in _records(stream, 0):
        if kind == _FILEPASS:
            return  # encrypted: calamine says so
        if kind == _BOUNDSHEET and len(payload) >= 6 and payload[5] == 0:  # a worksheet
            offsets.append((struct.unpack_from("<I", payload)[0], _sheet_name(payload)))
        if kind == _EOF:
            break
    for offset, sheet in offsets:
        area = _dimensions_area(stream, offset)
        if area:
            yield sheet, area


def _sheet_name(boundsheet: bytes) -> str:
    """A BOUNDSHEET's sheet name (BIFF8: a length, a flag for UTF-16, the characters), for the log."""
    if len(boundsheet) < 8:
        return "?"
    size, wide = boundsheet[6], boundsheet[7] & 1
    raw = boundsheet[8 : 8 + size * (2 if wide else 1)]
    return raw.decode("utf-16-le" if wide else "latin-1", errors="replace")


def _dimensions_area(stream: bytes, offset: int) -> int:
    """The cells in a sheet's DIMENSIONS record (BIFF8: 32-bit rows; BIFF5: 16-bit), or 0."""
    for n, (kind, payload) in enumerate(_records(stream, offset)):
        if kind == _DIMENSIONS:
            if len(payload) >= 14:
                first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", payload)
            elif len(payload) >= 8:
                first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", payload)
            else:
                return 0
            return max(0, last_row - first_row) * max(0, last_col - first_col)
        if kind == _EOF or n >= _DIMENSIONS_WITHIN:
            return 0
    return 0


def _ods_areas(archive: zipfile.ZipFile, name: str) -> Iterator[tuple[str, int]]:
    """Each table's area, row by row (a row is cleared once counted: memory stays small)."""
    from lxml import etree

    extent = _OdsExtent()
    try:
        with archive.open("content.xml") as content:
            for event, element in etree.iterparse(content, events=("start", "end")):
                if element.tag == f"{_TABLE}table":
                    if event == "start":
                        extent = _OdsExtent()
                    elif extent.area():
                        yield element.get(f"{_TABLE}name") or "?", extent.area()
                elif event == "end" and element.tag == f"{_TABLE}table-row":
                    extent.add_row(element)
                    element.clear()
    except (etree.XMLSyntaxError, *_UNZIP_ERRORS) as exc:
        log.info("%s: unreadable content.xml for the extent check: %r", name, exc)


def _repeat(element: Any, attribute: str) -> int:
    value = element.get(f"{_TABLE}{attribute}")
    return int(value) if value and value.isdigit() else 1


class _OdsExtent:
    """The first and last non-empty row and column of one ``table:table`` so far."""

    def __init__(self) -> None:
        self.row = 0  # rows read, repeats counted
        self.rows: tuple[int, int] | None = None  # (first, last + 1)
        self.cols: tuple[int, int] | None = None

    def add_row(self, tr: Any) -> None:
        repeat = _repeat(tr, "number-rows-repeated")
        col = 0
        for cell in tr:
            span = _repeat(cell, "number-columns-repeated")
            if cell.get(f"{_OFFICE}value-type") is not None or len(cell):
                first, last = self.cols or (col, col + span)
                self.cols = (min(first, col), max(last, col + span))
                self.rows = ((self.rows or (self.row, 0))[0], self.row + repeat)
            col += span
        self.row += repeat

    def area(self) -> int:
        if self.rows is None or self.cols is None:
            return 0
        return (self.rows[1] - self.rows[0]) * (self.cols[1] - self.cols[0])
