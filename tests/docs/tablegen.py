"""Indicator tables (指标表) drawn at random and written out as documents, for property tests of
the table reader (rag/docs/tables.py) through its public behaviour: a document in, ``.tables`` out.

A truth table (:class:`TruthTable`) is drawn from real vocabulary: indicator names with their
units, group names, header labels and value forms seen in real plans (the six transcribed tables
of evals/external/tables.json and the texts of shared/external). The draw varies whether there
is a 序号 column, a 类别 group column (before or after 序号), a 单位 column (without one a name
may carry its unit, "城镇调查失业率（%）"), where the attribute column (约束性 / 预期性) stands
(last, or between the unit and the values), one or two value columns and their labels, 3–30
rows, values with a note (21.5（2024年）) and, for the layouts that have them, indicators split
into sub-rows under a parent name (食品药品安全 / 食品安全抽检合格率 / 药品抽检合格率).

One renderer per layout family writes the table inside a realistic document (a title, a heading,
a paragraph, a caption line, the table, a paragraph and a heading after), drawing its own
variations:

- ``render_cells``: one cell per line, with or without blank lines between cells; header cells
  split over two lines (2025年 / 完成值); the group cell written once per group, sometimes split
  over lines with its count (经济 / 发展 / （7项）); long names and values wrapped onto the next
  line; a page break inside the table (a footer line "— 12 —", the header repeated); a value's
  note on the next line (21.5 / （2024年）); a parent row with sub-rows;
- ``render_spaced``: one row per line, cells separated by runs of spaces, long cells wrapped
  onto the next line as PDF text has them (inline or stacked), the same page breaks, group
  cells and sub-rows;
- ``render_tabs``: tab-separated rows (a header over two rows; a group cell left empty or left
  out below its first row);
- ``render_markdown``: Markdown pipe rows (``<br>`` inside wrapped cells);
- ``render_html``: an HTML page with a ``<table>`` (``rowspan`` for the group cell);
- ``render_docx``: a .docx with a real table (group cells merged down), read from the file;
- ``render_xlsx``: a one-sheet .xlsx (group cells merged down, numbers stored as numbers),
  written with tests/docs/office.py's builder (openpyxl is not installed) and read from the file.

What the reader is expected to return is :attr:`TruthTable.header` and :attr:`TruthTable.rows`:
group cells filled down; group names without their count (经济发展, not 经济发展（7项）); split
header cells and wrapped cells joined without a separator; a value's note joined to it
(21.5（2024年）); a sub-row named "parent：child" (full-width colon) with its parent's serial
number and attribute; no whitespace inside cells.

So that the truth can be told from the text at all, the layouts keep what real ones keep: a
wrapped cell is cut at its column's width (each of its lines but the last has exactly that many
characters; names and values have widths of their own), a group cell is split into pieces of two
or three characters, a note is a bracketed year, and no line of a wrapped cell is a bare number.

Every renderer takes a Hypothesis ``st.data()`` object or a seeded :class:`random.Random`
(:class:`Draws` wraps either), so the same code serves the shrinking property tests and the
non-shrinking measurement (tests/docs/measure_tablegen.py).
"""

from __future__ import annotations

import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Literal, TypeVar

import docx
from hypothesis import strategies as st

from rag.docs.ingest import clean_text, ingest_file
from rag.models import Table
from tests.docs import office

T = TypeVar("T")
Role = Literal["number", "group", "name", "unit", "attribute", "value"]

# ---------------------------------------------------------------------------
# Vocabulary, from the real tables

# (indicator name, its unit)
INDICATORS: tuple[tuple[str, str], ...] = (
    ("地区生产总值年均增长", "%"),
    ("全员劳动生产率", "万元/人"),
    ("全社会研究与试验发展经费支出占地区生产总值比重", "%"),
    ("每万人口高价值发明专利拥有量", "件"),
    ("数字经济核心产业增加值占地区生产总值比重", "%"),
    ("规上工业增加值年均增长", "%"),
    ("制造业增加值占地区生产总值比重", "%"),
    ("社会消费品零售总额年均增长", "%"),
    ("实际利用外资规模", "亿美元"),
    ("服务贸易年均增速", "%"),
    ("外资研发中心数量", "家"),
    ("海洋生产总值", "亿元"),
    ("工业总产值", "万亿元"),
    ("常住人口城镇化率", "%"),
    ("常住人口规模", "万人"),
    ("城乡建设用地规模", "平方公里"),
    ("城镇调查失业率", "%"),
    ("城镇新增就业人数", "万人"),
    ("居民人均可支配收入增长", "%"),
    ("每千人口拥有执业（助理）医师数", "人"),
    ("每千人口拥有3岁以下婴幼儿托位数", "个"),
    ("3岁以下婴幼儿入托率", "%"),
    ("养老机构护理型床位占比", "%"),
    ("人均预期寿命", "岁"),
    ("劳动年龄人口平均受教育年限", "年"),
    ("基本养老保险参保率", "%"),
    ("人均住房建筑面积", "平方米"),
    ("人均接受文化场馆服务次数", "次"),
    ("森林覆盖率", "%"),
    ("PM2.5年均浓度", "微克/立方米"),
    ("细颗粒物（PM2.5）年均浓度", "微克/立方米"),
    ("地表水达到或好于Ⅲ类水体比例", "%"),
    ("单位地区生产总值能源消耗降低", "%"),
    ("单位地区生产总值二氧化碳排放降低", "%"),
    ("非化石能源占能源消费总量比重", "%"),
    ("人均公园绿地面积", "平方米"),
    ("绿化覆盖率", "%"),
    ("公园数量", "座"),
    ("绿道长度", "公里"),
    ("生活垃圾回收利用率", "%"),
    ("建筑垃圾综合利用率", "%"),
    ("城市生物多样性指数（鸟类）", "/"),
    ("“美丽街区”提升和新建数量", "个"),
    ("3000㎡以上公园绿地500米服务半径覆盖率", "%"),
    ("新增公共绿地面积", "万平方米"),
    ("保护建筑数量（登记不可移动文物和优秀历史建筑）", "处"),
    ("道路网密度", "千米/平方千米"),
    ("中心城轨交线网密度", "千米/平方千米"),
    ("轨道交通站点500米范围人口和岗位覆盖率", "%"),
    ("应急避难场所人均避难面积", "平方米/人"),
    ("满足消防响应时间", "分钟"),
    ("新建建筑的绿色建筑达标率", "%"),
    ("老旧住宅综合修缮改造受益户数", "万户"),
    ("新增文物保护员", "人"),
    ("粮食综合生产能力", "万吨"),
    ("能源综合生产能力", "万吨标准煤"),
    ("单位地区生产总值生产安全事故死亡率", "人/百亿元"),
    ("十万常住人口火灾死亡率", "人"),
    ("高新技术企业数量", "家"),
    ("5G基站数量", "万个"),
    ("每万人口全科医生数", "人"),
    ("生产生活用水总量", "亿立方米"),
)

