"""Shared pieces of the plan check: evidence passages, target values and the rules comparing them.

A target value is read into a :class:`Bound` ("≥55", "＞30", "不低于50%", "90%以上",
"5万人次", "全覆盖", "50-60", or text such as "不低于居民上年度人均消费支出增速").
:func:`compare_bounds` says whether the county's value is the ``same``, ``stricter``,
``weaker`` or ``not_comparable`` with the province's and returns the rule it applied,
in Chinese, so every verdict can be checked by a person:

- a ceiling (≤, 不超过, 以下) or a name that is better low (发生率, 死亡率 …): lower is stricter;
- everything else a plan sets as a target (rates, coverage, shares, counts, areas): higher
  is stricter; plain table values are floors ("目标值 90" means reach at least 90);
- a total (not a rate, share or per-capita figure) of a county against a provincial total
  (万人 vs 人, 万个 vs 个) is ``not_comparable``, as are different units and differing text.

:class:`SentenceIndex` finds where a sentence of one plan reappears in another (share of
its character bigrams found in one sentence), the measure behind task coverage, 专栏 item
changes and the county evidence of text targets.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from rag.docs.heads import NOTICE_HEADING
from rag.docs.outline import iter_sections, split_sentences
from rag.models import Document, Section

Verdict = Literal["same", "stricter", "weaker", "not_comparable", "attribute_changed", "missing", "added"]
VERDICT_LABELS: dict[str, str] = {
    "same": "相同",
    "stricter": "更严格",
    "weaker": "更宽松",
    "not_comparable": "不可比",
    "attribute_changed": "属性变化",
    "missing": "缺失",
    "added": "新增",
}


# Headings of sections with no targets or tasks: background (achievements, situation, problems) and
# the 印发通知 in front of a plan.
BACKGROUND = (
    "背景", "成就", "形势", "回顾", "总结", "十三五", "发展基础", "成效", "完成情况", "存在的问题", "问题与不足",
    NOTICE_HEADING,
)  # fmt: skip


class Passage(BaseModel):
    """A span of a plan's cleaned text, with the headings above it."""

    model_config = ConfigDict(extra="forbid")
    text: str
    section: str
    start: int
    end: int


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: Passage | None = None
    county: Passage | None = None


def section_path_at(root: Section, pos: int) -> list[str]:
    """Headings of the innermost section holding ``pos``: the last heading before it, in text order."""
    best: tuple[str, ...] = ()
    for section, path in iter_sections(root):
        if section.kind != "root" and section.start <= pos:
            # the 印发通知 ends at its date: the plan's title and preamble after it are the root's
            after_notice = section.kind == "notice" and pos >= max(b.end for b in section.blocks)
            best = () if after_notice else path
    return list(best)


def passage(doc: Document, root: Section, start: int, end: int) -> Passage:
    return Passage(
        text=doc.text[start:end], section=" / ".join(section_path_at(root, start)), start=start, end=end
    )


# ---------------------------------------------------------------------------
# Text normalisation


_NON_WORD = re.compile(r"[\W_]+")
_JURISDICTION = re.compile(r"全省|全市|全县|全区|全州|我省|我市|我县|本省|本市|本县")


def fold(text: str) -> str:
    """NFKC (（ → (, ＞ → >, ５ → 5), no whitespace: how values and names are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def text_key(text: str) -> str:
    """Folded, punctuation dropped, 全省/全市/我县 … read as one word: for similarity only."""
    return _JURISDICTION.sub("本地", _NON_WORD.sub("", fold(text)))


def bigrams(text: str) -> frozenset[str]:
    key = text_key(text)
    if len(key) < 2:
        return frozenset([key]) if key else frozenset()
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def dice(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two short texts (names, titles)."""
    x, y = bigrams(a), bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def containment(a: str, b: str) -> float:
    """Share of ``a``'s bigrams found in ``b``."""
    x = bigrams(a)
    return len(x & bigrams(b)) / len(x) if x else 0.0


# ---------------------------------------------------------------------------
# Target values


