"""Percentages as Excel shows them: the cells whose number format is a percentage.

calamine returns a cell's stored value: a rate formatted ``0%`` is 0.55, where the user sees
55%. (Dates it already returns as dates.) :func:`xlsx_percent_cells` reads, per sheet in
workbook order, which cells carry a percentage format and with how many decimals, from
``xl/styles.xml`` (cellXfs → numFmtId → the built-in 9 / 10 or a custom ``numFmt`` whose code
has a % outside quotes) and the cells' ``s`` attributes in the sheet XML. The sheet reader
then writes such a value as 55% / 12.34%. An .ods cell says it itself
(``office:value-type="percentage"``, its decimals in the text it shows):
:func:`ods_percent_cells`. An .xls has the same chain in BIFF records (a cell's XF index →
the XF's format index → a built-in or FORMAT record): :func:`xls_percent_cells`.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
import zlib
from posixpath import dirname, join, normpath
from typing import Any

log = logging.getLogger(__name__)

_BUILTIN_PERCENT = {9: 0, 10: 2}  # 0%, 0.00%
_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_NUMFMT_ID = re.compile(rb'numFmtId="(\d+)"')
_STYLED_CELL = re.compile(rb'<(?:\w+:)?c\b(?=[^>]*?\bs="(\d+)")[^>]*?\br="([A-Z]{1,3})(\d{1,7})"')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')
_REL = re.compile(rb'<Relationship\b(?=[^>]*\bId="([^"]+)")[^>]*?\bTarget="([^"]+)"')
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_UNZIP_ERRORS = (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, OSError, ValueError, KeyError)

Percents = dict[tuple[int, int], int]  # (row, column), 0-based -> decimals


def percent_decimals(code: str) -> int | None:
    """The decimals a number format shows a percentage with ("0.0%" -> 1), None if no %."""
    section = _QUOTED.sub("", code.split(";", 1)[0])
    if "%" not in section:
        return None
    m = re.search(r"\.([0#?]+)", section)
    return len(m.group(1)) if m else 0


def xlsx_percent_cells(data: bytes, name: str) -> list[Percents]:
    """For each sheet of an .xlsx, in workbook order, its percentage cells; [] when unreadable."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            styles = _percent_styles(_read(archive, "xl/styles.xml"))
            if not styles:
                return []
            return [_sheet_percents(_read(archive, part), styles) for part in _sheet_parts(archive)]
    except _UNZIP_ERRORS as exc:
        log.info("%s: number formats not read: %r", name, exc)
        return []


def _read(archive: zipfile.ZipFile, part: str) -> bytes:
    return archive.read(part) if part in archive.namelist() else b""


def _percent_styles(styles: bytes) -> dict[int, int]:
    """{cellXfs index: decimals} of the styles that show a percentage."""
    formats: dict[int, int] = dict(_BUILTIN_PERCENT)
    for m in _NUMFMT.finditer(styles):
        code = m.group(2).decode("utf-8", errors="replace").replace("&quot;", '"').replace("&amp;", "&")
        decimals = percent_decimals(code)
        if decimals is None:
            formats.pop(int(m.group(1)), None)
        else:
            formats[int(m.group(1))] = decimals
    xfs = _CELL_XFS.search(styles)
    out = {}
    for index, xf in enumerate(_XF.finditer(xfs.group(0) if xfs else b"")):
        fmt = _NUMFMT_ID.search(xf.group(1))
        if fmt and int(fmt.group(1)) in formats:
            out[index] = formats[int(fmt.group(1))]
    return out


def _sheet_parts(archive: zipfile.ZipFile) -> list[str]:
    """The worksheet parts in workbook order (xl/workbook.xml and its relationships)."""
    rels = {rid.decode(): target.decode() for rid, target in _REL.findall(_read(archive, "xl/_rels/workbook.xml.rels"))}
    parts = []
    for rid in _SHEET.findall(_read(archive, "xl/workbook.xml")):
        target = rels.get(rid.decode(), "")
        parts.append(target.lstrip("/") if target.startswith("/") else normpath(join(dirname("xl/workbook.xml"), target)))
    return parts


def _sheet_percents(xml: bytes, styles: dict[int, int]) -> Percents:
    out: Percents = {}
    for m in _STYLED_CELL.finditer(xml):
        decimals = styles.get(int(m.group(1)))
        if decimals is not None:
            out[(int(m.group(3)) - 1, _column(m.group(2)))] = decimals
    return out


def _column(letters: bytes) -> int:
    n = 0
    for c in letters:
        n = n * 26 + c - 64
    return n - 1


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_SHOWN_DECIMALS = re.compile(r"[.,](\d+)\s*%")


def ods_percent_cells(data: bytes, name: str) -> list[Percents]:
    """For each table of an .ods, in order, its percentage cells; [] when unreadable."""
    from lxml import etree

    out: list[Percents] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as content:
            row = 0
            for event, element in etree.iterparse(content, events=("start", "end")):
                if element.tag == f"{_TABLE}table" and event == "start":
                    out.append({})
                    row = 0
                elif element.tag == f"{_TABLE}table-row" and event == "end" and out:
                    row = _ods_row(element, row, out[-1])
                    element.clear()
    except (etree.XMLSyntaxError, *_UNZIP_ERRORS) as exc:
        log.info("%s: percentage cells not read: %r", name, exc)
        return []
    return out


