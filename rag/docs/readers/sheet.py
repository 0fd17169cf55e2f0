"""Spreadsheets (.xlsx, .xls, .ods) with python-calamine: each sheet's rows as tab-separated lines.

A merged cell's value stays in its first cell and the cells it covers are empty, as a
group cell (类别) written once per group is in a text table; the table model fills it down.
Empty rows and columns go, so an indicator table laid out anywhere on a sheet becomes the
same :class:`~rag.models.Table` as its text twin. A sheet is read up to ``MAX_CELLS``
cells (rows × used width), so a very wide, sparse sheet, or a stray cell far away, does
not blow up memory; what was left out is said in a warning. A sheet whose used range calamine
could not hold is refused before it is opened (:mod:`~rag.docs.readers.extent`).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Sequence

from rag.docs.readers import RawText
from rag.docs.readers.extent import check_extent
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
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        with workbook:
            names = workbook.sheet_names
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
                rows = _rows(sheet.to_python(skip_empty_area=True, nrows=nrows))
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


def _rows(grid: Sequence[Sequence[object]]) -> list[list[str]]:
    """Cells as text, empty rows and columns dropped."""
    cells = [[_cell(v) for v in row] for row in grid]
    cells = [row for row in cells if any(row)]
    if not cells:
        return []
    width = max(len(r) for r in cells)
    used = [j for j in range(width) if any(j < len(r) and r[j] for r in cells)]
    return [[r[j] if j < len(r) else "" for j in used] for r in cells]


def _cell(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return format(value, ".12g")  # 3913.5000000000023 -> 3913.5, 2025.0 -> 2025
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return re.sub(r"[\t\r\n]+", " ", str(value)).strip()
