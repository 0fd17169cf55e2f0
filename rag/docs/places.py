"""The place gazetteer (``rag/data/places.txt``): a name's province and kind of division.

A document's level follows from the division it belongs to, not from its suffix alone: a
直辖市 (上海市) is province level and its 区 county level; a 地级市 (吉林市) is city level, a
县级市 (舒兰市) county level. Names the gazetteer lacks fall back to their suffix
(…省 province, …市 / …州 city, …县 / …区 / …旗 county).

:func:`places_at_start` reads the places a name starts with ("上海市长宁区绿化…" → 上海市, 长宁区),
:func:`full_name` writes a gazetteer name with its suffix (北京 → 北京市).
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
# the suffix a division of each kind is written with
KIND_SUFFIX: dict[str, str] = {
    "省": "省", "自治区": "自治区", "直辖市": "市", "特别行政区": "特别行政区", "地级市": "市",
    "自治州": "自治州", "地区": "地区", "盟": "盟", "县级市": "市", "县": "县", "自治县": "自治县",
    "区": "区", "旗": "旗",
}
SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|地区|省|市|州|县|区|旗|盟)"
_STEM = re.compile(rf"{SUFFIX}$")
LEVEL_RANK: dict[Level, int] = {"province": 0, "city": 1, "county": 2}

_PLACE = re.compile(rf"^(?:中共)?([^\s，。、；：“”《》（）()和与及的之]{{1,10}}?{SUFFIX})")
# words ending like a place name that name no place: 旧区改造, 城市更新, 全市, 开发区 …
_NOT_PLACES = re.compile(
    r"^(?:[旧新城社园景校市郊街片地小辖老山林矿牧湖库灾全本我各该][区市县省州]"
    r"|城市|都市|开发区|示范区|保护区|试验区|功能区|商务区|集聚区|风景区|自贸区|核心区|先行区|主城区|老城区|中心城区)$"
)
_LEAD_YEAR = re.compile(r"^\d{4}\s*年度?")


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


def full_name(name: str) -> str:
    """A gazetteer name with the suffix of its kind: 北京 → 北京市, 舒兰 → 舒兰市, 黄浦区 and
    吉林市 as they are; a name the gazetteer lacks unchanged. (An autonomous region's or county's
    stem takes the bare suffix: 广西 → 广西自治区; its ethnic name is not in the gazetteer.)"""
    place = gazetteer().get(name)
    if place is None:
        return name
    suffix = KIND_SUFFIX.get(place.kind, "")
    return name if name.endswith(suffix) else name + suffix


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


def places_at_start(name: str) -> list[str]:
    """The places a title or issuer starts with, outermost first: "上海市长宁区绿化…" → [上海市, 长宁区].

    A place the gazetteer does not know is taken when it looks like a name (no common noun
    such as 旧区 or 城市), and each next place must be a lower division than the one before
    ("黄浦区旧区改造" is 黄浦区 alone).
    """
    out: list[str] = []
    rest = _LEAD_YEAR.sub("", name.strip().strip("《》“”\"")).strip()
    while rest:
        m = _PLACE.match(rest)
        if not m:
            break
        place = m.group(1)
        if find_place(place) is None and (_NOT_PLACES.match(place) or len(place) > 8):
            break
        if out:
            outer, inner = place_level(out[-1]), place_level(place)
            if outer is None or inner is None or LEVEL_RANK[inner] <= LEVEL_RANK[outer]:
                break
        out.append(place)
        rest = rest[m.end() :]
    return out
