"""The place gazetteer (``rag/data/places.txt``): a name's province and kind of division.

A document's level follows from the division it belongs to, not from its suffix alone: a
直辖市 (上海市) is province level and its 区 county level; a 地级市 (吉林市) is city level, a
县级市 (舒兰市) county level. Names the gazetteer lacks fall back to their suffix
(…省 province, …市 / …州 city, …县 / …区 / …旗 county).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from rag.models import Level

PLACES_FILE = Path(__file__).parents[1] / "data" / "places.txt"

LEVEL_OF_KIND: dict[str, Level] = {
    "省": "province",
    "自治区": "province",
    "直辖市": "province",
    "特别行政区": "province",
    "地级市": "city",
    "自治州": "city",
    "地区": "city",
    "盟": "city",
    "县级市": "county",
    "县": "county",
    "自治县": "county",
    "区": "county",
    "旗": "county",
}
_SUFFIX_LEVEL: list[tuple[str, Level]] = [
    ("特别行政区", "province"),
    ("自治区", "province"),
    ("省", "province"),
    ("自治州", "city"),
    ("地区", "city"),
    ("盟", "city"),
    ("州", "city"),
    ("市", "city"),
    ("自治县", "county"),
    ("县", "county"),
    ("区", "county"),
    ("旗", "county"),
]
SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|地区|省|市|州|县|区|旗|盟)"
_STEM = re.compile(rf"{SUFFIX}$")


def stem(name: str) -> str:
    """A place name without its administrative suffix: 舒兰市 → 舒兰, 长宁区 → 长宁."""
    return _STEM.sub("", name)


class Place(NamedTuple):
    province: str  # the province-level division it lies in, as the gazetteer names it ("吉林")
    kind: str  # 省 / 直辖市 / 地级市 / 县级市 / 县 / 区 …


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Place]:
    """Name → place, from ``rag/data/places.txt`` (名称, 所属省级行政区, 类别)."""
    out = {}
    for line in PLACES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, province, kind = (part.strip() for part in line.split("\t"))
            out[name] = Place(province, kind)
    return out


def find_place(name: str) -> Place | None:
    """The gazetteer entry of a place written with or without its suffix (舒兰市, 舒兰)."""
    table = gazetteer()
    for candidate in (name, stem(name)):
        if candidate in table:
            return table[candidate]
    return None


def place_level(name: str) -> Level | None:
    """The level of a jurisdiction: 上海市 → province, 吉林市 → city, 舒兰市 / 长宁区 → county."""
    place = find_place(name)
    if place is not None:
        return LEVEL_OF_KIND.get(place.kind)
    for suffix, level in _SUFFIX_LEVEL:
        if name.endswith(suffix):
            return level
    return None


def province_name(name: str) -> str | None:
    """The full name of the province-level division a place lies in (舒兰市 → 吉林省,
    长宁 → None when the gazetteer does not know it); None for a province itself."""
    place = find_place(name)
    if place is None or LEVEL_OF_KIND.get(place.kind) == "province":
        return None
    own = find_place(place.province) or gazetteer().get(place.province + "省")
    kind = own.kind if own is not None else "省"
    return place.province + {"省": "省", "直辖市": "市"}.get(kind, "")
