"""Percentages as Excel shows them: the .xlsx cells whose number format is a percentage.

calamine returns a cell's stored value: a rate formatted ``0%`` is 0.55, where the user sees
55%. (Dates it already returns as dates.) :func:`xlsx_percent_cells` reads, per sheet in
workbook order, which cells carry a percentage format and with how many decimals, from
``xl/styles.xml`` (cellXfs → numFmtId → the built-in 9 / 10 or a custom ``numFmt`` whose code
has a % outside quotes) and the cells' ``s`` attributes in the sheet XML. The sheet reader
then writes such a value as 55% / 12.34%. An .ods cell says it itself
(``office:value-type="percentage"``, its decimals in the text it shows):
:func:`ods_percent_cells`. An .xls (BIFF XF records) is read as calamine returns it.
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


def show_percent(value: float, decimals: int) -> str:
    """0.55 -> "55%", 0.1234 with 2 decimals -> "12.34%"."""
    return f"{value * 100:.{decimals}f}%"
