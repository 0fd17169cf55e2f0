"""Numbers in Chinese planning text, normalised so an answer's figures can be checked.

``2万`` and ``20000`` are the same quantity, ``５５`` is ``55``, ``≥55`` and
``不低于55`` state the same target value, ``七个`` is ``7个``. Every
quantity becomes a :class:`Quantity` (value, percent or not); an answer's
number is supported when a cited passage holds a quantity of the same value
(and, for a percentage, a percentage or a table with a ``%`` unit).

Plan names (十四五, 十三五 …) are names, not numbers, and are skipped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_MULTIPLIERS = {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2}
# Arabic numbers with an optional 万/亿 multiplier and % / ‰ / 个百分点.
_ARABIC = re.compile(
    r"(?<![\d.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(?:余|多)?(万亿|亿|万|千)?\s*(%|‰|个百分点)?"
)
# Chinese numerals followed by a counter word: 七个帮扶, 两项补贴, 三年, 十二所.
_CN_COUNT = re.compile(
    r"(?<![十第])([零〇一二两三四五六七八九十百千]+)(万|亿)?"
    r"(?=[个项类名人张家所户年次倍成条件批级座支处])"
)
_PLAN_NAME = re.compile(r"[十][一二三四五六七八九]五")


@dataclass(frozen=True)
class Quantity:
    value: float
    percent: bool = False
    text: str = ""

    def same(self, other: Quantity) -> bool:
        return abs(self.value - other.value) <= 1e-9 * max(1.0, abs(self.value))


def normalize(text: str) -> str:
    """NFKC (full-width digits, ％, ＞) and no spaces between digits and units."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=\d)\s+(?=[\d%‰万亿千百.])", "", text)


def count_value(s: str) -> int | None:
    """A count written in digits or in Chinese numerals: "12" or 十二 → 12; None if neither."""
    return int(s) if s.isdigit() else cn_to_int(s)


def cn_to_int(s: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 一百零五 → 105, 三千 → 3000; None if not a numeral."""
    if not s:
        return None
    if all(c in _CN_DIGITS for c in s):
        if len(s) == 1:
            return _CN_DIGITS[s]
        return int("".join(str(_CN_DIGITS[c]) for c in s))  # 二〇二五 → 2025
    total, digit = 0, 0
    for c in s:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[c]
            digit = 0
        else:
            return None
    return total + digit


def quantities(text: str) -> list[Quantity]:
    """Every quantity stated in ``text``, in order."""
    text = normalize(text)
    out: list[Quantity] = []
    for m in _ARABIC.finditer(text):
        value = float(m.group(1).replace(",", ""))
        mult = m.group(2)
        if mult:
            value *= 1e12 if mult == "万亿" else _MULTIPLIERS[mult]
        out.append(Quantity(value, m.group(3) in ("%", "‰", "个百分点"), m.group(0).strip()))
    masked = _PLAN_NAME.sub(lambda m: "□" * len(m.group(0)), text)
    for m in _CN_COUNT.finditer(masked):
        n = cn_to_int(m.group(1))
        if n is None:
            continue
        value = float(n) * (_MULTIPLIERS[m.group(2)] if m.group(2) else 1.0)
        out.append(Quantity(value, False, m.group(0)))
    return out


def unsupported(claim: str, sources: list[str]) -> list[Quantity]:
    """The quantities in ``claim`` that no source states.

    A percentage is supported by the same value stated as a percentage, or by
    the same value in a source that gives ``%`` as a unit (a table row:
    "单位：%；目标值：≥55").
    """
    pool: list[tuple[Quantity, bool]] = []
    for src in sources:
        has_percent_unit = "%" in normalize(src)
        pool.extend((q, has_percent_unit) for q in quantities(src))
    missing = []
    for q in quantities(claim):
        ok = any(q.same(p) and (not q.percent or p.percent or unit) for p, unit in pool)
        if not ok:
            missing.append(q)
    return missing
