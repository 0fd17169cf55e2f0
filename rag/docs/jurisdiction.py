"""Whose document it is, read from its whole text, for a file whose head names no place.

A plan's head may leave its place out (a web page keeps "第十五个五年规划纲要"; a cover puts
北京市… on a line of its own), while its body names the place throughout. :func:`body_place`
reads, in order of weight:

- **approval**: the 人民代表大会 that approved it ("2026年1月29日北京市第十六届人民代表大会
  第四次会议批准"): that congress's place, whatever else the body names;
- **issuing_body**: else the issuing body signed on a line of its own (a signature "某县人民政府",
  a cover "上海市普陀区人民政府办公室"), the most often signed, which the gazetteer may lack;
- **mentions**: else the place the body names most often, by the gazetteer (北京 / 北京市,
  黄浦区; :mod:`rag.docs.places`). When the body speaks of itself as one kind of division
  (全市 / 本市 / 我市 far more often than 全区, 全省 …), only places of that kind stand: a
  district's plan may name its city more often than itself, and a province's its capital. The
  most named place must be named at least :data:`MIN_MENTIONS` times and more often than the next.

The result carries that evidence and the place's share of the place mentions counted (every
gazetteer place, and the signed and approving places it lacks), so that a later stage can weigh it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, TypeVar

from rag.docs.places import find_place, full_name, gazetteer, places_at_start

_T = TypeVar("_T")

MIN_MENTIONS = 3  # a place named fewer times is not taken for the document's own
HINT_MIN = 3  # 全市 / 本市 … used this often, and twice as often as any other kind, decide the kind

_N = r"[一二三四五六七八九十百\d]+"
# "(2026年1月29日)北京市第十六届人民代表大会第四次会议(审议)批准": the place is group 1, after a
# line start, an opening bracket or a date; its lines may be broken anywhere
_APPROVAL = re.compile(
    rf"(?:^|[（(]|日)[ \t]*([^\s，。、；：“”《》（）()\d]{{2,20}}?)\s*第\s*{_N}\s*届\s*人\s*民\s*代\s*表\s*大\s*会"
    rf"\s*第\s*{_N}\s*次\s*会\s*议\s*(?:审\s*议\s*)?(?:批\s*准|通\s*过)",
    re.M,
)
_ORGAN = r"(?:人民政府(?:办公厅|办公室)?|人民代表大会(?:常务委员会)?|发展和改革委员会|发展改革委员会|发展改革委)"
# an issuing body on a line of its own (a signature, a cover): the place is group 1
_ORGAN_LINE = re.compile(rf"^[ \t]*([^\s，。、；：“”《》（）()\d]{{2,20}}?){_ORGAN}[ \t]*$", re.M)
# how the body speaks of itself: 全市, 本区, 我县 … (not 市场, 区域)
_SELF = re.compile(r"[全本我](市|区|县|省|州|旗)(?![场域])")


@dataclass(frozen=True)
class BodyPlace:
    """The place a body speaks for: ``chain`` outermost first (上海市, 长宁区) when the body writes
    the places above it with it, else the place alone."""

    chain: tuple[str, ...]
    evidence: Literal["approval", "issuing_body", "mentions"]
    share: float  # the place's share of the place mentions counted in the body (0–1)

    @property
    def place(self) -> str:
        return self.chain[-1]


@lru_cache(maxsize=1)
def _gazetteer_pattern() -> re.Pattern[str]:
    """Every gazetteer name, the longest first (浦东新区 before a shorter name inside it)."""
    names = sorted(gazetteer(), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names)))


def _chain(name: str) -> tuple[str, ...] | None:
    """The places ``name`` consists of, outermost first, when it is nothing but places: those the
    gazetteer knows from the shortest tail on ("经北京市" → 北京市), else the whole name taken as
    one place name ("某市")."""
    for i in range(len(name) - 1):
        chain = places_at_start(name[i:])
        if chain and "".join(chain) == name[i:] and all(find_place(p) for p in chain):
            return tuple(chain)
    chain = places_at_start(name)
    return tuple(chain) if chain and "".join(chain) == name else None


def approving_congress(text: str) -> tuple[str, ...] | None:
    """The places of the 人民代表大会 that approved the document, outermost first, or None."""
    for m in _APPROVAL.finditer(text):
        chain = _chain(m.group(1))
        if chain:
            return chain
    return None


def issuing_bodies(text: str) -> Counter[tuple[str, ...]]:
    """The places of the issuing bodies written on a line of their own (a signature, a cover:
    "上海市普陀区人民政府办公室", "某市发展和改革委员会"), outermost first. A body named inside a
    sentence ("报市人民政府批准", "上海市人民政府") is as often a higher one: it counts as a mention."""
    found: Counter[tuple[str, ...]] = Counter()
    for m in _ORGAN_LINE.finditer(text):
        chain = _chain(m.group(1))
        if chain:
            found[chain] += 1
    return found


def place_mentions(text: str, extra: tuple[str, ...] = ()) -> Counter[str]:
    """How often the body names each place, by its full name: gazetteer places written with or
    without their suffix (北京 and 北京市 both count for 北京市; 吉林市场 is no 吉林市), and the
    ``extra`` places (named as an issuing body, say) wherever they are written."""
    counts: Counter[str] = Counter()
    for m in _gazetteer_pattern().finditer(text):
        name = m.group(0)
        if name.endswith("市") and text.startswith("场", m.end()) or name.endswith("区") and text.startswith("域", m.end()):
            continue
        counts[full_name(name)] += 1
    for name in set(extra) - set(counts):
        if find_place(name) is None and (n := text.count(name)):
            counts[name] = n
    return counts


def self_kind(text: str) -> str | None:
    """The kind of division the body speaks of itself as (全市 / 本市 / 我市 → 市), when one kind
    is used at least :data:`HINT_MIN` times and twice as often as any other; else None."""
    top = Counter(m.group(1) for m in _SELF.finditer(text)).most_common(2)
    if not top or top[0][1] < HINT_MIN or (len(top) > 1 and top[0][1] < 2 * top[1][1]):
        return None
    return top[0][0]


def _written(place: str, text: str) -> str:
    """A place as the body writes it in full: 广西自治区 is written 广西壮族自治区."""
    parts = re.fullmatch(r"(.+?)(自治区|自治县|自治州|.)", place)
    if place in text or find_place(place) is None or parts is None:
        return place
    forms = Counter(re.findall(rf"{re.escape(parts[1])}[\u4e00-\u9fff]{{0,5}}?{parts[2]}", text))
    return forms.most_common(1)[0][0] if forms else place


def body_place(text: str) -> BodyPlace | None:
    """The place the body speaks for (see the module doc), or None when it does not tell."""
    approved = approving_congress(text)
    bodies = issuing_bodies(text)
    counts = place_mentions(text, tuple(c[-1] for c in bodies) + (approved[-1:] if approved else ()))
    total = sum(counts.values()) or 1
    if approved:
        return BodyPlace(approved, "approval", counts[approved[-1]] / total)
    signed = _unique_top(bodies)
    if signed is not None:
        return BodyPlace(signed, "issuing_body", counts[signed[-1]] / total)
    kind = self_kind(text)
    place = _unique_top(Counter({p: n for p, n in counts.items() if kind is None or p.endswith(kind)}), MIN_MENTIONS)
    if place is None:
        return None
    return BodyPlace((_written(place, text),), "mentions", counts[place] / total)


def _unique_top(counts: Counter[_T], least: int = 1) -> _T | None:
    """The most counted key, when counted at least ``least`` times and more than any other."""
    top = counts.most_common(2)
    if not top or top[0][1] < least or (len(top) > 1 and top[1][1] == top[0][1]):
        return None
    return top[0][0]
