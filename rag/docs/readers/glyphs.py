"""Characters placed on a page, put into lines of text: one rule for every PDF reader that
knows where each character stands (pdfminer's characters under pdfplumber, pdfium's).

A character's line is found from its baseline and size, not from its box. A box is drawn from
its font's declared ascent and descent, and fonts declare what they like: a digit in a Latin
font can get a box a line away from the Chinese text it stands in, where the two share a
baseline ("应符合表1、表2和表3的规定" read as "应符合表表和表的规定 … 1、2 3"). So each
character gets the extent of a glyph of its size on its baseline (:data:`ASCENT` of it above,
the rest below); it joins the line whose extent it overlaps by half the smaller height (a
raised ² or a lowered ₂ stays in its line, the next line does not), and a line reads left to
right, whatever order the file drew it in. OFD does the same in ofdkit's layout (runs grouped
by baseline within half their size, sorted by x).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

ASCENT = 0.8  # share of the size above the baseline (CJK faces: 0.88 / 0.12, Latin 0.72 / 0.21)
WORD_GAP = 0.3  # characters further apart than this share of their size are two words: a space


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character: its text, its advance from x0 to x1 and its baseline, in points, measured
    from the page's left and top edges, and its size (the font size as drawn)."""

    text: str
    x0: float
    x1: float
    baseline: float
    size: float

    @property
    def top(self) -> float:
        return self.baseline - ASCENT * self.size

    @property
    def bottom(self) -> float:
        return self.baseline + (1 - ASCENT) * self.size


# a quarter turn's (cos, sin), counterclockwise from upright
_QUARTERS = ((1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0))


def turned(text: str, x: float, y: float, direction: tuple[float, float], advance: float, size: float) -> Glyph:
    """A glyph set sideways or upside down (a page turned by /Rotate, a label up a margin): its
    origin (x, y), in a page space whose y grows upwards, seen in the frame of its baseline, whose
    ``direction`` is taken to the nearest quarter turn. Glyphs turned alike then read as upright ones."""
    quarter = round(math.atan2(direction[1], direction[0]) / (math.pi / 2)) % 4
    cos, sin = _QUARTERS[quarter]
    along = x * cos + y * sin
    return Glyph(text, along, along + advance, x * sin - y * cos, size)


@dataclass
class Line:
    """A line of text on a page, with its box (points from the left and top edges) and the
    median size of its characters."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


def group_lines(glyphs: Iterable[Glyph]) -> list[list[Glyph]]:
    """Glyphs in lines, top down, each line left to right."""
    lines: list[list[Glyph]] = []
    largest: list[Glyph] = []  # each line's largest glyph: what a glyph is measured against
    for glyph in sorted(glyphs, key=lambda g: (g.baseline, g.x0)):
        if lines:
            ref = largest[-1]
            overlap = min(ref.bottom, glyph.bottom) - max(ref.top, glyph.top)
            if overlap >= 0.5 * min(ref.size, glyph.size):
                lines[-1].append(glyph)
                if glyph.size > ref.size:
                    largest[-1] = glyph
                continue
        lines.append([glyph])
        largest.append(glyph)
    return [sorted(line, key=lambda g: g.x0) for line in lines]


def line_text(line: list[Glyph]) -> str:
    """A line's characters in order, one space where they stand apart (or the file draws one)."""
    out: list[str] = []
    prev: Glyph | None = None
    for glyph in line:
        if glyph.text.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        if prev is not None and out[-1] != " " and glyph.x0 - prev.x1 > WORD_GAP * min(prev.size, glyph.size):
            out.append(" ")
        out.append(glyph.text)
        prev = glyph
    return "".join(out).strip()


def text_lines(glyphs: Iterable[Glyph]) -> list[Line]:
    """The lines of a page's glyphs, top down, without the empty ones."""
    out = []
    for line in group_lines(glyphs):
        text = line_text(line)
        if not text:
            continue
        sizes = [g.size for g in line if not g.text.isspace()]
        out.append(
            Line(
                text,
                min(g.x0 for g in line),
                max(g.x1 for g in line),
                min(g.top for g in line),
                max(g.bottom for g in line),
                statistics.median(sizes),
            )
        )
    return out