Op = Literal[">=", ">", "<=", "<", "=", "range", "text"]
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_MULTIPLIER = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}
_BOUND = re.compile(
    r"^(?P<pre>不低于|不少于|不高于|不超过|不大于|不小于|至少|超过|突破|达到|高于|低于|大于|小于|>=|<=|≥|≤|>|<)?"
    r"(?P<num>\d+(?:\.\d+)?)(?P<mult>万亿|亿|万|千)?(?P<unit>%|‰|个百分点)?"
    r"(?P<post>以上|以下|以内|左右)?$"
)
_RANGE = re.compile(r"^(?P<lo>\d+(?:\.\d+)?)(?P<u1>%)?[-~—–至到](?P<hi>\d+(?:\.\d+)?)(?P<u2>%)?$")
_OPS: dict[str, Op] = {
    "不低于": ">=", "不少于": ">=", "不小于": ">=", "至少": ">=", "达到": ">=", ">=": ">=", "≥": ">=",
    "超过": ">", "突破": ">", "高于": ">", "大于": ">", ">": ">",
    "不高于": "<=", "不超过": "<=", "不大于": "<=", "≤": "<=", "<=": "<=",
    "低于": "<", "小于": "<", "<": "<",
    "以上": ">=", "以下": "<=", "以内": "<=", "左右": "=",
}  # fmt: skip


@dataclass(frozen=True)
class Bound:
    """A target value: ``op`` and ``value`` (``high`` for a range); ``text`` when it is not a number."""

    op: Op
    value: float | None
    percent: bool
    raw: str
    high: float | None = None

    @property
    def ceiling(self) -> bool:
        return self.op in ("<=", "<")


def parse_bound(cell: str, unit: str = "") -> Bound:
    """Read a table cell or a target phrase; ``unit`` is the table's unit column (``%`` makes a percentage)."""
    raw = cell.strip()
    s = fold(raw).replace("(", "").replace(")", "").replace(",", "")
    percent_unit = fold(unit) in ("%", "‰")
    if s in ("全覆盖", "实现全覆盖", "全部覆盖"):
        return Bound(">=", 100.0, True, raw)
    m = _BOUND.match(s)
    if m:
        value = float(m.group("num")) * _MULTIPLIER.get(m.group("mult") or "", 1.0)
        op: Op = _OPS[m.group("pre")] if m.group("pre") else "="
        post = m.group("post")
        if post in ("以下", "以内") and op != "<":
            op = "<="
        elif post == "以上" and op != ">":
            op = ">="
        return Bound(op, value, percent_unit or bool(m.group("unit")), raw)
    r = _RANGE.match(s)
    if r:
        return Bound(
            "range",
            float(r.group("lo")),
            percent_unit or bool(r.group("u1") or r.group("u2")),
            raw,
            high=float(r.group("hi")),
        )
    return Bound("text", None, percent_unit, raw)


_LOWER_BETTER = ("发生率", "死亡率", "事故", "差错率", "投诉", "返贫", "空置率", "时限", "办结时间", "误差")
_RATE_WORDS = ("率", "比例", "占比", "比重", "覆盖")
_PER_WORDS = ("每", "人均", "户均", "平均", "千人", "百户")
_UNIT_SCALE = re.compile(r"^(万亿|亿|万|千|百)?(.*)$")


def unit_base(unit: str) -> tuple[str, float]:
    """("人", 10000.0) for 万人; ("%", 1.0) for ％; ("", 1.0) for no unit."""
    u = fold(unit)
    if u in ("%", "‰", "平方米", "千米", "千克", "百分点", "个百分点"):
        return u, 1.0
    m = _UNIT_SCALE.match(u)
    assert m is not None
    prefix, base = m.group(1), m.group(2)
    if prefix and base:
        return base, {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}[prefix]
    return u, 1.0


def is_total(name: str, unit: str, bound: Bound | None = None) -> bool:
    """A count or amount of the whole jurisdiction, not a rate, share or per-capita figure."""
    if fold(unit) in ("%", "‰") or (bound is not None and bound.percent):
        return False
    return not any(w in name for w in _RATE_WORDS + _PER_WORDS)


def direction(name: str, bound: Bound) -> tuple[int, str]:
    """(+1 when a higher value is stricter, -1 when lower is), and the rule in words."""
    if bound.ceiling:
        return -1, "上限类目标（≤、不超过、以下）：数值越低越严格"
    if any(w in name for w in _LOWER_BETTER):
        return -1, "越低越好的指标（发生率、时限等）：数值越低越严格"
    if bound.percent or any(w in name for w in _RATE_WORDS):
        return 1, "比例/覆盖率类：数值越高越严格"
    if any(w in name for w in _PER_WORDS):
        return 1, "人均/每百户类：数值越高越严格"
    return 1, "数量类：数值越高越严格"


def show(bound: Bound, unit: str) -> str:
    """The value as a person reads it: "≥55%", "不低于居民上年度人均消费支出增速"."""
    raw = bound.raw
    if bound.op == "text" or not unit or fold(unit) in fold(raw):
        return raw
    return raw + unit


