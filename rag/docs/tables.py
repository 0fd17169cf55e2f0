"""The table model: what a table in a cleaned document is, built once when the text is cleaned.

Tables come in as rows of cells (tab-separated lines, Markdown pipe rows, .docx rows) or one cell
per line; :func:`read_cell_table` rebuilds the rows of the latter and :func:`shape_rows` tidies
both (a header over two lines or two rows, a group cell written once per group, a merged cell
left out of a row). :func:`attach_tables` then gives every table block of the cleaned text its
:class:`~rag.models.Table`: the header, the body rows, the caption line before it, the notes
(注：…) under it, the headings it sits under, and what each column holds (:func:`column_roles`:
序号, group, indicator name, unit, attribute, values with their year and stage). Chunking renders
rows from it (:func:`render_row`, :func:`row_statement`), answers quote the statement, and the
plan check reads indicator rows from it; nobody re-parses the text to find a table again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rag.models import Block, Column, ColumnRole, Stage, Table

_YEAR = re.compile(r"(20\d\d)")
_BASELINE = ("现状", "基期", "基数", "基准", "完成", "实际", "现值")
_TARGET = ("目标", "规划", "预期值", "达到", "预计")
_GROUP_WORDS = ("类别", "类型", "领域", "分类", "维度", "方面", "板块")
_ATTRIBUTES = ("约束性", "预期性", "指导性", "引导性")
# What a cell says when there is nothing: "—", "/", "-".
_NONE = {"—", "——", "-", "–", "－", "/", "／", "\\"}


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
    if text.endswith(_GROUP_WORDS) and len(text) <= 6:
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


def is_attribute(cell: str) -> bool:
    """约束性 / 预期性 … (with or without 指标): a cell of the attribute column."""
    return cell.strip().removesuffix("指标") in _ATTRIBUTES


def column_roles(header: list[str], rows: Sequence[list[str]] = ()) -> list[Column]:
    """One :class:`Column` per header cell. A second name-like column is "other": the first
    names the indicator. When ``rows`` are given a column's cells decide what an ambiguous header
    means: a 类型 (or unlabelled) column whose cells are 约束性/预期性 is the attribute."""
    columns: list[Column] = []
    named = False
    has_attribute = any(column_role(label) == "attribute" for label in header)
    for i, label in enumerate(header):
        role = column_role(label)
        if role in ("group", "other") and not has_attribute and rows:
            cells = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
            if cells and sum(map(is_attribute, cells)) >= 0.8 * len(cells):
                role, has_attribute = "attribute", True
        if role == "name":
            role = "other" if named else role
            named = True
        year_m = _YEAR.search(label)
        year = int(year_m.group(1)) if year_m and role == "value" else None
        columns.append(Column(label, role, year, _stage(label) if role == "value" else ""))
    return columns


# ---------------------------------------------------------------------------
# Rebuilding rows: one cell per line, headers over two lines or rows, cells left out

_ROW_NUMBER = re.compile(r"^\d{1,3}$")
_MAX_LABEL = 24  # characters in a header cell
# A header line that only qualifies the one above it: "（2025年）", "(%)".
_QUALIFIER = re.compile(r"^[（(][^（()）]{1,12}[）)]$")
# Half a header cell split over two lines: "2025年" / "“十五五”" above "现状值" / "目标".
_PERIOD = re.compile(r"^[“\"]?(20\d\d年?|十[一二三四五六七八九]五)[”\"]?(年|时期|期间|期末|末)?$")
_STAGE_WORD = re.compile(r"^(现状|基期|基数|基准|目标|规划|预期|预计|实际|完成)值?$")
# A header cell spanning the value columns below it ("指标值" over 现状 / 规划): no column itself.
# a group's count written after its name: "经济发展（7项）"
GROUP_COUNT = re.compile(r"[（(]\s*\d+\s*[项个类]\s*[)）]$")
_GROUP_ENUMERATOR = re.compile(r"^[一二三四五六七八九十]+[、.．]")  # "二、百姓富"
_SPANNING = ("指标值", "数值", "指标数值", "值", "数据")
_HEADING = re.compile(r"^(第[一二三四五六七八九十百零〇\d]+[章节]|[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|专栏\s*\d+)")
_NOTE = re.compile(r"^(注|备注|说明|资料来源|数据来源)\s*[0-9０-９]*\s*[：:]|^[*＊※]")


def _is_label(cell: str) -> bool:
    return 0 < len(cell) <= _MAX_LABEL and not cell.endswith("。") and not _ROW_NUMBER.match(cell)


def _attach_qualifiers(labels: list[str]) -> list[str]:
    """A run of m qualifier lines belongs, column by column, to the m labels before it."""
    out: list[str] = []
    i = 0
    while i < len(labels):
        j = i
        while j < len(labels) and _QUALIFIER.match(labels[j]):
            j += 1
        run = labels[i:j]
        if run and len(run) <= len(out) and not any(_QUALIFIER.match(x) for x in out[-len(run) :]):
            for k, q in enumerate(run):
                out[len(out) - len(run) + k] += q
            i = j
        else:
            out.append(labels[i])
            i += 1
    return out


def _join_split_cells(labels: list[str], width: int) -> list[str]:
    """"2025年" + "现状值" → "2025年现状值", while there are more labels than columns."""
    out = list(labels)
    i = 0
    while len(out) > width and i + 1 < len(out):
        if _PERIOD.match(out[i]) and _STAGE_WORD.match(out[i + 1]):
            out[i : i + 2] = [out[i] + out[i + 1]]
        else:
            i += 1
    return out


def _drop_spanning(labels: list[str], width: int) -> list[str]:
    """A spanning cell ("指标值") over the value columns: its sub-labels take its place.

    Flattened, a two-row header reads the top row, then the row below:
    序号 / 指标 / 指标值 / 属性 / 2025年 / 2030年 → 序号 / 指标 / 2025年 / 2030年 / 属性.
    """
    out = list(labels)
    for i, label in enumerate(out):
        if len(out) <= width:
            break
        m = len(out) - width + 1  # the sub-labels the spanning cell stands for
        subs = out[len(out) - m :]
        if m < 2 or len(out) - m <= i:
            continue
        if label in _SPANNING and all(column_role(s) == "value" for s in subs):
            return out[:i] + subs + out[i + 1 : len(out) - m]
        if _STAGE_WORD.match(label) and all(_PERIOD.match(s) for s in subs):  # 目标值 over 2025年 / 2030年
            return out[:i] + [s + label for s in subs] + out[i + 1 : len(out) - m]
    return out


def fit_header(labels: list[str], width: int) -> list[str] | None:
    """The header cells of a table ``width`` columns wide, from its header lines: qualifier
    lines attached, cells split over two lines joined, a spanning cell replaced by the cells
    under it. None when the lines cannot make ``width`` cells."""
    if len(labels) == width:
        return list(labels)
    if len(labels) < width:
        return None
    out = _attach_qualifiers(labels)
    out = _join_split_cells(out, width)
    out = _drop_spanning(out, width)
    return out if len(out) == width else None


def _kind(cell: str) -> str:
    """What a body cell looks like: a value, an attribute, a unit, a short label or prose."""
    c = cell.strip()
    if not c:
        return ""
    if is_attribute(c):
        return "attribute"
    if c in _NONE or re.match(r"^[≥≤＞＜><约~～〔\[]*[0-9０-９]", c):
        return "value"
    if unit_like(c):
        return "unit"
    return "label" if len(c) <= 16 and "。" not in c else "prose"


def _profile(rows: list[list[str]], width: int) -> list[Counter[str]]:
    """Per column, how often each kind of cell appears in the complete rows."""
    profile: list[Counter[str]] = [Counter() for _ in range(width)]
    for row in rows:
        if len(row) == width:
            for j, cell in enumerate(row):
                if cell.strip():
                    profile[j][_kind(cell)] += 1
    return profile


def _fit(row: list[str], profile: list[Counter[str]]) -> float:
    """How well a row's cells look like their columns' cells (0–1)."""
    scores = []
    for cell, counts in zip(row, profile, strict=False):
        if cell.strip() and counts:
            scores.append(counts[_kind(cell)] / sum(counts.values()))
    return sum(scores) / len(scores) if scores else 0.0


def _roles(header: list[str], rows: list[list[str]]) -> list[ColumnRole]:
    return [c.role for c in column_roles(header, [r for r in rows if len(r) == len(header)])]


def _complete(short: list[str], above: list[str], profile: list[Counter[str]], roles: list[ColumnRole]) -> list[str]:
    """A row one cell short, a cell merged with the one above left out: the group column gets
    the cell from the row above; without a group column, the column whose omission fits the
    other cells best (an attribute or unit column on a tie)."""
    if "group" in roles:
        j = roles.index("group")
    else:
        spans = {"attribute": 2, "unit": 1}  # what a cell merged down is likeliest to be

        def key(k: int) -> tuple[float, int, int]:
            return _fit(short[:k] + [""] + short[k:], profile), spans.get(roles[k], 0), -k

        j = max((k for k in range(len(roles)) if roles[k] != "number"), key=key)
    return short[:j] + [above[j] if j < len(above) else ""] + short[j:]


def _is_header_continuation(
    header: list[str], row: list[str], profile: list[Counter[str]], later: Sequence[list[str]]
) -> bool:
    """The second row of a two-row header: no serial number, only short labels, each the header
    cell above repeated (a .docx repeats merged cells) or a part of it ("计量" / "单位", "年均/" /
    "累计", "现状" / "（2025年）"). What tells it from a body row is the body itself: the row adds
    a label under a column whose body cells are values, units or attributes, or it adds the value
    columns' labels ("现状（2025年）", "2030年") under a spanning cell."""
    if len(row) > len(header) or row == header[: len(row)]:
        return False
    cells = [c.strip() for c in row]
    if any(_ROW_NUMBER.match(c) for c in cells):
        return False
    changed = [(j, c) for j, (c, h) in enumerate(zip(cells, header, strict=False)) if c and c != h]
    if not changed or not all(_is_label(c) and _kind(c) == "label" for _, c in changed):
        return False
    if all(column_role(c) == "value" for _, c in changed):
        return True

    def holds_data(j: int) -> bool:
        counts = profile[j] if j < len(profile) else Counter()
        total = sum(counts.values())
        return total > 0 and counts["label"] + counts["prose"] < 0.5 * total

    if any(holds_data(j) for j, _ in changed):
        return True
    # labels under label columns only ("指标" / "名称"): a group row too is labels without a
    # serial number, but it is numbered or counted ("一、经济发展", "民生福祉（7项）"), or it
    # has siblings further down (one group alone is no grouping)
    if any(_GROUP_ENUMERATOR.match(c) or GROUP_COUNT.search(c) for _, c in changed):
        return False
    return not any(_label_row(r) for r in later)


