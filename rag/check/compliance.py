"""The plan check: a county (or city) plan against the provincial plan it must implement.

:func:`check_plans` compares two ingested documents in four parts and returns a
:class:`PlanCheck` (pydantic, serialised by :meth:`PlanCheck.to_json`):

1. indicators — the 主要发展指标 tables, row by row (this module);
2. text targets — numeric targets and deadlines in the body text (:mod:`rag.check.targets`);
3. 专栏 — the project boxes and their 01/02 items (:mod:`rag.check.zhuanlan`);
4. tasks — whether each provincial 第X章 第X节 task reappears in the county plan
   (:mod:`rag.check.coverage`).

Every finding carries its verdict, the rule that produced it (Chinese, from
:mod:`rag.check.compare`) and both passages as evidence. Rendering is in :mod:`rag.check.report`.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rag.check.compare import (
    Evidence,
    Passage,
    Verdict,
    compare_bounds,
    fold,
    parse_bound,
    section_path_at,
    show,
)
from rag.check.coverage import SectionFinding, check_tasks
from rag.check.names import meaning, name_similarity
from rag.check.targets import TextTargetFinding, compare_text_targets
from rag.check.zhuanlan import ZhuanlanFinding, box_notes, compare_zhuanlan, numbering_gaps
from rag.docs.outline import parse_outline
from rag.docs.periods import PERIOD_RE, period_years
from rag.docs.tables import cell_value, row_name, row_unit
from rag.index.embed import Embedder
from rag.models import Column, Document, Section
from rag.qa.llm import ChatModel

NAME_MATCH = 0.8  # name similarity (rag.check.names) that aligns two indicator rows outright …
NAME_CONFIRM = 0.6  # … and the least that aligns them when they are each other's closest


class TableValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str
    unit: str
    attribute: str


class IndicatorFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator: str
    province: TableValue | None
    county: TableValue | None
    verdict: Verdict
    rule: str
    evidence: Evidence


class DocRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str
    title: str
    level: str | None


class Summary(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: DocRef
    province: DocRef
    indicators: dict[str, int]
    text_targets: dict[str, int]
    zhuanlan: dict[str, int]
    tasks: dict[str, int]
    sections: dict[str, int]
    table_conflicts: int
    notes: list[str]


class PlanCheck(BaseModel):
    """The whole report. ``seconds`` (time per part) is not part of the JSON."""

    model_config = ConfigDict(extra="forbid")
    indicators: list[IndicatorFinding]
    text_targets: list[TextTargetFinding]
    zhuanlan: list[ZhuanlanFinding]
    tasks: list[SectionFinding]
    summary: Summary
    seconds: dict[str, float] = Field(default_factory=dict, exclude=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# ---------------------------------------------------------------------------
# Indicator tables


@dataclass
class IndicatorRow:
    name: str
    unit: str
    value: str
    attribute: str
    start: int  # the row's line in the cleaned text
    end: int
    year: int | None  # of the target column ("2025年目标值")


def indicator_rows(doc: Document) -> list[IndicatorRow]:
    """The rows of every indicator table (:attr:`Table.is_indicator`), in order, read from the
    table model built at ingestion.

    The value compared is the last target column (a 目标 header; else the column after 单位);
    a table with a 2020 base and a 2025 target compares the targets. The target's year is the
    column's (2030年目标 → 2030), else the last year of the plan period it names (“十五五”目标 →
    2030). Names and values are read without fused footnote markers ("森林覆盖率*"), the unit
    from the name when its column has none ("养老床位数（张）").
    """
    rows: list[IndicatorRow] = []
    for table in doc.tables:
        if not table.is_indicator:
            continue
        name_col = table.column("name")
        unit_col = table.column("unit")
        attr_col = table.column("attribute")
        targets = [i for i, c in enumerate(table.columns) if c.stage == "target"]
        value_col = targets[-1] if targets else (unit_col + 1 if unit_col is not None else None)
        if name_col is None or value_col is None:
            continue
        year = column_year(table.columns[value_col]) if value_col < len(table.columns) else None
        for cells, (start, end) in zip(table.rows, table.row_spans, strict=True):
            name = row_name(table, cells)
            if not name:
                continue
            rows.append(
                IndicatorRow(
                    name=name,
                    unit=row_unit(table, cells),
                    value=cell_value(table, cells, value_col),
                    attribute=table.cell(cells, attr_col),
                    start=start,
                    end=end,
                    year=year,
                )
            )
    return rows


def column_year(column: Column) -> int | None:
    """The year a value column speaks of: its own (2030年目标), else the end of the period it names."""
    if column.year is not None:
        return column.year
    m = PERIOD_RE.search(column.label)
    return period_years(m.group(1))[1] if m else None


def name_key(name: str) -> str:
    """乡镇（街道） and 乡镇(街道), ＞ and >, “” and "" read alike; punctuation and spaces dropped."""
    return re.sub(r"[\W_]+", "", fold(name))


def align_rows(
    province: list[IndicatorRow],
    county: list[IndicatorRow],
    threshold: float = NAME_MATCH,
    embedder: Embedder | None = None,
) -> list[tuple[IndicatorRow | None, IndicatorRow | None]]:
    """Pairs of rows by what the indicator names mean (:mod:`rag.check.names`), one to one:

    1. equal names after normalisation;
    2. the most similar remaining names with :func:`name_similarity` ≥ ``threshold``, best first;
    3. names with similarity ≥ ``NAME_CONFIRM`` that are each other's closest among the rows left,
       closeness being the cosine of their embeddings when an ``embedder`` is given, else the
       similarity itself.

    Province order, then county rows left over.
    """
    pairs: dict[int, int] = {}
    used: set[int] = set()
    keys = [name_key(r.name) for r in county]
    for i, row in enumerate(province):
        key = name_key(row.name)
        j = next((j for j, k in enumerate(keys) if k == key and j not in used), None)
        if j is not None:
            pairs[i] = j
            used.add(j)
    scores = {
        (i, j): name_similarity(p.name, c.name)
        for i, p in enumerate(province)
        if i not in pairs
        for j, c in enumerate(county)
        if j not in used
    }
    for (i, j), score in sorted(scores.items(), key=lambda t: (-t[1], t[0])):
        if score >= threshold and i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    open_ = {
        k: v
        for k, v in scores.items()
        if NAME_CONFIRM <= v < threshold and k[0] not in pairs and k[1] not in used
    }
    if open_:
        closeness = dict(open_)
        if embedder is not None:
            rows_i = sorted({i for i, _ in open_})
            rows_j = sorted({j for _, j in open_})
            vectors = embedder.embed_documents(
                [province[i].name for i in rows_i] + [county[j].name for j in rows_j]
            )
            at_i = dict(zip(rows_i, vectors[: len(rows_i)], strict=True))
            at_j = dict(zip(rows_j, vectors[len(rows_i) :], strict=True))
            closeness = {(i, j): float(at_i[i] @ at_j[j]) for i, j in open_}
        for (i, j), _ in sorted(closeness.items(), key=lambda t: (-t[1], t[0])):
            if i in pairs or j in used:
                continue
            best_j = max((v, -jj) for (ii, jj), v in closeness.items() if ii == i and jj not in used)
            best_i = max((v, -ii) for (ii, jj), v in closeness.items() if jj == j and ii not in pairs)
            if -best_j[1] == j and -best_i[1] == i:
                pairs[i] = j
                used.add(j)
    out: list[tuple[IndicatorRow | None, IndicatorRow | None]] = [
        (p, county[pairs[i]] if i in pairs else None) for i, p in enumerate(province)
    ]
    out.extend((None, c) for j, c in enumerate(county) if j not in used)
    return out


def compare_rows(p: IndicatorRow, c: IndicatorRow, cross_level: bool = True) -> tuple[Verdict, str]:
    """The verdict for one aligned pair of rows: the target years, stock against increment, the value
    (:func:`compare_bounds`), then 预期性/约束性."""
    values = (
        f"省 {show(parse_bound(p.value, p.unit), p.unit)}，县 {show(parse_bound(c.value, c.unit), c.unit)}"
    )
    if p.year and c.year and p.year != c.year:
        return (
            "not_comparable",
            f"目标年份不同（省 {p.year}年，县 {c.year}年）：不同时期的目标不能直接比较（{values}）",
        )
    p_name, c_name = meaning(p.name), meaning(c.name)
    if p_name.increment != c_name.increment:
        added, level = (c, p) if c_name.increment else (p, c)
        return (
            "not_comparable",
            f"一方是规划期内的新增量（{added.name}），一方是期末的存量或总量（{level.name}），不能直接比较（{values}）",
        )
    p_unit, c_unit = _unit(p.unit, p_name.per_capita), _unit(c.unit, c_name.per_capita)
    verdict, rule = compare_bounds(
        p.name, parse_bound(p.value, p_unit), p_unit, parse_bound(c.value, c_unit), c_unit, cross_level
    )
    if verdict == "weaker" and cross_level and p_name.per_capita:
        rule += "；省级数值是全省平均，县级数值是本地水平，低于全省平均不一定未落实，需结合本地条件核对"
    if fold(p.attribute) != fold(c.attribute) and p.attribute and c.attribute:
        change = f"属性由{p.attribute}改为{c.attribute}"
        if verdict == "same":
            return "attribute_changed", f"数值相同，{change}（{rule}）"
        return verdict, f"{rule}；另：{change}"
    return verdict, rule


def _unit(unit: str, per_capita: bool) -> str:
    """平方米/人 reads as 平方米 when the name already says 人均."""
    return re.sub(r"/(人|户)$", "", fold(unit)) if per_capita else unit


def _row_passage(doc: Document, root: Section, row: IndicatorRow) -> Passage:
    return Passage(
        text=doc.text[row.start : row.end],
        section=" / ".join(section_path_at(root, row.start)),
        start=row.start,
        end=row.end,
    )


def _value(row: IndicatorRow) -> TableValue:
    return TableValue(value=row.value, unit=row.unit, attribute=row.attribute)


def compare_indicators(
    county: Document,
    province: Document,
    county_root: Section,
    province_root: Section,
    embedder: Embedder | None = None,
) -> list[IndicatorFinding]:
    cross = cross_level(county, province)
    out = []
    for p, c in align_rows(indicator_rows(province), indicator_rows(county), embedder=embedder):
        evidence = Evidence(
            province=_row_passage(province, province_root, p) if p else None,
            county=_row_passage(county, county_root, c) if c else None,
        )
        if p is None:
            assert c is not None
            out.append(
                IndicatorFinding(
                    indicator=c.name,
                    province=None,
                    county=_value(c),
                    verdict="added",
                    rule="县级规划新增的指标，省级指标表中没有对应行",
                    evidence=evidence,
                )
            )
        elif c is None:
            out.append(
                IndicatorFinding(
                    indicator=p.name,
                    province=_value(p),
                    county=None,
                    verdict="missing",
                    rule="县级指标表中没有这一行（按指标名称对齐）",
                    evidence=evidence,
                )
            )
        else:
            verdict, rule = compare_rows(p, c, cross)
            out.append(
                IndicatorFinding(
                    indicator=p.name,
                    province=_value(p),
                    county=_value(c),
                    verdict=verdict,
                    rule=rule,
                    evidence=evidence,
                )
            )
    return out


def cross_level(county: Document, province: Document) -> bool:
    """Totals are comparable only between plans of one known level; a county check is across levels."""
    a, b = county.meta.level, province.meta.level
    return not (a and b and a == b)


# ---------------------------------------------------------------------------
# The whole check


def check_plans(
    county: Document, province: Document, embedder: Embedder | None, llm: ChatModel | None = None
) -> PlanCheck:
    """Compare a county plan with the provincial plan it implements (see the module doc).

    ``embedder`` ranks the closest county passage for tasks the county does not repeat
    (None: BM25 alone); ``llm`` (optional) re-reads the ``partial`` task verdicts.
    """
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    county_root, province_root = parse_outline(county), parse_outline(province)
    seconds["outline"] = time.perf_counter() - t

    t = time.perf_counter()
    indicators = compare_indicators(county, province, county_root, province_root, embedder)
    seconds["indicators"] = time.perf_counter() - t

    t = time.perf_counter()
    targets = compare_text_targets(
        county,
        province,
        county_root,
        province_root,
        county_rows=indicator_rows(county),
        province_rows=indicator_rows(province),
        cross_level=cross_level(county, province),
    )
    seconds["text_targets"] = time.perf_counter() - t

    t = time.perf_counter()
    boxes = compare_zhuanlan(county, province, county_root, province_root)
    seconds["zhuanlan"] = time.perf_counter() - t

    t = time.perf_counter()
    task_notes: list[str] = []
    tasks = check_tasks(county, province, county_root, province_root, embedder, llm, task_notes)
    seconds["tasks"] = time.perf_counter() - t

    notes = [
        f"{'省级' if who == 'province' else '县级'}规划的专栏编号不连续：缺少{'、'.join(f'专栏{n}' for n in gaps)}（原文如此）"
        for who, root in (("province", province_root), ("county", county_root))
        if (gaps := numbering_gaps(root))
    ]
    notes.extend(box_notes(county_root, province_root))
    notes.extend(task_notes)
    if not indicator_rows(province):
        notes.append("省级规划中没有找到“主要发展指标”表")
    if not indicator_rows(county):
        notes.append("县级规划中没有找到“主要发展指标”表")
    summary = Summary(
        county=_ref(county),
        province=_ref(province),
        indicators=_counts(f.verdict for f in indicators),
        text_targets=_counts(f.verdict for f in targets),
        zhuanlan=_counts(f.verdict for f in boxes),
        tasks=_counts(task.verdict for s in tasks for task in s.tasks),
        sections=_counts(s.verdict for s in tasks),
        table_conflicts=sum(len(f.conflicts) for f in targets),
        notes=notes,
    )
    return PlanCheck(
        indicators=indicators,
        text_targets=targets,
        zhuanlan=boxes,
        tasks=tasks,
        summary=summary,
        seconds=seconds,
    )


def _ref(doc: Document) -> DocRef:
    return DocRef(file=doc.file, title=doc.title, level=doc.meta.level)


def _counts(verdicts: Any) -> dict[str, int]:
    return dict(Counter(verdicts))
