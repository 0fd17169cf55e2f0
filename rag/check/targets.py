"""Numeric targets and deadlines in the body text of two plans, paired by topic and compared.

A target is a clause with a figure a plan sets ("到2025年底护理型床位占比不低于60%",
"农村互助养老站点超过300个", "力争2024年实现全覆盖"): a number with a unit, a % or a
comparison word, or 全覆盖. Its topic is the clause without the figure, the deadline and
the verbs ("护理型床位占比"); a clause whose topic is only a few characters ("力争2025年达到60%")
takes the first clause of its sentence ("推动县（市、区）社工指导中心（总站）建设"). Background
sections (成就, 形势, 背景, 总结, 十三五) and sentences about the present (现有, 截至, 比2015年) are skipped.

Province and county targets are paired by topic similarity and compared with the
indicator rules (:func:`rag.check.compare.compare_bounds`); with the same value an earlier
deadline is stricter. A body target for the table's year (or with no year) whose topic is
an indicator of the same plan's table but whose value differs is reported as a conflict:
the plan contradicts its own table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from rag.check.compare import (
    BACKGROUND,
    Bound,
    Evidence,
    Passage,
    SentenceIndex,
    Verdict,
    compare_bounds,
    containment,
    dice,
    fold,
    parse_bound,
    passage,
    sentence_spans,
    show,
    text_key,
    unit_base,
)
from rag.docs.outline import iter_sections
from rag.docs.periods import PERIOD, period_years
from rag.models import Document, Section

TOPIC_MATCH = 0.5  # Dice of two topics to pair targets
SENTENCE_MATCH = 0.6  # share of a sentence's bigrams found in one sentence of the other plan
_STATUS = re.compile(r"现有|目前|截至|截止|已达|已经|已有|都有|比20\d\d年|较20\d\d年|同比")
_CLAUSE_END = re.compile(r"[，,；;。：:！？!?]")
_VALUE = re.compile(
    r"(?P<pre>不低于|不少于|不高于|不超过|至少|超过|突破|达到|提高到|提升到|增加到|控制在|保持在|低于|高于|≥|≤|＞|＜|>|<)?"
    r"(?P<num>\d+(?:\.\d+)?)(?P<mult>万亿|亿|万|千)?"
    r"(?P<unit>%|％|‰|个百分点|平方米|倍|[个所张名人家项座台处户次元条]+)?"
    r"(?P<post>以上|以下|以内|左右)?"
)
_OP_WORD = re.compile(r"不低于|不少于|不高于|不超过|至少|超过|突破|低于|高于")
_DEADLINE = re.compile(rf"(?:到|至|于|力争|从|在)?(20\d\d)年(底|末|前|起|内)?|“?{PERIOD}”?(?:末期|期末|末|期间)")
_FILLER = re.compile(
    r"力争|实现|达到|确保|基本|全部|所有|要|将|拟|预计|约|每年|逐年|提高到|提升到|增加到|控制在|保持在|原则上|"
    r"不低于|不少于|不高于|不超过|至少|超过|突破|以上|以下|以内|左右|全覆盖|^到|^在|^的|的$"
)


class TargetValue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str
    deadline: str | None


class TextTargetFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str
    province: TargetValue | None
    county: TargetValue | None
    verdict: Verdict
    rule: str
    evidence: Evidence
    conflicts: list[str]  # where a plan's text contradicts its own indicator table


class TableRow(Protocol):
    """What a conflict check needs of an indicator row (:class:`rag.check.compliance.IndicatorRow`)."""

    name: str
    unit: str
    value: str
    year: int | None


@dataclass
class BodyTarget:
    topic: str
    value: str  # as written: "不低于60%"
    bound: Bound
    unit: str
    deadline: int | None
    deadline_text: str | None
    start: int  # the sentence, for evidence
    end: int


def _clauses(sentence: str, offset: int) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in _CLAUSE_END.finditer(sentence):
        out.append((offset + pos, offset + m.start()))
        pos = m.end()
    if pos < len(sentence):
        out.append((offset + pos, offset + len(sentence)))
    return [(a, b) for a, b in out if b > a]


_PAREN = re.compile(r"（[^（）]*）|\([^()]*\)")


def _unbracketed(text: str) -> str:
    """Parenthesised notes blanked out (same length): "（其中社区工作人员达到1.3万人）", "（2000年前）"."""
    return _PAREN.sub(lambda m: " " * len(m.group(0)), text)


def _values(clause: str) -> list[re.Match[str]]:
    """Figures a plan sets: with a unit, %, or a comparison word; years, bare numbers and
    figures in brackets are not."""
    out = []
    for m in _VALUE.finditer(_unbracketed(clause)):
        tail = clause[m.end() : m.end() + 1]
        if tail == "年" and not m.group("unit"):
            continue  # 2025年, 5到10年
        if m.group("unit") or m.group("pre") or m.group("post"):
            out.append(m)
    return out


def _deadline(clauses: list[str], i: int) -> tuple[int | None, str | None]:
    """The deadline in clause ``i``, else in the nearest clause before it with a deadline only."""
    for j in range(i, -1, -1):
        for m in _DEADLINE.finditer(_unbracketed(clauses[j])):
            year = int(m.group(1)) if m.group(1) else period_years(m.group(3))[1]  # “十五五”末期 → 2030
            if year >= 2020 and (j == i or not _values(clauses[j])):
                return year, m.group(0).lstrip("到至于在从").replace("力争", "")
    return None, None


def _core(text: str) -> str:
    """The clause without its figures, bracketed notes with figures, deadline and verbs."""
    text = re.sub(r"（[^（）]*\d[^（）]*）|\([^()]*\d[^()]*\)", "", text)
    for m in reversed(_values(text)):
        text = text[: m.start()] + text[m.end() :]
    text = _DEADLINE.sub(lambda m: m.group(0) if m.group(1) and int(m.group(1)) < 2020 else "", text)
    for _ in range(2):
        text = _FILLER.sub("", text.strip(" ，,、“”"))
    return text.strip(" ，,、")


def body_targets(doc: Document, root: Section) -> list[BodyTarget]:
    """Every target of the body text, in order; a repeated (topic, deadline, value) is kept once."""
    out: list[BodyTarget] = []
    seen: set[tuple[str, str]] = set()
    for section, path in iter_sections(root):
        if any(w in h for h in path for w in BACKGROUND):
            continue
        for block in section.blocks:
            if block.kind != "para":
                continue
            for s_start, s_end in sentence_spans(doc.text[block.start : block.end], block.start):
                sentence = doc.text[s_start:s_end]
                if _STATUS.search(sentence):
                    continue
                spans = _clauses(sentence, s_start)
                clauses = [doc.text[a:b] for a, b in spans]
                for i, clause in enumerate(clauses):
                    target = _target(clause, clauses, i)
                    if target is None:
                        continue
                    topic, value, bound, unit = target
                    deadline, deadline_text = _deadline(clauses, i)
                    key = (text_key(topic), fold(value))  # a 专栏 repeating the text
                    if key in seen:
                        continue
                    seen.add(key)
                    out.append(BodyTarget(topic, value, bound, unit, deadline, deadline_text, s_start, s_end))
    return out


def _target(clause: str, clauses: list[str], i: int) -> tuple[str, str, Bound, str] | None:
    values = _values(clause)
    if values:
        first, last = values[0], values[-1]
        if len(values) > 1:  # "10%、20%和30%": several figures, compared as text
            raw = clause[first.start() : last.end()]
            bound, unit = Bound("text", None, "%" in fold(raw), raw), ""
        else:
            mult, unit = first.group("mult") or "", first.group("unit") or ""
            percent = fold(unit) == "%"
            op = first.group("pre") or (_OP_WORD.findall(clause[: first.start()]) or [""])[-1]
            cell = f"{op}{first.group('num')}{mult}{'%' if percent else ''}{first.group('post') or ''}"
            unit = "" if percent else unit  # the multiplier is in the value: 5万人次 = 50000 人次
            raw = first.group(0) if first.group("pre") or not op else f"{op}{first.group(0)}"
            bound = replace(parse_bound(cell), raw=raw)
    elif "全覆盖" in clause:
        raw, bound, unit = "全覆盖", Bound(">=", 100.0, True, "全覆盖"), ""
    else:
        return None
    topic = _core(clause)
    if len(text_key(topic)) < 6 and i > 0:
        topic = (_core(clauses[0]) + " " + topic).strip()
    if len(text_key(topic)) < 2:
        return None
    return topic, raw, bound, unit


def _show(t: BodyTarget) -> TargetValue:
    return TargetValue(value=t.value, deadline=t.deadline_text)


def _pair(province: list[BodyTarget], county: list[BodyTarget]) -> dict[int, int]:
    """Province target index → county target index, most similar topics first, one to one."""
    scored = []
    for i, p in enumerate(province):
        for j, c in enumerate(county):
            sim = dice(p.topic, c.topic)
            if sim >= TOPIC_MATCH:
                scored.append((-sim, p.deadline != c.deadline, fold(p.value) != fold(c.value), i, j))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for *_, i, j in sorted(scored):
        if i not in pairs and j not in used:
            pairs[i] = j
            used.add(j)
    return pairs


def compare_pair(p: BodyTarget, c: BodyTarget, cross_level: bool = True) -> tuple[Verdict, str]:
    """Value first (indicator rules); then the deadline, earlier being stricter."""
    # a share of something (%), a count for the whole plan area (个, 人次) …: unit carried by the clause
    verdict, rule = compare_bounds(p.topic, p.bound, p.unit, c.bound, c.unit, cross_level)
    if p.deadline is None or c.deadline is None or p.deadline == c.deadline:
        return verdict, rule
    earlier = c.deadline < p.deadline
    when = f"期限：省 {p.deadline_text}，县 {c.deadline_text}，越早越严格"
    if verdict == "same":
        return ("stricter" if earlier else "weaker"), f"{when}；{rule}"
    if verdict in ("stricter", "weaker") and (verdict == "stricter") == earlier:
        return verdict, f"{rule}；{when}"
    if verdict == "not_comparable":
        return verdict, f"{rule}；{when}"
    return "not_comparable", f"数值与期限方向相反，需人工判断（{rule}；{when}）"


def common_run(a: str, b: str) -> int:
    """Length of the longest run of characters two texts share (punctuation and spaces dropped)."""
    x, y = text_key(a), text_key(b)
    return SequenceMatcher(None, x, y, autojunk=False).find_longest_match(0, len(x), 0, len(y)).size


def table_conflicts(targets: list[BodyTarget], rows: Sequence[TableRow], plan: str) -> dict[int, list[str]]:
    """Body targets contradicting an indicator row of the same plan: for the table's year (or with
    no year), in the row's unit, about the row's indicator (one name holds ≥ 80% of the other's
    bigrams and both share a run of at least 5 characters: "护理型床位占比" in
    "公办养老机构护理型床位占比"), with another value."""
    out: dict[int, list[str]] = {}
    for i, t in enumerate(targets):
        for row in rows:
            if t.deadline not in (None, row.year):
                continue
            row_bound = parse_bound(row.value, row.unit)
            if row_bound.percent != t.bound.percent or (
                not t.bound.percent and unit_base(row.unit)[0] != unit_base(t.unit)[0]
            ):
                continue
            if max(containment(t.topic, row.name), containment(row.name, t.topic)) < 0.8:
                continue
            if common_run(t.topic, row.name) < 5:  # "乡镇（街道）覆盖率" is no particular indicator
                continue
            verdict, _ = compare_bounds(row.name, row_bound, row.unit, t.bound, t.unit, cross_level=False)
            if verdict != "same":
                out.setdefault(i, []).append(
                    f"{plan}正文“{t.deadline_text or ''}{t.topic}{t.value}”与其指标表“{row.name}：{show(row_bound, row.unit)}”不一致"
                )
    return out


def compare_text_targets(
    county: Document,
    province: Document,
    county_root: Section,
    province_root: Section,
    county_rows: Sequence[TableRow],
    province_rows: Sequence[TableRow],
    cross_level: bool = True,
) -> list[TextTargetFinding]:
    """Province targets in order (paired, else ``missing``), then county targets left over (``added``)."""
    p_targets, c_targets = body_targets(province, province_root), body_targets(county, county_root)
    p_conf = table_conflicts(p_targets, province_rows, "省级规划")
    c_conf = table_conflicts(c_targets, county_rows, "县级规划")
    pairs = _pair(p_targets, c_targets)
    county_sentences = SentenceIndex(county, [(b.start, b.end) for b in county.blocks if b.kind == "para"])

    def ev(doc: Document, root: Section, t: BodyTarget) -> Passage:
        return passage(doc, root, t.start, t.end)

    out = []
    for i, p in enumerate(p_targets):
        j = pairs.get(i)
        if j is None:
            share, sentence = county_sentences.best(province.text[p.start : p.end])
            similar = sentence if share >= SENTENCE_MATCH else None
            rule = "县级规划没有对应的数字目标" + ("；有相近表述，但没有写明数字或期限" if similar else "")
            out.append(
                TextTargetFinding(
                    topic=p.topic,
                    province=_show(p),
                    county=None,
                    verdict="missing",
                    rule=rule,
                    evidence=Evidence(
                        province=ev(province, province_root, p),
                        county=passage(county, county_root, similar.start, similar.end) if similar else None,
                    ),
                    conflicts=p_conf.get(i, []),
                )
            )
            continue
        c = c_targets[j]
        verdict, rule = compare_pair(p, c, cross_level)
        out.append(
            TextTargetFinding(
                topic=p.topic,
                province=_show(p),
                county=_show(c),
                verdict=verdict,
                rule=rule,
                evidence=Evidence(province=ev(province, province_root, p), county=ev(county, county_root, c)),
                conflicts=p_conf.get(i, []) + c_conf.get(j, []),
            )
        )
    used = set(pairs.values())
    for j, c in enumerate(c_targets):
        if j not in used:
            out.append(
                TextTargetFinding(
                    topic=c.topic,
                    province=None,
                    county=_show(c),
                    verdict="added",
                    rule="县级规划新增的数字目标，省级规划正文中没有对应目标",
                    evidence=Evidence(county=ev(county, county_root, c)),
                    conflicts=c_conf.get(j, []),
                )
            )
    return out