def _label_row(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    return bool(cells) and not any(_ROW_NUMBER.match(c) for c in cells) and all(_kind(c) == "label" for c in cells)


def _combine(top: str, sub: str) -> str:
    if sub in ("", top):
        return top
    if not top or top in _SPANNING:
        return sub
    return sub + top if _PERIOD.match(sub) else top + sub


def shape_rows(rows: list[list[str]]) -> list[list[str]]:
    """A table read as rows (tabs, pipes, .docx), tidied: the second row of a two-row header
    folded into the first, a row one cell short (a merged cell left out) completed from the row
    above. Tables without a 序号 or name column (document head fields) are left as they are."""
    if len(rows) < 2:
        return rows
    header = rows[0]
    roles = [column_role(h) for h in header]
    if "number" not in roles and "name" not in roles:
        return rows
    body = rows[1:]
    width = len(header)
    profile = _profile(body, width)
    while body and _is_header_continuation(header, body[0], profile, body[1:]):
        sub = body[0] + [""] * (width - len(body[0]))
        header = [_combine(t, s.strip()) for t, s in zip(header, sub, strict=True)]
        body = body[1:]
    if any(len(r) == width - 1 for r in body):
        full_roles = _roles(header, body)
        done: list[list[str]] = []
        for row in body:
            if len(row) == width - 1 and done:
                row = _complete(row, done[-1], profile, full_roles)
            done.append(row)
        body = done
    return [header, *body]


# ---------------------------------------------------------------------------
# The table model


def is_caption(text: str) -> bool:
    """A short title line right before a table ("…主要发展指标", "表1 …", "…项目清单", "专栏2 …")."""
    return (
        len(text) <= 40
        and not text.endswith("。")
        and ("指标" in text or "表" in text or "清单" in text or text.startswith("专栏"))
    )


def make_table(
    rows: list[list[str]],
    row_spans: list[tuple[int, int]],
    caption: str = "",
    caption_start: int | None = None,
    section_path: tuple[str, ...] = (),
) -> Table:
    """A table from its rows of cells (the header first) and their spans in the text. A group
    cell left empty below the first row of its group is filled down."""
    header = rows[0] if rows else []
    body = [list(r) for r in rows[1:]]
    columns = column_roles(header, body)
    for j, col in enumerate(columns):
        if col.role != "group":
            continue
        above = ""
        for row in body:
            if j < len(row):
                if row[j].strip():
                    above = row[j]
                else:
                    row[j] = above
    start = row_spans[0][0] if row_spans else 0
    end = row_spans[-1][1] if row_spans else 0
    return Table(
        header=list(header),
        rows=body,
        row_spans=list(row_spans[1:]),
        start=start,
        end=end,
        columns=columns,
        caption=caption,
        caption_start=caption_start,
        section_path=section_path,
    )


def attach_tables(text: str, blocks: list[Block]) -> None:
    """Give every table block its :class:`Table`. Its caption is the short title paragraph right
    before it in the same section (a heading line is not a caption: it is in the path); its notes
    are the 注：… paragraphs right after it."""
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
            for after in own[i + 1 :]:
                note = text[after.start : after.end]
                if after.kind != "para" or not _NOTE.match(note):
                    break
                block.table.notes.append(note)


# ---------------------------------------------------------------------------
# Reading a row

# A unit: "%", "万人", "平方米/人", "千米/平方千米", "个".
_UNIT_CHARS = re.compile(
    r"^[%％‰‱℃°万亿千百十元美人户个家座处条所张辆台套项次件吨克斤米平方公里顷亩立瓦时小天分钟秒岁年床株棵标准箱册篇部微毫纳厘升帕度焦赫贝桶头只匹艘架栋间宗起例名倍"
    r"/／·a-zA-Z²³㎡㎞]{1,8}$"
)
# A unit written into the name: "森林覆盖率（%）".
_NAME_UNIT = re.compile(r"^(.+?)\s*[（(]([^（()）]{1,8})[）)]$")
# A footnote marker fused to a name or a value: "森林覆盖率*", "35%1".
_NAME_MARKER = re.compile(r"(?:[*＊※]+|[①-⑩]|[¹²³⁴-⁹]+)$")
_VALUE_MARKER = re.compile(r"(?:[*＊※]+|[①-⑩]|[¹²³⁴-⁹]+|(?<=[%％‰])[0-9])$")


def unit_like(text: str) -> bool:
    """"%", "万人", "平方米/人": a unit, not a word ("鸟类", "街道")."""
    if text.isascii():
        return text in ("%", "km", "m", "kg", "t", "kWh")
    return bool(_UNIT_CHARS.match(text))


def row_name(table: Table, row: list[str]) -> str:
    """The indicator's name: footnote markers dropped, and a unit written into it ("（%）")
    dropped when the unit column does not give one."""
    name = _NAME_MARKER.sub("", table.cell(row, table.column("name"))).strip()
    m = _NAME_UNIT.match(name)
    if m and unit_like(m.group(2)) and not _unit_cell(table, row):
        return m.group(1)
    return name


def _unit_cell(table: Table, row: list[str]) -> str:
    unit = table.cell(row, table.column("unit"))
    return "" if unit in _NONE else unit


def row_unit(table: Table, row: list[str]) -> str:
    """The row's unit: its unit cell ("/" is none), else the unit written into the name."""
    unit = _unit_cell(table, row)
    if unit:
        return unit
    name = _NAME_MARKER.sub("", table.cell(row, table.column("name"))).strip()
    m = _NAME_UNIT.match(name)
    return m.group(2) if m and unit_like(m.group(2)) else ""


def cell_value(table: Table, row: list[str], index: int | None) -> str:
    """A value cell without a footnote marker fused to it ("35%1" → "35%")."""
    return _VALUE_MARKER.sub("", table.cell(row, index)).strip()


def _with_unit(value: str, unit: str) -> str:
    """"≥55" + "%" → "≥55%", "80左右" → "80%左右"; a value in words or with its unit stays."""
    if not unit:
        return value
    if re.search(r"[0-9０-９]$", value):
        return value + unit
    m = re.match(r"^(.*[0-9０-９])(左右|以上|以下|以内|〕|］|\])$", value)
    return f"{m.group(1)}{unit}{m.group(2)}" if m else value


def value_label(col: Column) -> str:
    """A value column as a statement names it: "现状（2025年）" → "2025年现状"."""
    m = re.match(r"^(.+?)[（(](20\d\d)年?[）)]$", col.label)
    return f"{m.group(2)}年{m.group(1)}" if m else col.label


def render_row(header: list[str], row: list[str]) -> str:
    """One table row with its header: "序号：14；指标：…；单位：%；…"."""
    cells = [f"{h}：{v}" for h, v in zip(header, row, strict=False) if v]
    return "；".join(cells)


def row_statement(table: Table, row: list[str]) -> str:
    """A row read as a sentence, units attached to the values, each value named by its column
    (so its year and stage); the group and notes after the attribute.

    序号 14 / 指标 公办养老机构护理型床位占比 / 单位 % / 2025年目标值 ≥55 / 属性 约束性
    → "公办养老机构护理型床位占比：2025年目标值≥55%（约束性）"
    """
    name = row_name(table, row)
    if not name:
        return render_row(table.header, row)
    unit = row_unit(table, row)
    attribute = table.cell(row, table.column("attribute"))
    values: list[str] = []
    extras: list[str] = []
    for i, col in enumerate(table.columns):
        value = cell_value(table, row, i)
        if not value or col.role in ("number", "unit", "attribute", "name"):
            continue
        if col.role in ("group", "note"):
            extras.append(f"；{col.label}：{value}")
            continue
        value = "—" if value in _NONE else _with_unit(value, unit)
        values.append(f"{value_label(col)}{value}")
    return f"{name}：{'，'.join(values)}{f'（{attribute}）' if attribute else ''}{''.join(extras)}"
