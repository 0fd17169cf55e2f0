"""The table model: what a table in a cleaned document is, built once when the text is cleaned.

:func:`attach_tables` gives every table block of a cleaned text its :class:`~rag.models.Table`:
the header, the body rows, the caption line before it, the headings it sits under, and what
each column holds (:func:`column_roles`: 序号, group, indicator name, unit, attribute, values with
their year and stage). Chunking renders rows from it (:func:`render_row`, :func:`row_statement`),
answers quote the statement, and the plan check reads indicator rows from it; nobody re-parses
the text to find a table again.
"""

from __future__ import annotations

import re

from rag.models import Block, Column, ColumnRole, Stage, Table

_YEAR = re.compile(r"(20\d\d)")
_BASELINE = ("现状", "基期", "基数", "基准", "完成", "实际", "现值")
_TARGET = ("目标", "规划", "预期值", "达到", "预计")


def column_role(label: str) -> ColumnRole:
    """What a column holds, from its header cell."""
    text = re.sub(r"\s+", "", label)
    if text in ("序号", "编号", "序"):
        return "number"
    if "单位" in text:
        return "unit"
    if text.endswith("属性") or text in ("性质", "指标性质"):
        return "attribute"
    if "备注" in text or text == "说明":
        return "note"
    if text in ("类别", "类型", "领域", "分类", "指标类别", "指标类型", "维度", "方面", "板块"):
        return "group"
    if _YEAR.search(text) or any(w in text for w in _BASELINE + _TARGET):
        return "value"
    if "指标" in text or text in ("名称", "项目", "内容"):
        return "name"
    return "other"


def _stage(label: str) -> Stage:
    if any(w in label for w in _BASELINE):
        return "baseline"
    if any(w in label for w in _TARGET):
        return "target"
    return ""


def column_roles(header: list[str]) -> list[Column]:
    """One :class:`Column` per header cell. A second name-like column is "other": the first
    names the indicator."""
    columns: list[Column] = []
    named = False
    for label in header:
        role = column_role(label)
        if role == "name":
            role = "other" if named else role
            named = True
        year_m = _YEAR.search(label)
        year = int(year_m.group(1)) if year_m and role == "value" else None
        columns.append(Column(label, role, year, _stage(label) if role == "value" else ""))
    return columns


def is_caption(text: str) -> bool:
    """A short title line right before a table ("…主要发展指标", "表1 …")."""
    return len(text) <= 40 and not text.endswith("。") and ("指标" in text or "表" in text)


def make_table(
    rows: list[list[str]],
    row_spans: list[tuple[int, int]],
    caption: str = "",
    caption_start: int | None = None,
    section_path: tuple[str, ...] = (),
) -> Table:
    """A table from its rows of cells (the header first) and their spans in the text."""
    header = rows[0] if rows else []
    start = row_spans[0][0] if row_spans else 0
    end = row_spans[-1][1] if row_spans else 0
    return Table(
        header=list(header),
        rows=[list(r) for r in rows[1:]],
        row_spans=list(row_spans[1:]),
        start=start,
        end=end,
        columns=column_roles(header),
        caption=caption,
        caption_start=caption_start,
        section_path=section_path,
    )


def attach_tables(text: str, blocks: list[Block]) -> None:
    """Give every table block its :class:`Table`. Its caption is the short title paragraph right
    before it in the same section (a heading line is not a caption: it is in the path)."""
    from rag.docs.outline import iter_sections, outline_of

    for section, path in iter_sections(outline_of(text, blocks)):
        own = section.blocks
        for i, block in enumerate(own):
            if block.kind != "table" or not block.rows:
                continue
            prev = own[i - 1] if i > 0 else None
            caption, caption_start = "", None
            if prev is not None and prev.kind == "para" and is_caption(text[prev.start : prev.end]):
                caption, caption_start = text[prev.start : prev.end], prev.start
            block.table = make_table(block.rows, block.row_spans, caption, caption_start, path)


def render_row(header: list[str], row: list[str]) -> str:
    """One table row with its header: "序号：14；指标：…；单位：%；…"."""
    cells = [f"{h}：{v}" for h, v in zip(header, row, strict=False) if v]
    return "；".join(cells)


def row_statement(table: Table, row: list[str]) -> str:
    """A row read as a sentence, units attached to the values.

    序号 14 / 指标 公办养老机构护理型床位占比 / 单位 % / 2025年目标值 ≥55 / 属性 约束性
    → "公办养老机构护理型床位占比：2025年目标值≥55%（约束性）"
    """
    name = table.cell(row, table.column("name"))
    if not name:
        return render_row(table.header, row)
    unit = table.cell(row, table.column("unit"))
    attribute = table.cell(row, table.column("attribute"))
    values = []
    for i, col in enumerate(table.columns):
        value = table.cell(row, i)
        if not value or col.role in ("number", "unit", "attribute", "name"):
            continue
        values.append(f"{col.label}{value}{unit if re.search(r'[0-9０-９]$', value) else ''}")
    return f"{name}：{'，'.join(values)}{f'（{attribute}）' if attribute else ''}"