# (parent name, its sub-rows (name, unit))
PARENTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("食品药品安全", (("食品安全抽检合格率", "%"), ("药品抽检合格率", "%"))),
    ("城乡居民人均可支配收入", (("城镇居民人均可支配收入", "元"), ("农村居民人均可支配收入", "元"))),
    ("主要污染物排放总量减少", (("化学需氧量", "%"), ("氨氮", "%"), ("氮氧化物", "%"))),
    ("空气质量", (("细颗粒物年均浓度", "微克/立方米"), ("空气质量优良天数比率", "%"))),
    ("每千人口医疗卫生机构床位数", (("医院床位数", "张"), ("基层医疗卫生机构床位数", "张"))),
)

GROUPS = (
    "经济发展",
    "创新驱动",
    "民生福祉",
    "绿色生态",
    "安全保障",
    "协调发展",
    "开放发展",
    "共享发展",
    "发展规模",
    "综合交通",
    "生态低碳安全",
    "服务设施和历史文化",
)
ATTRIBUTES = ("约束性", "预期性")
WORD_VALUES = (
    "完成省定目标",
    "与经济增长基本同步",
    "达到国家要求",
    "完成经国家审核衔接后确定的目标",
    "稳中有升",
    "动态调整",
    "基本消除",
    "高于地区生产总值年均增长",
)
NONE_VALUES = ("—", "/")
NOTES = ("（2024年）", "（2023年）", "（2024年底）")

TITLES = (
    "北京市国民经济和社会发展第十五个五年规划纲要",
    "苏州市国民经济和社会发展第十五个五年规划纲要",
    "上海市生态空间建设和市容环境优化“十五五”规划",
    "黄浦区历史风貌保护和利用“十四五”规划",
)
HEADINGS = ("第二章 发展目标", "二、主要目标", "第一节 主要发展指标", "第三章 “十五五”时期发展目标")
INTROS = (
    "锚定二〇三五年远景目标，综合考虑发展基础和条件，今后五年经济社会发展要努力实现以下主要目标。",
    "到2030年，生态空间更加优化，市容环境更加整洁有序，城市品质全面提升。",
)
AFTERS = (
    "在此基础上再奋斗五年，到2035年基本实现社会主义现代化。",
    "各区各部门要根据职能分工，制定落实规划涉及本部门的具体措施。",
)
NEXT_HEADINGS = ("第三章 加快建设现代化产业体系", "三、主要任务", "第二节 重点任务")
FOOTNOTES = ("注：【 】为5年累计数，带∗为预计数。", "注：1.按国家最新统计口径折算。")


# ---------------------------------------------------------------------------
# Draws: a Hypothesis data object or a seeded random.Random behind one interface