def compare_bounds(
    name: str, province: Bound, p_unit: str, county: Bound, c_unit: str, cross_level: bool = True
) -> tuple[Verdict, str]:
    """The county value against the province's, and the rule applied (see the module doc)."""
    p_show, c_show = show(province, p_unit), show(county, c_unit)
    values = f"省 {p_show}，县 {c_show}"
    if province.op == "text" or county.op == "text":
        if fold(province.raw) == fold(county.raw) and fold(p_unit) == fold(c_unit):
            return "same", f"文字目标，按原文比较：表述一致（{province.raw}）"
        if province.op != county.op:
            return "not_comparable", f"一方是文字目标、一方是数值，不能直接比较，需人工核对（{values}）"
        return "not_comparable", f"文字目标，按原文比较：表述不同，需人工核对（{values}）"
    (p_base, p_scale), (c_base, c_scale) = unit_base(p_unit), unit_base(c_unit)
    if province.percent != county.percent or (p_base != c_base and p_unit and c_unit):
        return "not_comparable", f"单位不同（{p_unit or '无'} vs {c_unit or '无'}），不能直接比较（{values}）"
    if cross_level and is_total(name, p_unit, province):
        units = f"单位 {p_unit} vs {c_unit}" if fold(p_unit) != fold(c_unit) else f"单位 {p_unit or '无'}"
        return (
            "not_comparable",
            f"总量类指标：县级数值是本地总量，省级数值是全省总量，不可直接比较（{units}；{values}）",
        )
    d, rule = direction(name, province if province.op != "=" else county)
    if province.ceiling != county.ceiling and "=" not in (province.op, county.op):
        return "not_comparable", f"一方是下限、一方是上限，不能直接比较（{values}）"
    assert province.value is not None and county.value is not None
    p_val = _edge(province, d) * p_scale
    c_val = _edge(county, d) * c_scale
    if abs(p_val - c_val) > 1e-9 * max(1.0, abs(p_val)):
        stricter = (c_val - p_val) * d > 0
        return ("stricter" if stricter else "weaker"), f"{rule}（{values}）"
    ps, cs = _strictness(province), _strictness(county)
    if ps != cs:
        return ("stricter" if cs > ps else "weaker"), f"{rule}；数值相同，“>”“<”比“≥”“≤”更严格（{values}）"
    return "same", f"{rule}（{values}）"


def _edge(bound: Bound, d: int) -> float:
    """The value that binds: a range's low end when higher is stricter, its high end otherwise."""
    assert bound.value is not None
    if bound.op == "range" and d < 0 and bound.high is not None:
        return bound.high
    return bound.value


def _strictness(bound: Bound) -> int:
    return 1 if bound.op in (">", "<") else 0


# ---------------------------------------------------------------------------
# Where a sentence reappears


SENTENCE_MIN_CHARS = 4


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    block: int  # which span (paragraph) of the index it came from
    grams: frozenset[str]


class SentenceIndex:
    """The sentences of some spans of a document, searchable by shared character bigrams."""

    def __init__(self, doc: Document, spans: list[tuple[int, int]]) -> None:
        self.doc = doc
        self.spans = spans
        self.sentences: list[Sentence] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for block, (start, end) in enumerate(spans):
            for a, b in sentence_spans(doc.text[start:end], start):
                grams = bigrams(doc.text[a:b])
                for g in grams:
                    postings[g].append(len(self.sentences))
                self.sentences.append(Sentence(a, b, block, grams))
        self.postings = dict(postings)

    def best(self, text: str) -> tuple[float, Sentence | None]:
        """The sentence holding the largest share of ``text``'s bigrams, and that share."""
        grams = bigrams(text)
        if not grams:
            return 0.0, None
        counts: dict[int, int] = defaultdict(int)
        for g in grams:
            for i in self.postings.get(g, ()):
                counts[i] += 1
        if not counts:
            return 0.0, None
        i = max(counts, key=lambda k: (counts[k], -k))
        return counts[i] / len(grams), self.sentences[i]


def sentence_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text`` (lines split too), shifted by ``offset``;
    pieces under 4 characters are dropped."""
    out = []
    pos = offset
    for line in text.split("\n"):
        for piece in split_sentences(line) if line else []:
            if len(text_key(piece)) >= SENTENCE_MIN_CHARS:
                out.append((pos, pos + len(piece)))
            pos += len(piece)
        pos += 1  # the newline
    return out