def _ods_row(tr: Any, row: int, percents: Percents) -> int:
    """Record the row's percentage cells (repeats counted); the index of the next row."""
    rows = _repeat(tr, "number-rows-repeated")
    col = 0
    for cell in tr:
        cols = _repeat(cell, "number-columns-repeated")
        if cell.get(f"{_OFFICE}value-type") == "percentage":
            m = _SHOWN_DECIMALS.search("".join(cell.itertext()))
            for r in range(row, row + min(rows, 1000)):
                for c in range(col, col + min(cols, 1000)):
                    percents[(r, c)] = len(m.group(1)) if m else 0
        col += cols
    return row + rows


def _repeat(element: Any, attribute: str) -> int:
    value = element.get(f"{_TABLE}{attribute}")
    return int(value) if value and value.isdigit() else 1


# BIFF record types
_BIFF_FORMAT, _BIFF_XF, _BIFF_BOUNDSHEET, _BIFF_EOF, _BIFF_FILEPASS = 0x041E, 0x00E0, 0x0085, 0x000A, 0x002F
_BIFF_BOF = 0x0809
_BIFF_NUMBER, _BIFF_RK, _BIFF_MULRK, _BIFF_FORMULA = 0x0203, 0x027E, 0x00BD, 0x0006


def xls_percent_cells(data: bytes, name: str) -> list[Percents]:
    """For each sheet of an .xls (every BOUNDSHEET, in order), its percentage cells; [] when
    there are none or the workbook is unreadable or encrypted."""
    import struct

    import olefile

    from rag.docs.readers.extent import _records

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream = ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()
    except Exception as exc:  # noqa: BLE001 - olefile raises OSError, ValueError, IndexError … on damage
        log.info("%s: number formats not read: %r", name, exc)
        return []
    formats: dict[int, int] = dict(_BUILTIN_PERCENT)
    xf_formats: list[int] = []
    sheets: list[int] = []
    biff8 = True
    for kind, payload in _records(stream, 0):
        if kind == _BIFF_BOF and len(payload) >= 2:
            biff8 = struct.unpack_from("<H", payload)[0] == 0x0600
        elif kind == _BIFF_FILEPASS:
            return []
        elif kind == _BIFF_FORMAT and len(payload) >= 3:
            decimals = percent_decimals(_biff_string(payload[2:], biff8))
            index = struct.unpack_from("<H", payload)[0]
            if decimals is None:
                formats.pop(index, None)
            else:
                formats[index] = decimals
        elif kind == _BIFF_XF and len(payload) >= 4:
            xf_formats.append(struct.unpack_from("<H", payload, 2)[0])
        elif kind == _BIFF_BOUNDSHEET and len(payload) >= 4:
            sheets.append(struct.unpack_from("<I", payload)[0])
        elif kind == _BIFF_EOF:
            break
    styles = {i: formats[f] for i, f in enumerate(xf_formats) if f in formats}
    if not styles:
        return []
    return [_xls_sheet_percents(stream, offset, styles) for offset in sheets]


def _biff_string(raw: bytes, biff8: bool) -> str:
    """A BIFF8 XLUnicodeString (length, flags, characters), or a BIFF5 byte string."""
    if biff8 and len(raw) >= 3:
        size, wide = int.from_bytes(raw[:2], "little"), raw[2] & 1
        start = 3 + (2 if raw[2] & 8 else 0) + (4 if raw[2] & 4 else 0)
        chars = raw[start : start + size * (2 if wide else 1)]
        return chars.decode("utf-16-le" if wide else "latin-1", errors="replace")
    return raw[1 : 1 + raw[0]].decode("latin-1", errors="replace") if raw else ""


def _xls_sheet_percents(stream: bytes, offset: int, styles: dict[int, int]) -> Percents:
    import struct

    from rag.docs.readers.extent import _records

    out: Percents = {}
    for kind, payload in _records(stream, offset):
        if kind in (_BIFF_NUMBER, _BIFF_RK, _BIFF_FORMULA) and len(payload) >= 6:
            row, col, xf = struct.unpack_from("<HHH", payload)
            if xf in styles:
                out[(row, col)] = styles[xf]
        elif kind == _BIFF_MULRK and len(payload) >= 6:
            row, first = struct.unpack_from("<HH", payload)
            for k in range((len(payload) - 6) // 6):
                xf = struct.unpack_from("<H", payload, 4 + 6 * k)[0]
                if xf in styles:
                    out[(row, first + k)] = styles[xf]
        elif kind == _BIFF_EOF:
            break
    return out


def show_percent(value: float, decimals: int) -> str:
    """0.55 -> "55%", 0.1234 with 2 decimals -> "12.34%"."""
    return f"{value * 100:.{decimals}f}%"
