"""Five-year plan periods: “十四五” is 2021–2025, “十五五” 2026–2030, and so on for any of them.

From the 11th plan (十一五, 2006–2010) on the periods follow each other without a gap: the N-th
runs from 2006 + 5(N-11) for five years. A plan's full name writes the same period out
(第十五个五年规划, :data:`PLAN_NUMBER`); both forms give the ordinal's last digit as group 1.
"""

from __future__ import annotations

import re

_CN_ORDINAL = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# 十N五 (the 11th to 19th plans, 2006–2050); the ordinal is group 1
PERIOD = r"十([一二三四五六七八九])五"
PERIOD_RE = re.compile(PERIOD)
# 第十N个五年 (规划 / 规划纲要 …), the same plans by their full name
PLAN_NUMBER = r"第十([一二三四五六七八九])个五年"
PLAN_NUMBER_RE = re.compile(PLAN_NUMBER)
# either form
ANY_PERIOD_RE = re.compile(f"{PERIOD}|{PLAN_NUMBER}")


def period_years(ordinal: str) -> tuple[int, int]:
    """First and last year of the plan 十{ordinal}五: "四" → (2021, 2025), "五" → (2026, 2030)."""
    start = 2006 + 5 * (_CN_ORDINAL[ordinal] - 1)
    return start, start + 4


def period_ordinal(match: re.Match[str]) -> str:
    """The ordinal digit of an :data:`ANY_PERIOD_RE` match (十五五 → 五, 第十四个五年 → 四)."""
    return match.group(1) or match.group(2)
