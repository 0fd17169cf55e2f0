"""Indicator names read for what they mean, so rows of two tables pair when they name the same
indicator in other words.

Two tables seldom word an indicator alike: 公园数量 and 公园总量, 绿道长度 and 新增绿道,
中心城城镇雨水排水能力达3~5年一遇面积占比 and 城镇雨水排水达3～5年一遇能力的面积占比,
森林覆盖率* with a footnote star, 养老床位数（张） with its unit in the name. :func:`meaning`
reads a name into its parts:

- the unit written in the name ("（%）", "(万人)") and footnote marks (* ※ △) are taken off;
- filler that does not change the indicator is dropped: 的, 能力, 达/达到 before a figure;
- 新增 / 累计新增 / 年均新增 at the start marks an increment, not a stock (kept as a flag);
- the last measure word (覆盖率, 利用率, 率, 占比, 比例, 数量, 总量, 长度, 面积 …) is split off as
  the measure; what is left is the stem: 森林 and 绿化 differ, so 森林覆盖率 and 绿化覆盖率 do not
  pair although their whole names share half their bigrams.

:func:`name_similarity` is the character-bigram Dice of the stems, or, when the shorter stem has at
least ``CONTAIN_CHARS`` characters and ``CONTAINED`` of its bigrams are in the longer one, that share (景观照明集中控制纳控率
inside 核心区域、重要区域和重要单体建（构）筑物的景观照明集中控制纳控率); 0 when the measures are of
different kinds (a rate against a count) or one name is per capita (人均, 每万人) and the other not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.check.compare import fold

CONTAIN_CHARS = 4  # a stem this long may pair by containment in a longer one …
CONTAINED = 0.9  # … when this share of its bigrams is found there

_FOOTNOTE = re.compile(r"[*＊※△▲☆★#＃]+")
_UNIT_WORD = (
    r"(?:万亿|亿|万|千|百)?(?:%|‰|元|人次|人|个|座|处|家|所|张|床|台|辆|艘|吨|户|套|间|栋|条|项|次|件|"
    r"平方米|平方千米|平方公里|公里|千米|米|公顷|亩|小时|分钟|天|年|千瓦|千瓦时|立方米|标准煤|km|m2|㎡|ha)"
)
_UNIT_IN_NAME = re.compile(rf"[(（]\s*(?P<unit>{_UNIT_WORD}(?:/{_UNIT_WORD})?)\s*[)）]\s*$")
_NON_WORD = re.compile(r"[\W_]+")
_FILLER = re.compile(r"的|能力|达到(?=\d)|达(?=\d)")
_INCREMENT = re.compile(r"^(?:累计新增|年均新增|年新增|每年新增|新增)")
_PER_CAPITA = re.compile(r"人均|户均|每(?:[万千百十]?(?:人|户|平方公里|公顷))|千人|万人拥有|百户")
# The last measure word of a name and its kind; the longest match wins (覆盖率 before 率).
_MEASURES: tuple[tuple[str, str], ...] = (
    *((w, "rate") for w in ("覆盖率", "利用率", "使用率", "达标率", "普及率", "合格率", "满意率", "增长率")),
    ("占比", "rate"),
    ("比例", "rate"),
    ("比重", "rate"),
    ("率", "rate"),
    ("数量", "count"),
    ("总量", "count"),
    ("总数", "count"),
    ("个数", "count"),
    ("数", "count"),
    ("长度", "length"),
    ("里程", "length"),
    ("面积", "area"),
    ("总规模", "amount"),
    ("规模", "amount"),
    ("指数", "index"),
    ("密度", "density"),
)


@dataclass(frozen=True)
class Name:
    """An indicator name read into parts (see the module doc)."""

    stem: str
    measure: str  # "rate", "count", … or "" when the name ends in no measure word
    increment: bool  # 新增 …: a change over the period, not a level
    per_capita: bool
    unit: str  # written in the name: "（%）" → "%"; "" when none


def strip_name(name: str) -> tuple[str, str]:
    """The name without footnote marks and a unit in brackets at its end, and that unit.

    >>> strip_name("森林覆盖率*")
    ('森林覆盖率', '')
    >>> strip_name("养老机构护理型床位占比（%）")
    ('养老机构护理型床位占比', '%')
    """
    text = _FOOTNOTE.sub("", fold(name))
    m = _UNIT_IN_NAME.search(text)
    if m and m.start() > 0:
        return text[: m.start()], m.group("unit")
    return text, ""


def meaning(name: str) -> Name:
    text, unit = strip_name(name)
    key = _FILLER.sub("", _NON_WORD.sub("", text))
    increment = bool(_INCREMENT.match(key))
    key = _INCREMENT.sub("", key)
    per_capita = bool(_PER_CAPITA.search(key))
    measure = ""
    for word, kind in _MEASURES:
        if key.endswith(word) and len(key) > len(word):
            key, measure = key[: -len(word)], kind
            break
    return Name(key, measure, increment, per_capita, unit)


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text} - {""}


def compatible(a: Name, b: Name) -> bool:
    """Measures of one kind (or one name with none: 新增绿道 and 绿道长度), both per capita or neither."""
    return (a.measure == b.measure or not a.measure or not b.measure) and a.per_capita == b.per_capita


def stem_similarity(a: str, b: str) -> float:
    """Bigram Dice of two stems; containment of the shorter in the longer when it is long enough."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    score = 2 * len(x & y) / (len(x) + len(y))
    short, long_ = (x, y) if len(a) <= len(b) else (y, x)
    inside = len(short & long_) / len(short)
    if min(len(a), len(b)) >= CONTAIN_CHARS and inside >= CONTAINED:
        score = max(score, inside)
    return score


def name_similarity(a: str, b: str) -> float:
    """How likely two indicator names mean the same indicator, 0–1 (see the module doc)."""
    x, y = meaning(a), meaning(b)
    if not compatible(x, y):
        return 0.0
    return stem_similarity(x.stem, y.stem)
