"""Word's own list numbering (numbering.xml), rendered as the reader sees it on the page.

A paragraph is numbered through its ``w:numPr`` (numId, ilvl) or its style's (followed up
``basedOn``; a level of an abstract numbering may name the style with ``w:pStyle``). Each
abstract numbering keeps one counter per level; numbering a level restarts the levels under
it. ``lvlText`` ("第%1章", "%1、", "%1.%2") is filled with each level's counter in that level's
format (decimal, chineseCounting 一二三, upperLetter, lowerRoman, ...). Bullets and "none"
give no label.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DIGITS = "零一二三四五六七八九"
_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"


@dataclass(frozen=True)
class Level:
    start: int
    fmt: str
    text: str  # lvlText, "%1.%2"
    suffix: str  # what follows the label: tab, space or nothing


def chinese(n: int, digits: str = _DIGITS, ten: str = "十") -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五."""
    if n <= 0:
        return digits[0]
    if n < 10:
        return digits[n]
    if n < 20:
        return ten + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + ten + (digits[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else (digits[0] + chinese(rest, digits, ten) if rest < 10 else chinese(rest, digits, ten))
    if 10 <= rest < 20:
        tail = digits[1] + tail  # 一百一十五
    return digits[n // 100] + "百" + tail


def _letters(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += sym
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    """A counter in a numFmt."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand"):
        return chinese(n)
    if fmt == "chineseLegalSimplified":
        return chinese(n, _LEGAL, "拾")
    if fmt in ("ideographTraditional",) and 1 <= n <= 10:
        return _TIANGAN[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    return str(n)


class Numbering:
    """The numbering definitions of one document and the counters while it is read."""

    def __init__(self, numbering: Any | None, styles: Any | None) -> None:
        self.abstract: dict[str, dict[int, Level]] = {}
        self.style_levels: dict[str, tuple[str, int]] = {}  # pStyle named in an abstract level
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstract, start overrides)
        self.style_num: dict[str, tuple[str | None, int | None]] = {}
        self.based_on: dict[str, str] = {}
        self.counters: dict[str, dict[int, int]] = {}
        if numbering is not None:
            self._read_numbering(numbering)
        if styles is not None:
            self._read_styles(styles)

    @classmethod
    def of(cls, doc: Any) -> Numbering:
        try:
            numbering = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            numbering = None
        try:
            styles = doc.styles.element
        except (KeyError, AttributeError):
            styles = None
        return cls(numbering, styles)

    def _read_numbering(self, root: Any) -> None:
        for abstract in root.iter(f"{W}abstractNum"):
            aid = abstract.get(f"{W}abstractNumId") or ""
            levels = {}
            for lvl in abstract.iter(f"{W}lvl"):
                ilvl = int(lvl.get(f"{W}ilvl") or 0)
                levels[ilvl] = Level(
                    start=int(_val(lvl, "start") or 1),
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                    suffix=_val(lvl, "suff") or "tab",
                )
                style = _val(lvl, "pStyle")
                if style:
                    self.style_levels[style] = (aid, ilvl)
            self.abstract[aid] = levels
        for num in root.iter(f"{W}num"):
            nid = num.get(f"{W}numId") or ""
            overrides = {}
            for override in num.iter(f"{W}lvlOverride"):
                start = _val(override, "startOverride")
                if start is not None:
                    overrides[int(override.get(f"{W}ilvl") or 0)] = int(start)
            self.nums[nid] = (_val(num, "abstractNumId") or "", overrides)

    def _read_styles(self, root: Any) -> None:
        for style in root.iter(f"{W}style"):
            sid = style.get(f"{W}styleId") or ""
            base = _val(style, "basedOn")
            if base:
                self.based_on[sid] = base
            ppr = style.find(f"{W}pPr")
            numpr = ppr.find(f"{W}numPr") if ppr is not None else None
            if numpr is not None:
                ilvl = _val(numpr, "ilvl")
                self.style_num[sid] = (_val(numpr, "numId"), int(ilvl) if ilvl is not None else None)

    def _style_numbering(self, style: str) -> tuple[str | None, int | None]:
        num_id: str | None = None
        ilvl: int | None = None
        seen = set()
        while style and style not in seen:
            seen.add(style)
            sid, slvl = self.style_num.get(style, (None, None))
            num_id = num_id if num_id is not None else sid
            ilvl = ilvl if ilvl is not None else slvl
            style = self.based_on.get(style, "")
        return num_id, ilvl

    def label(self, p: Any) -> str:
        """The number Word shows before paragraph ``p`` ("第一章 ", "一、", "5.1 "), or ""."""
        if not self.nums:
            return ""
        ppr = p.find(f"{W}pPr")
        style = _val(ppr, "pStyle") if ppr is not None else None
        numpr = ppr.find(f"{W}numPr") if ppr is not None else None
        num_id = _val(numpr, "numId") if numpr is not None else None
        ilvl_text = _val(numpr, "ilvl") if numpr is not None else None
        ilvl = int(ilvl_text) if ilvl_text is not None else None
        if style and (num_id is None or ilvl is None):
            snum, slvl = self._style_numbering(style)
            num_id = num_id if num_id is not None else snum
            if ilvl is None:
                ilvl = slvl if slvl is not None else self.style_levels.get(style, ("", 0))[1]
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return ""
        ilvl = ilvl or 0
        aid, overrides = self.nums[num_id]
        levels = self.abstract.get(aid, {})
        level = levels.get(ilvl)
        if level is None or level.fmt in ("bullet", "none") or not level.text:
            return ""
        counters = self.counters.setdefault(aid, {})
        counters[ilvl] = counters.get(ilvl, overrides.get(ilvl, level.start) - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]

        def fill(m: re.Match[str]) -> str:
            k = int(m.group(1)) - 1
            lv = levels.get(k)
            if lv is None:
                return ""
            n = counters.get(k, overrides.get(k, lv.start))
            return format_number(n, lv.fmt)

        text = re.sub(r"%([1-9])", fill, level.text)
        return text + ("" if level.suffix == "nothing" else " ")


def _val(element: Any, name: str) -> str | None:
    child = element.find(f"{W}{name}") if element is not None else None
    return child.get(f"{W}val") if child is not None else None
