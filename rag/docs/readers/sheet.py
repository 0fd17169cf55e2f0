"""Spreadsheets (.xlsx, .xls, .ods) with python-calamine: each sheet's rows as tab-separated lines.

A merged cell's value stays in its first cell and the cells it covers are empty, as a
group cell (类别) written once per group is in a text table; the table model fills it down.
Empty rows and columns go, so an indicator table laid out anywhere on a sheet becomes the
same :class:`~rag.models.Table` as its text twin. A sheet is read up to ``MAX_CELLS``
cells (rows × used width), so a very wide, sparse sheet, or a stray cell far away, does
not blow up memory; what was left out is said in a warning. Values are written as the sheet
shows them: dates as dates (calamine reads the date formats), a cell formatted as a
percentage as 55% (:mod:`~rag.docs.readers.numfmt`). A sheet whose used range calamine
could not hold is refused before it is opened (:mod:`~rag.docs.readers.extent`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Sequence

from rag.docs.readers import RawText
from rag.docs.readers.extent import OLE_MAGIC, check_extent
from rag.docs.readers.numfmt import (
    Percents,
    ods_percent_cells,
    show_percent,
    xls_percent_cells,
    xlsx_percent_cells,
)
from rag.errors import UnreadableFileError

log = logging.getLogger(__name__)

MAX_CELLS = 2_000_000
_DEFAULT_SHEET_NAME = re.compile(r"^(Sheet|工作表|Лист)\s*\d+$", re.IGNORECASE)


def read_sheet(data: bytes, name: str) -> RawText:
    """Each non-empty sheet of a workbook: its name (when it has one of its own), then its rows."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    warnings: list[str] = []
    blocks: list[str] = []
    check_extent(data, name)  # a sheet too large for calamine to hold is refused first
    percents = _percent_cells(data, name)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        with workbook:
            names = workbook.sheet_names
            if len(percents) != len(names):
                percents = []  # sheets that do not line up with calamine's: stored values
            for index, sheet_name in enumerate(names):
                sheet = workbook.get_sheet_by_index(index)
                height, width = sheet.height, sheet.width
                if not height or not width:
                    continue
                nrows = min(height, max(1, MAX_CELLS // width))
                if nrows < height:
                    log.warning("%s: sheet %s has %d x %d cells, read %d rows", name, sheet_name, height, width, nrows)
                    warnings.append(
                        f"工作表“{sheet_name}”过大（{height} 行 × {width} 列），只读取了前 {nrows} 行：{name}"
                    )
                origin = sheet.start or (0, 0)  # the grid starts at the first used cell
                shown = percents[index] if index < len(percents) else {}
                rows = _rows(sheet.to_python(skip_empty_area=True, nrows=nrows), origin, shown)
                if not rows:
                    continue
                lines = ["\t".join(r) for r in rows]
                if len(names) > 1 and not _DEFAULT_SHEET_NAME.match(sheet_name.strip()):
                    lines.insert(0, sheet_name.strip())
                blocks.append("\n".join(lines))
    except PasswordError as exc:
        raise UnreadableFileError(
            f"表格文件已加密（设有打开密码），无法读取；请在 Office 或 WPS 中取消密码后再导入：{name}", repr(exc)
        ) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFileError(f"表格文件损坏或格式不对，无法读取：{name}", repr(exc)) from exc
    except BaseException as exc:
        # calamine panics on some damaged files (a Rust panic: pyo3's PanicException, a BaseException)
        if type(exc).__name__ != "PanicException":
            raise
        raise UnreadableFileError(f"表格文件损坏或格式不对，无法读取：{name}", repr(exc)) from exc
    if not blocks:
        raise UnreadableFileError(f"表格文件中没有内容：{name}", f"no cells in {name}")
    return RawText("\n\n".join(blocks), warnings=warnings)


def _percent_cells(data: bytes, name: str) -> list[Percents]:
    """Per sheet, the cells shown as percentages."""
    if data.startswith(OLE_MAGIC):
        return xls_percent_cells(data, name)
    if not data.startswith(b"PK"):
        return []
    if b"opendocument.spreadsheet" in data[:100]:  # an .ods's stored mimetype comes first
        return ods_percent_cells(data, name)
    return xlsx_percent_cells(data, name)


def _rows(
    grid: Sequence[Sequence[object]], origin: tuple[int, int] = (0, 0), percents: Percents | None = None
) -> list[list[str]]:
    """Cells as text (a percentage as shown: ``percents`` by the sheet's (row, column), the grid
    starting at ``origin``), empty rows and columns dropped."""
    shown = percents or {}
    cells = [
        [_cell(v, shown.get((origin[0] + i, origin[1] + j))) for j, v in enumerate(row)]
        for i, row in enumerate(grid)
    ]
    cells = [row for row in cells if any(row)]
    if not cells:
        return []
    width = max(len(r) for r in cells)
    used = [j for j in range(width) if any(j < len(r) and r[j] for r in cells)]
    return [[r[j] if j < len(r) else "" for j in used] for r in cells]


def _cell(value: object, percent: int | None = None) -> str:
    """A value as the sheet shows it; ``percent``: the decimals of its percentage format."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if percent is not None and isinstance(value, int | float):
        return show_percent(float(value), percent)
    if isinstance(value, float):
        return format(value, ".12g")  # 3913.5000000000023 -> 3913.5, 2025.0 -> 2025
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()  # a date format's 2026-01-01, not 2026-01-01 00:00:00
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return re.sub(r"[\t\r\n]+", " ", str(value)).strip()