class Draws:
    """Choices drawn from Hypothesis (shrinking each toward the plainest: False, the low end,
    the first item) or from a seeded :class:`random.Random` (no shrinking, for measurement)."""

    def __init__(self, source: Any) -> None:
        if isinstance(source, random.Random):
            self._rng = source
        else:  # Hypothesis: a Random whose every call is a shrinkable choice, not printed one by one
            draw = getattr(source, "draw", source)
            self._rng = draw(st.randoms(use_true_random=False, note_method_calls=False))

    def integer(self, lo: int, hi: int) -> int:
        return self._rng.randint(lo, hi)

    def chance(self, p: float) -> bool:
        """True with probability ``p`` (Hypothesis shrinks it to False)."""
        if p <= 0:
            return False
        return self.integer(0, 99) >= round(100 * (1 - p))

    def choice(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """``k`` distinct items, in the order drawn."""
        pool = list(items)
        return [pool.pop(self.integer(0, len(pool) - 1)) for _ in range(k)]


def draws(source: Any) -> Draws:
    return source if isinstance(source, Draws) else Draws(source)


# ---------------------------------------------------------------------------
# The truth


@dataclass(frozen=True)
class Column:
    role: Role
    label: str  # the header cell as read: "2025年完成值"
    parts: tuple[str, ...]  # how it may be written over two lines: ("2025年", "完成值"), else (label,)


@dataclass(frozen=True)
class Value:
    text: str
    note: str = ""  # "（2024年）", written on the next line in some layouts

    @property
    def cell(self) -> str:
        return self.text + self.note


@dataclass(frozen=True)
class Row:
    number: str  # "" without a 序号 column
    group: str  # "" without a group column
    name: str  # a sub-row's own name
    parent: str  # the parent's name for a sub-row, else ""
    unit: str
    values: tuple[Value, ...]
    attribute: str

    @property
    def full_name(self) -> str:
        return f"{self.parent}：{self.name}" if self.parent else self.name


@dataclass(frozen=True)
class TruthTable:
    columns: tuple[Column, ...]
    body: tuple[Row, ...]
    caption: str

    @property
    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    @property
    def rows(self) -> list[list[str]]:
        return [self.cells(r) for r in self.body]

    def roles(self) -> list[Role]:
        return [c.role for c in self.columns]

    def has(self, role: Role) -> bool:
        return role in self.roles()

    def cells(self, row: Row) -> list[str]:
        """The row's cells as the reader should return them, in column order."""
        out: list[str] = []
        k = 0
        for col in self.columns:
            if col.role == "value":
                out.append(row.values[k].cell)
                k += 1
            else:
                out.append(_plain_cell(row, col.role))
        return out

    def indicators(self) -> list[list[Row]]:
        """The body rows by indicator: a parent's sub-rows together, every other row alone."""
        out: list[list[Row]] = []
        for row in self.body:
            if out and row.parent and out[-1][0].parent == row.parent and out[-1][0].number == row.number:
                out[-1].append(row)
            else:
                out.append([row])
        return out

    def group_size(self, index: int) -> int:
        """How many indicators the group of indicator ``index`` has (its count "（7项）")."""
        inds = self.indicators()
        group = inds[index][0].group
        return sum(1 for i in inds if i[0].group == group)


def _plain_cell(row: Row, role: Role) -> str:
    return {
        "number": row.number,
        "group": row.group,
        "name": row.full_name,
        "unit": row.unit,
        "attribute": row.attribute,
    }[role]


def _number(d: Draws) -> str:
    whole = d.choice((d.integer(1, 9), d.integer(10, 99), d.integer(100, 3000)))
    if d.chance(0.5):
        decimals = d.choice((1, 1, 2))
        frac = str(d.integer(1, 10**decimals - 1)).rjust(decimals, "0").rstrip("0")
        return f"{whole}.{frac}"
    return str(whole)


def draw_value(d: Draws) -> str:
    """A value cell as plans write them: 5.2左右, ≥78, ＞99.9, 〔37〕, 【350左右】, —, 4.5-5 …"""
    form = d.integer(0, 11)
    n = _number(d)
    if form <= 3:
        return n
    if form == 4:
        return f"{n}左右"
    if form == 5:
        return f"{d.choice(('≥', '＞', '>', '<', '≤', '＜'))}{n}"
    if form == 6:
        open_, close = d.choice((("〔", "〕"), ("[", "]"), ("【", "】")))
        return f"{open_}{n}{d.choice(('', '左右'))}{close}"
    if form == 7:
        return d.choice(NONE_VALUES)
    if form == 8:
        return d.choice(WORD_VALUES)
    if form == 9:  # a range: 4.5-5, 3-3.5
        low = d.integer(1, 19)
        return d.choice((f"{low}.5-{low + 1}", f"{low}-{low}.5", f"{low}-{low + 1}"))
    if form == 10:
        return f"{n}{d.choice(('左右', ''))}∗"
    return f"{d.choice(('≥', '>'))}{n}左右"


def _value_columns(d: Draws, count: int) -> tuple[list[Column], str]:
    """The value columns' labels and the plan period they speak of ("十五五")."""
    period, base, target = d.choice((("十五五", 2025, 2030), ("十四五", 2020, 2025)))
    if count == 1:
        label = d.choice((f"{target}年目标", f"{target}年目标值", f"“{period}”目标", f"{target}年"))
        parts = (f"“{period}”", "目标") if label.startswith("“") else _year_parts(label)
        return [Column("value", label, parts)], period
    first = d.choice(
        (f"{base}年", f"{base}年完成值", f"{base}年基准", f"{base}年现状值", f"现状（{base}年）")
    )
    if d.chance(0.2):
        return [
            Column("value", f"{target}年", (f"{target}年",)),
            Column("value", "年均/累计", ("年均/", "累计")),
        ], period
    second = d.choice((f"{target}年目标", f"{target}年目标值", f"{target}年", f"近期规划（{target}年）"))
    return [Column("value", first, _year_parts(first)), Column("value", second, _year_parts(second))], period


def _year_parts(label: str) -> tuple[str, ...]:
    m = re.match(r"^(20\d\d年)(.+)$", label) or re.match(r"^(.+?)(（20\d\d年）)$", label)
    return (m.group(1), m.group(2)) if m else (label,)


def _columns(d: Draws, subrows: bool) -> tuple[list[Column], str]:
    has_number = subrows or d.chance(0.8)
    has_group = d.chance(0.5)
    has_unit = d.chance(0.7)
    attribute_last = subrows or d.chance(0.6)
    lead: list[Column] = []
    if has_number:
        number = d.choice(("序号", "序号", "编号"))
        lead.append(Column("number", number, (number,)))
    if has_group:
        label = d.choice(("类别", "指标类别", "领域", "分类"))
        group = Column("group", label, ("指标", "类别") if label == "指标类别" else (label,))
        lead.insert(d.integer(0, len(lead)), group)
    name = d.choice(("指标", "指标名称", "指标项"))
    cols = [*lead, Column("name", name, ("指标", "名称") if name == "指标名称" else (name,))]
    if has_unit:
        unit = d.choice(("单位", "计量单位", "指标单位"))
        cols.append(Column("unit", unit, (unit[:2], "单位") if len(unit) == 4 else (unit,)))
    attribute_label = d.choice(("属性", "属性", "指标属性", "类型" if not has_group else "属性"))
    attribute = Column(
        "attribute", attribute_label, ("指标", "属性") if len(attribute_label) == 4 else (attribute_label,)
    )
    values, period = _value_columns(d, d.integer(1, 2))
    if not attribute_last:
        cols.append(attribute)
    cols.extend(values)
    if attribute_last:
        cols.append(attribute)
    return cols, period


def _caption(d: Draws, period: str) -> str:
    return d.choice(
        (
            f"“{period}”时期经济社会发展主要指标",
            f"专栏1 “{period}”时期经济社会发展主要指标",
            f"表1 “{period}”经济社会发展主要指标",
            f"“{period}”生态空间建设和市容环境优化主要指标",
        )
    )


def build_table(source: Any, *, subrows: bool = False, max_rows: int = 30) -> TruthTable:
    """A truth table drawn from ``source`` (a Hypothesis draw, data object or random.Random).
    ``subrows``: some indicators may be a parent with sub-rows (then there is a 序号 column and
    the attribute is last)."""
    d = draws(source)
    columns, period = _columns(d, subrows and d.chance(0.5))
    roles = [c.role for c in columns]
    with_parents = "number" in roles and roles[-1] == "attribute" and subrows
    n_values = roles.count("value")
    n = d.integer(3, max_rows)
    names = d.sample(INDICATORS, n)
    # where sub-rows stand: at most two parents, each counts as one indicator
    parents: dict[int, tuple[str, tuple[tuple[str, str], ...]]] = {}
    if with_parents:
        for entry in d.sample(PARENTS, d.integer(0, 2)):
            parents[d.integer(0, n - 1)] = entry
    groups: list[str] = []
    if "group" in roles:
        k = d.integer(1, min(5, n))
        chosen = d.sample(GROUPS, k)
        # group sizes: every group has at least one indicator
        cuts = sorted(d.sample(range(1, n), k - 1))
        bounds = [0, *cuts, n]
        for g, (lo, hi) in enumerate(zip(bounds, bounds[1:], strict=False)):
            groups.extend([chosen[g]] * (hi - lo))
    unit_in_name = "unit" not in roles and d.chance(0.7)
    paren = d.choice((("（", "）"), ("(", ")")))
    body: list[Row] = []
    for i in range(n):
        number = str(i + 1) if "number" in roles else ""
        group = groups[i] if groups else ""
        attribute = d.choice(ATTRIBUTES)
        members: list[tuple[str, str, str]]  # (parent, name, unit)
        if i in parents:
            members = [(parents[i][0], sub, unit) for sub, unit in parents[i][1]]
        else:
            members = [("", *names[i])]
        for parent, name, unit in members:
            if len(body) >= max_rows:
                break
            if unit_in_name and unit != "/":
                name = f"{name}{paren[0]}{unit}{paren[1]}"
            values = []
            for k in range(n_values):
                if n_values == 2 and k == 0 and d.chance(0.1):  # a baseline of an earlier year
                    values.append(Value(_number(d), d.choice(NOTES)))
                else:
                    values.append(Value(draw_value(d)))
            body.append(Row(number, group, name, parent, unit, tuple(values), attribute))
    return TruthTable(tuple(columns), tuple(body), _caption(d, period))


def tables(*, subrows: bool = False, max_rows: int = 30) -> st.SearchStrategy[TruthTable]:
    """Truth tables, shrinking toward few rows, no group column, plain values."""

    @st.composite
    def strategy(draw: Callable[[st.SearchStrategy[Any]], Any]) -> TruthTable:
        return build_table(draw, subrows=subrows, max_rows=max_rows)

    return strategy()


# ---------------------------------------------------------------------------
# Rendering helpers

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _spaced(text: str, d: Draws, p: float) -> str:
    """Sometimes a layout space beside a Chinese character, as PDF text has: "2030 年目标"."""
    if len(text) < 2 or not d.chance(p):
        return text
    spots = [i for i in range(1, len(text)) if _CJK.match(text[i - 1]) or _CJK.match(text[i])]
    if not spots:
        return text
    i = d.choice(spots)
    return f"{text[:i]} {text[i:]}"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` cut into lines ``width`` characters wide, as a narrow column wraps it; a line
    that would be all digits (a row number's look-alike) is not cut off."""
    if len(text) <= width:
        return [text]
    pieces = [text[i : i + width] for i in range(0, len(text), width)]
    if any(re.fullmatch(r"[\d.]+", p) for p in pieces):
        return [text]
    return pieces


def _group_lines(name: str, count: int, d: Draws, split: bool, style: str) -> list[str]:
    """The group cell: "经济发展", "经济发展（7项）" or over lines "经济" / "发展" / "（7项）"."""
    count_text = style.format(n=count) if style else ""
    if split and len(name) >= 4:
        size = d.choice((2, 2, 3))
        lines = [name[i : i + size] for i in range(0, len(name), size)]
        if len(lines[-1]) < 2:
            lines[-2:] = [lines[-2] + lines[-1]]
        return [*lines, count_text] if count_text else lines
    return [name + count_text]


def _header_cells(table: TruthTable, d: Draws, p_split: float) -> list[list[str]]:
    """Each header cell as its lines: split over two where it may be, with probability."""
    out: list[list[str]] = []
    p_split = p_split if d.chance(0.5) else 0.0
    for col in table.columns:
        if len(col.parts) == 2 and d.chance(p_split):
            out.append(list(col.parts))
        else:
            out.append([_spaced(col.label, d, 0.05)])
    return out


@dataclass(frozen=True)
class Page:
    """A page break inside a table: after indicator ``after`` a footer line, then the header again."""

    after: int
    footer: str


def _page_break(table: TruthTable, d: Draws, p: float) -> Page | None:
    n = len(table.indicators())
    if n < 2 or not d.chance(p):
        return None
    page = d.integer(3, 60)
    footer = d.choice((f"— {page} —", f"—{page}—", f"- {page} -", str(page)))
    return Page(d.integer(1, n - 1), footer)


def _document_lines(table: TruthTable, d: Draws) -> tuple[list[str], list[str]]:
    """The lines before the table (title, heading, paragraph, caption) and after it."""
    before = [d.choice(TITLES), d.choice(HEADINGS), d.choice(INTROS), table.caption]
    after = [d.choice(FOOTNOTES)] if d.chance(0.3) else []
    after += [d.choice(AFTERS), d.choice(NEXT_HEADINGS), d.choice(INTROS)]
    return before, after


# ---------------------------------------------------------------------------
# a. one cell per line


def render_cells(table: TruthTable, data: Any) -> str:
    """One cell per line, blank lines between cells or none; a cell of several lines (a split
    header cell, a group cell with its count, a wrapped name, a value and its note) has no blank
    line inside. Group cells are written once per group; sub-rows under their parent's name with
    the attribute once after them."""
    d = draws(data)
    gapped = d.chance(0.5)
    header = _header_cells(table, d, 0.6)
    name_width = d.integer(8, 20) if d.chance(0.4) else 0
    value_width = d.integer(4, 8) if d.chance(0.3) else 0
    count_style = d.choice(("", "（{n}项）", "({n}项)"))
    split_group = d.chance(0.3)
    note_below = d.chance(0.6)
    page = _page_break(table, d, 0.3)
    roles = table.roles()

    def wrapped(text: str, width: int) -> list[str]:
        return _wrap(text, width) if width else [text]

    def value_lines(value: Value) -> list[str]:
        width = 0 if re.search(r"\d", value.text) else value_width  # words wrap, numbers do not
        lines = wrapped(_spaced(value.text, d, 0.05), width)
        if value.note:
            if note_below:
                return [*lines, value.note]
            lines[-1] += value.note
        return lines

    cells: list[list[str]] = [*header]
    previous_group = None
    for index, members in enumerate(table.indicators()):
        if page and index == page.after:
            cells.append([page.footer])
            cells.extend(header)
        first = members[0]
        for j, role in enumerate(roles):
            if role == "number":
                cells.append([first.number])
            elif role == "group":
                if first.group != previous_group:
                    cells.append(
                        _group_lines(first.group, table.group_size(index), d, split_group, count_style)
                    )
            elif role == "name":
                if first.parent:
                    cells.append(wrapped(first.parent, name_width))
                    for row in members:
                        cells.append(wrapped(_spaced(row.name, d, 0.05), name_width))
                        cells.extend(_sub_row_rest(table, row, value_lines))
                else:
                    cells.append(wrapped(_spaced(first.name, d, 0.05), name_width))
            elif first.parent and role != "attribute":
                continue  # written with each sub-row
            elif role == "unit":
                cells.append([first.unit])
            elif role == "attribute":
                cells.append([first.attribute])
            else:
                cells.append(value_lines(first.values[_value_index(table, j)]))
        previous_group = first.group
    sep = "\n\n" if gapped else "\n"
    before, after = _document_lines(table, d)
    return sep.join([*before, *("\n".join(c) for c in cells), *after]) + "\n"


def _value_index(table: TruthTable, column: int) -> int:
    return table.roles()[:column].count("value")


def _sub_row_rest(table: TruthTable, row: Row, value_lines: Callable[[Value], list[str]]) -> list[list[str]]:
    """A sub-row's cells after its name: unit and values (the attribute is written once)."""
    out: list[list[str]] = []
    for j, role in enumerate(table.roles()):
        if role == "unit" and table.roles().index("name") < j:
            out.append([row.unit])
        elif role == "value":
            out.append(value_lines(row.values[_value_index(table, j)]))
    return out


# ---------------------------------------------------------------------------
# b. one row per line, cells separated by spaces


def render_spaced(table: TruthTable, data: Any) -> str:
    """One row per line, cells separated by runs of spaces; long cells wrapped onto the next
    line, either continuing with the row's next cells ("…营业" / "收入比重（%） 32.5 预期性")
    or stacked, each piece on its own line and the rest of the row after them. A group cell is
    written once, inline or stacked over lines before its first row; a parent's sub-rows each
    on a line after the parent's, the attribute after them."""
    d = draws(data)
    fixed = d.integer(1, 4) if d.chance(0.4) else 0

    def sep() -> str:
        return " " * (fixed or d.integer(1, 4))

    stacked = d.chance(0.5)
    name_width = d.integer(10, 22) if d.chance(0.5) else 0
    value_width = d.integer(4, 8) if d.chance(0.3) else 0
    count_style = d.choice(("", "（{n}项）", "({n}项)"))
    group_stacked = d.chance(0.5) and table.roles()[:1] == ["group"]
    attribute_alone = d.chance(0.5)
    page = _page_break(table, d, 0.3)
    roles = table.roles()

    # a header over two lines: the stage under the year of value columns ("2025年" / "完成值")
    p_split = 0.6 if d.chance(0.25) else 0.0
    split = [c.role == "value" and len(c.parts) == 2 and d.chance(p_split) for c in table.columns]
    header_lines = [
        sep().join(c.parts[0] if s else c.label for c, s in zip(table.columns, split, strict=True))
    ]
    if any(split):
        header_lines.append(sep().join(c.parts[1] for c, s in zip(table.columns, split, strict=True) if s))

    def lay(cells: list[list[str]]) -> list[str]:
        """Lines for cells given as their pieces."""
        lines: list[str] = []
        current: list[str] = []
        for pieces in cells:
            if len(pieces) == 1:
                current.append(pieces[0])
                continue
            if stacked:
                if current:
                    lines.append(sep().join(current))
                lines.extend(pieces)
                current = []
            else:
                current.append(pieces[0])
                lines.append(sep().join(current))
                lines.extend(pieces[1:-1])
                current = [pieces[-1]]
        if current:
            lines.append(sep().join(current))
        return lines

    def name_pieces(name: str) -> list[str]:
        return _wrap(name, name_width) if name_width else [name]

    def value_pieces(value: Value) -> list[str]:
        words = value_width and not re.search(r"\d", value.cell)  # words wrap, numbers do not
        return _wrap(value.cell, value_width) if words else [value.cell]

    lines = list(header_lines)
    previous_group = None
    for index, members in enumerate(table.indicators()):
        if page and index == page.after:
            lines.append(page.footer)
            lines.extend(header_lines)
        first = members[0]
        new_group = "group" in roles and first.group != previous_group
        previous_group = first.group
        group_cell = _group_lines(first.group, table.group_size(index), d, group_stacked, count_style)
        if new_group and group_stacked:
            lines.extend(group_cell)
        cells: list[list[str]] = []
        for j, role in enumerate(roles):
            if role == "group":
                if new_group and not group_stacked:
                    cells.append(["".join(group_cell)])
            elif role == "number":
                cells.append([first.number])
            elif role == "name":
                cells.append(name_pieces(first.parent or first.name))
                if first.parent:
                    break  # the sub-rows follow on their own lines
            elif role == "unit":
                cells.append([first.unit])
            elif role == "attribute":
                cells.append([first.attribute])
            else:
                cells.append(value_pieces(first.values[_value_index(table, j)]))
        lines.extend(lay(cells))
        if first.parent:
            for k, row in enumerate(members):
                sub = [name_pieces(row.name)]
                sub += [[row.unit]] if "unit" in roles else []
                sub += [value_pieces(v) for v in row.values]
                if k == len(members) - 1 and not attribute_alone:
                    sub.append([row.attribute])
                lines.extend(lay(sub))
            if attribute_alone:
                lines.append(first.attribute)
    before, after = _document_lines(table, d)
    return "\n".join([*before, *lines, *after]) + "\n"


# ---------------------------------------------------------------------------
# c. tab-separated rows, d. Markdown pipe rows


def _grid(table: TruthTable, d: Draws, group_mode: str, p_space: float) -> list[list[str]]:
    """Body rows as cells: the group cell on a group's first row only, below it empty
    (``group_mode`` "empty") or left out ("omit"); a value's note joined to it."""
    out: list[list[str]] = []
    previous = None
    for row in table.body:
        cells = [_spaced(c, d, p_space) for c in table.cells(row)]
        if "group" in table.roles():
            j = table.roles().index("group")
            if row.group == previous:
                if group_mode == "omit":
                    del cells[j]
                else:
                    cells[j] = ""
            previous = row.group
        out.append(cells)
    return out


def _two_row_header(table: TruthTable, d: Draws, p: float) -> list[list[str]]:
    """The header as one row, or (a quarter of the time) as two where cells are split: top
    parts, then the second parts under them (other cells empty)."""
    p = p if d.chance(0.25) else 0.0
    split = [len(c.parts) == 2 and d.chance(p) for c in table.columns]
    if not any(split):
        return [[_spaced(c.label, d, 0.05) for c in table.columns]]
    top = [c.parts[0] if s else c.label for c, s in zip(table.columns, split, strict=True)]
    bottom = [c.parts[1] if s else "" for c, s in zip(table.columns, split, strict=True)]
    return [top, bottom]


def render_tabs(table: TruthTable, data: Any) -> str:
    """Tab-separated rows: the header on one row or two, a group cell written once (the cells
    below it empty or left out), a layout space inside a cell now and then."""
    d = draws(data)
    header = _two_row_header(table, d, 0.6)
    body = _grid(table, d, d.choice(("empty", "omit")), 0.03)
    gapped = d.chance(0.3)
    before, after = _document_lines(table, d)
    rows = ["\t".join(r) for r in [*header, *body]]
    return ("\n\n" if gapped else "\n").join([*before, "\n".join(rows), *after]) + "\n"


def render_markdown(table: TruthTable, data: Any) -> str:
    """Markdown pipe rows: a rule under the header, a group cell written once (empty below),
    long names and split header cells broken with ``<br>``."""
    d = draws(data)
    width = d.integer(8, 16) if d.chance(0.3) else 0
    header = []
    for col in table.columns:
        header.append("<br>".join(col.parts) if len(col.parts) == 2 and d.chance(0.2) else col.label)
    body = _grid(table, d, "empty", 0.03)
    name = table.roles().index("name")
    if width:
        for row in body:
            row[name] = "<br>".join(_wrap(row[name], width))
    pad = d.choice(("", " "))
    rule = "|" + "|".join(d.choice(("---", ":---:", "---:", ":---")) for _ in header) + "|"

    def line(cells: list[str]) -> str:
        return "|" + "|".join(f"{pad}{c}{pad}" for c in cells) + "|"

    before, after = _document_lines(table, d)
    return "\n\n".join([*before, "\n".join([line(header), rule, *map(line, body)]), *after]) + "\n"


# ---------------------------------------------------------------------------
# e. HTML


def _directory(directory: Path | None) -> Path:
    """Where a file renderer writes: the folder given, else a new temporary one (left to the OS)."""
    return directory if directory is not None else Path(tempfile.mkdtemp(prefix="tablegen-"))


def render_html(table: TruthTable, data: Any, directory: Path | None = None) -> Path:
    """An HTML page (as Word or WPS saves one, under a .doc name): the table with ``rowspan``
    for the group cell, ``<th>`` or ``<td>`` header cells, split header cells and long names
    broken with ``<br>`` or ``<p>``, a value's note on a line of its own in its cell."""
    d = draws(data)
    cell_tag = d.choice(("td", "th"))
    thead = d.chance(0.5)
    width = d.integer(8, 16) if d.chance(0.3) else 0
    brk = d.choice(("<br>", "<br/>", "</p><p>"))
    roles = table.roles()

    def cell(tag: str, pieces: list[str], attrs: str = "") -> str:
        inner = brk.join(escape(p) for p in pieces)
        if brk == "</p><p>":
            inner = f"<p>{inner}</p>"
        return f"<{tag}{attrs}>{inner}</{tag}>"

    head = "".join(
        cell(cell_tag, list(c.parts) if len(c.parts) == 2 and d.chance(0.3) else [c.label])
        for c in table.columns
    )
    rows = []
    body = list(table.body)
    for i, row in enumerate(body):
        tds = []
        for j, role in enumerate(roles):
            if role == "group":
                if i and body[i - 1].group == row.group:
                    continue
                span = 1
                while i + span < len(body) and body[i + span].group == row.group:
                    span += 1
                tds.append(cell("td", [row.group], f' rowspan="{span}"' if span > 1 else ""))
            elif role == "name":
                name = row.full_name
                tds.append(cell("td", _wrap(name, width) if width else [name]))
            elif role == "value":
                value = row.values[_value_index(table, j)]
                tds.append(cell("td", [value.text, value.note] if value.note else [value.text]))
            else:
                tds.append(cell("td", [_plain_cell(row, role)]))
        rows.append(f"<tr>{''.join(tds)}</tr>")
    head_row = f"<tr>{head}</tr>"
    grid = f"<thead>{head_row}</thead><tbody>{''.join(rows)}</tbody>" if thead else head_row + "".join(rows)
    before, after = _document_lines(table, d)
    paras = "".join(f"<p>{escape(x)}</p>" for x in before[2:])
    tail = "".join(f"<p>{escape(x)}</p>" for x in after)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
        f"{escape(before[0])}</title></head><body>\n<h1>{escape(before[0])}</h1>\n<h2>{escape(before[1])}</h2>\n"
        f'{paras}\n<table border="1" cellspacing="0">{grid}</table>\n{tail}\n</body></html>\n'
    )
    path = _directory(directory) / "规划.doc"
    path.write_text(page, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# f. .docx, g. .xlsx


def render_docx(table: TruthTable, data: Any, directory: Path | None = None) -> Path:
    """A .docx: paragraphs around a real table whose group cells are merged down; a split header
    cell or a value's note is a second paragraph (or a line break) in its cell."""
    d = draws(data)
    document = docx.Document()
    before, after = _document_lines(table, d)
    for text in before:
        document.add_paragraph(text)
    roles = table.roles()
    grid = document.add_table(rows=len(table.body) + 1, cols=len(roles))
    as_break = d.chance(0.5)
    cells = [list(row.cells) for row in grid.rows]  # once: Table.cell() reads the whole grid

    def put(r: int, c: int, pieces: list[str]) -> None:
        target = cells[r][c]
        target.text = pieces[0]
        for piece in pieces[1:]:
            if as_break:
                target.paragraphs[-1].add_run().add_break()
                target.paragraphs[-1].add_run(piece)
            else:
                target.add_paragraph(piece)

    for c, col in enumerate(table.columns):
        put(0, c, list(col.parts) if len(col.parts) == 2 and d.chance(0.3) else [col.label])
    for r, row in enumerate(table.body, start=1):
        for c, role in enumerate(roles):
            if role == "group":
                if r == 1 or table.body[r - 2].group != row.group:
                    put(r, c, [row.group])
            elif role == "value":
                value = row.values[_value_index(table, c)]
                put(r, c, [value.text, value.note] if value.note else [value.text])
            else:
                put(r, c, [_plain_cell(row, role)])
    if "group" in roles:
        c = roles.index("group")
        start = 1
        for r in range(2, len(table.body) + 2):
            if r == len(table.body) + 1 or table.body[r - 1].group != table.body[start - 1].group:
                if r - 1 > start:
                    cells[start][c].merge(cells[r - 1][c])
                start = r
    for text in after:
        document.add_paragraph(text)
    path = _directory(directory) / "规划.docx"
    document.save(str(path))
    return path


_PLAIN_NUMBER = re.compile(r"^(0|[1-9]\d*)(\.\d*[1-9])?$")


def render_xlsx(table: TruthTable, data: Any, directory: Path | None = None) -> Path:
    """A one-sheet .xlsx (tests/docs/office.py writes it: openpyxl is not installed): the table
    anywhere on the sheet, a caption row above it now and then, group cells merged down, serial
    numbers and plain values stored as numbers, a header cell over two lines in its cell."""
    d = draws(data)
    roles = table.roles()
    numbers = d.chance(0.6)
    rows: list[list[str | float | None]] = []
    top = 0
    if d.chance(0.5):
        rows.append([table.caption])
        top = 1
    breaks = d.chance(0.3)  # a line break typed inside a cell (Alt+Enter): "2025年\n完成值"
    rows.append(
        [
            "\n".join(c.parts) if breaks and len(c.parts) == 2 and d.chance(0.5) else c.label
            for c in table.columns
        ]
    )
    previous = None
    for row in table.body:
        cells: list[str | float | None] = []
        for text, role in zip(table.cells(row), roles, strict=True):
            if role == "group" and row.group == previous:
                cells.append(None)
            elif numbers and _PLAIN_NUMBER.match(text):
                cells.append(int(text) if text.isdigit() else float(text))
            else:
                cells.append(text)
        previous = row.group
        rows.append(cells)
    origin = (d.integer(0, 3), d.integer(0, 2))
    merges = []
    if top:
        merges.append(f"{_ref(origin, 0, 0)}:{_ref(origin, 0, len(roles) - 1)}")
    if "group" in roles:
        c = roles.index("group")
        first = top + 1
        body = list(table.body)
        start = 0
        for i in range(1, len(body) + 1):
            if i == len(body) or body[i].group != body[start].group:
                if i - 1 > start:
                    merges.append(f"{_ref(origin, first + start, c)}:{_ref(origin, first + i - 1, c)}")
                start = i
    path = _directory(directory) / "主要指标.xlsx"
    path.write_bytes(office.xlsx(rows, tuple(merges), origin))
    return path


def _ref(origin: tuple[int, int], row: int, col: int) -> str:
    index = origin[1] + col + 1
    name = ""
    while index:
        index, r = divmod(index - 1, 26)
        name = chr(65 + r) + name
    return f"{name}{origin[0] + row + 1}"


# ---------------------------------------------------------------------------
# Reading it back

TEXT_FAMILIES: dict[str, Callable[[TruthTable, Any], str]] = {
    "cells": render_cells,
    "spaced": render_spaced,
    "tabs": render_tabs,
    "markdown": render_markdown,
}
FILE_FAMILIES: dict[str, Callable[[TruthTable, Any, Path | None], Path]] = {
    "html": render_html,
    "docx": render_docx,
    "xlsx": render_xlsx,
}
FAMILIES = (*TEXT_FAMILIES, *FILE_FAMILIES)
# the layouts where an indicator may be a parent with sub-rows
SUBROWS = {"cells": True, "spaced": True}


def parse(rendered: str | Path) -> list[Table]:
    """The tables the reader finds: in a text as the cleaner reads a .txt, or in a file."""
    if isinstance(rendered, Path):
        return ingest_file(rendered).tables
    _, blocks = clean_text(rendered)
    return [b.table for b in blocks if b.table is not None]


def shown(rendered: str | Path) -> str:
    """The rendered document as text, for a failure message: a file as its reader gives it."""
    if isinstance(rendered, Path):
        from rag.docs.readers import read_file

        return f"{rendered.name}, read as:\n{read_file(rendered)}"
    return rendered


def render(family: str, table: TruthTable, data: Any, directory: Path) -> str | Path:
    if family in TEXT_FAMILIES:
        return TEXT_FAMILIES[family](table, data)
    return FILE_FAMILIES[family](table, data, directory)


def read_back(family: str, table: TruthTable, data: Any, directory: Path) -> tuple[str | Path, list[Table]]:
    rendered = render(family, table, data, directory)
    return rendered, parse(rendered)


def matches(table: TruthTable, found: list[Table]) -> bool:
    return len(found) == 1 and (found[0].header, found[0].rows) == (table.header, table.rows)
