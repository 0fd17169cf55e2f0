"""What a question is about: the documents it names, and what the corpus cannot answer.

Staff name documents the way they talk: "23年要点", "2021年和2023年要点",
"省规划", "舒兰", "十五五规划", "辽宁省". :func:`question_scope` reads those
against the corpus's own metadata (:class:`~rag.models.DocMeta`) and returns
a :class:`Scope`:

- ``docs``: the documents the question names, which retrieval is steered to
  (one: only that document; several: passages are gathered from each);
- ``gather``: the question compares documents or years ("分别", "变化",
  "一样吗"), so the answer says which document says what;
- ``target_years``: years that are not document names but what the
  question asks about ("舒兰市2025年的低保标准"); a figure stated for
  another year does not answer it;
- ``missing``: a Chinese reason when the question is about a document,
  year or place the corpus does not hold ("2024年工作要点", "辽宁省").

A year with 到/至/底/末/前 ("到2025年底") is a deadline, not a document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rag.docs.periods import PERIOD, PERIOD_RE, period_years
from rag.docs.places import SUFFIX, find_place, gazetteer, stem
from rag.models import DocMeta

_YEAR_LIST = re.compile(
    r"((?:20)?\d{2})((?:\s*(?:年)?\s*[、,，和与及至到]\s*(?:20)?\d{2})*)\s*年(底|末|前|以前|起|度)?"
)
_DEADLINE_BEFORE = re.compile(r"(到|至|截至|截止|于|在)\s*$")
# what follows a year that names its annual document: 23年要点, 2026年政府工作报告
_NAMES_ANNUAL = re.compile(r"\s*(?:的)?(?:全省|全市|全区|全县)?(?:民政)?(?:工作)?(?:要点|政府工作报告|工作报告)")
# a question over every year the corpus has a document of the kind asked: "这几年要点是怎么说的"
_RELATIVE_YEAR = re.compile(r"今年|本年|去年|上一?年(?!度)|明年")
_RELATIVE_OFFSET = {"今年": 0, "本年": 0, "去年": -1, "上年": -1, "上一年": -1, "明年": 1}
_SERIES = re.compile(r"这几年|近几年|几年来|这些年|历年|逐年|各年|历次")
_PLAN_NAME = re.compile(rf"{PERIOD}(?:时期|期间)?(?:的)?(?:[\u4e00-\u9fff]{{0,8}})?规划")
_ANNUAL_KINDS = {"annual_work_points": re.compile(r"要点"), "work_report": re.compile(r"工作报告")}
_ANNUAL_LABELS = {"annual_work_points": "工作要点", "work_report": "政府工作报告"}
_PROVINCE_PLAN = re.compile(rf"省(?:民政)?(?:事业)?(?:发展)?(?:“?{PERIOD}”?)?规划|省里|省级规划|全省规划|省的规划")
_GATHER = re.compile(
    r"分别|变化|变了|怎么变|这几年|历年|逐年|对比|比较|相比|比省|跟省|和省|一样吗|相同吗|不同|区别|差别|高还是低|早吗|晚吗|说法|推进|进展|进度"
)
# after a place name, the start of a longer proper noun: a river, a road, a park, a district's new town
_FEATURE_AFTER = re.compile(
    r"(?:河|江|湖|溪|浜|港|湾|海峡|路|街|大道|大街|桥|隧道|站|山|岛|公园|广场|新城|大学|学院|医院|机场|码头|水库)"
)
_UPPER_WORDS = re.compile(r"全市|市里|市级|市的|跟市|和市|比市|上级")
_DOC_WORDS = re.compile(rf"^[省市县州区]?(?:的)?(?:民政|{PERIOD}|规划|要点|工作|计划|方案|标准|低保|养老)")


@dataclass(frozen=True)
class Scope:
    docs: tuple[str, ...] = ()
    gather: bool = False
    target_years: tuple[int, ...] = ()
    places: tuple[str, ...] = ()  # places named that are not a document's jurisdiction (延吉)
    doc_places: tuple[str, ...] = ()  # places named that are a document's jurisdiction (舒兰市)
    missing: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def several(self) -> bool:
        """Whether the question compares documents it names ("分别", "变化" over two or more), as
        opposed to "分别" of one document, which asks for its parts."""
        return self.gather and len(self.docs) > 1


def _of_places(meta: DocMeta, names: Collection[str]) -> bool:
    """Whether a document's jurisdiction is one of the places named (长宁 → 长宁区)."""
    place = meta.jurisdiction or ""
    return bool(place) and any(place.startswith(n) for n in names)


def corpus_places(metas: Mapping[str, DocMeta]) -> tuple[str, ...]:
    """The corpus's own jurisdictions, with and without their suffix (长宁区, 长宁): places
    whether or not the gazetteer has them."""
    names = {n for m in metas.values() if m.jurisdiction for n in (m.jurisdiction, stem(m.jurisdiction)) if len(n) >= 2}
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def corpus_provinces(metas: Mapping[str, DocMeta]) -> set[str]:
    """The provinces (as in ``places.txt``) of the corpus's jurisdictions and their parents."""
    out = set()
    for meta in metas.values():
        for name in (meta.jurisdiction, meta.parent_jurisdiction):
            province = place_province(name or "")
            if province:
                out.add(province)
    return out


def place_province(name: str) -> str | None:
    """The province of a place name or jurisdiction ("舒兰市" → "吉林"), if the gazetteer has it."""
    place = find_place(name)
    return place.province if place else None


def is_place(word: str) -> bool:
    """Whether a word is a place name of ``places.txt`` (with or without 省/市/县/区)."""
    return bool(word) and place_province(word) is not None


@lru_cache(maxsize=1)
def places() -> dict[str, str]:
    """Place name → its province, from ``rag/data/places.txt``."""
    return {name: place.province for name, place in gazetteer().items()}


def question_years(q: str) -> list[tuple[int, bool, int]]:
    """(year, is_deadline, position) for every year the question names (21 → 2021; 到2025年 and
    2025年底 are deadlines)."""
    out = []
    for m in _YEAR_LIST.finditer(q):
        before = q[: m.start()]
        if re.search(r"\d$", before):
            continue
        deadline = bool(m.group(3) in ("底", "末", "前", "以前", "起") or _DEADLINE_BEFORE.search(before))
        if deadline and not m.group(3) and _NAMES_ANNUAL.match(q, m.end()):
            deadline = False  # "从21年要点到23年要点": 到 joins two documents, it sets no deadline
        if re.search(r"(近|连续|多|第|每|前|后)$", before):
            continue
        nums = [m.group(1), *re.findall(r"(?:20)?\d{2}", m.group(2) or "")]
        for n in nums:
            year = int(n) if len(n) == 4 else 2000 + int(n)
            if 2000 <= year <= 2099 and (len(n) == 4 or 15 <= int(n) <= 39):
                out.append((year, deadline, m.start()))
    return out


def period_years_of(meta: DocMeta) -> tuple[int, int] | None:
    """The years a document's period covers ("2026-2030", "2026年", "十五五" in the title)."""
    found = [int(y) for y in re.findall(r"20\d\d", meta.period or "")]
    if found:
        return min(found), max(found)
    m = PERIOD_RE.search(meta.title)
    return period_years(m.group(1)) if m else None


def annual_year(meta: DocMeta) -> int | None:
    """The year an annual document speaks for: a period of one year ("2024": work points, a
    government work report), else work points by their date; None for other documents."""
    period = (meta.period or "").strip()
    if re.fullmatch(r"20\d\d", period):
        return int(period)
    return meta.year if meta.kind == "annual_work_points" else None


def _overlaps(meta: DocMeta, start: int, end: int) -> bool:
    years = period_years_of(meta)
    return bool(years) and years[0] <= end and start <= years[1]  # type: ignore[index]


def holds_period(metas: Mapping[str, DocMeta], start: int, end: int) -> bool:
    """Whether some document of the corpus speaks for the years start–end (its period overlaps)."""
    return any(_overlaps(meta, start, end) for meta in metas.values())


# Words of a title that say what kind of document it is or when, not what it is about.
_GENERIC_TITLE_WORDS = frozenset(
    "规划 发展 事业 工作 要点 民政 全省 全市 全区 全县 省 市 区 县 政府 人民政府 报告 方案 计划 纲要 意见 "
    "通知 建设 优化 近期 年 时期 期间 关于 印发 实施 行动 专项 总体 国民经济 社会 第十 五个 五年".split()
)


@lru_cache(maxsize=4096)
def _title_topics(title: str, place: str) -> frozenset[str]:
    """A title's subject words (tokenized once per title, not once per question)."""
    from rag.index.tokenize import tokenize

    def subject(w: str) -> bool:
        return (
            len(w) >= 2 and w not in _GENERIC_TITLE_WORDS and not PERIOD_RE.search(w)
            and not re.fullmatch(r"十[一二三四五六七八九]|[一二三四五六七八九]五", w)
            and not (place and (w in place or stem(place) in w)) and not is_place(w)
        )

    cleaned = re.sub(r"\d+|[“”\"（）()—\-]", " ", title)
    words = {w for w in tokenize(cleaned) if subject(w)}
    return frozenset(words | short_forms(title, subject))


def short_forms(title: str, subject: Callable[[str], bool] = lambda w: True) -> frozenset[str]:
    """The short forms staff use for two words of a title, their first characters: 旧区改造 → 旧改."""
    return frozenset(a[0] + b[0] for a, b in _word_pairs(title) if subject(a) and subject(b))


@lru_cache(maxsize=1024)
def _word_pairs(title: str) -> tuple[tuple[str, str], ...]:
    """Neighbouring two-character words of a title (jieba's precise cut)."""
    import jieba

    cut = [w for w in jieba.lcut(re.sub(r"\d+|[“”\"（）()—\-]", " ", title)) if w.strip()]
    return tuple((a, b) for a, b in zip(cut, cut[1:], strict=False) if len(a) == len(b) == 2)


def topic_docs(q: str, metas: Mapping[str, DocMeta]) -> list[str]:
    """The documents whose subject the question names: a word of the title that few titles share
    (历史风貌, 住房, 生态空间), not the kind of document, its place or its period."""
    topics = {f: _title_topics(m.title, m.jurisdiction or "") for f, m in metas.items()}
    counts: dict[str, int] = {}
    for words in topics.values():
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    limit = max(1, len(metas) // 2)
    out = []
    for f, words in topics.items():
        found = [w for w in words if w in q and counts[w] <= limit]
        # two subject words (历史风貌), or one next to what names a plan (住房十四五规划, 市住房)
        if len(found) >= 2 or any(_NAMES_A_PLAN.search(_around(q, w)) for w in found):
            out.append(f)
    return out


# "市生态空间规划", "全市", "省里": a level word, not after a place name, names the document of that level
_LEVEL_WORD = re.compile(r"(?:^|[^\u4e00-\u9fff]|全|本)([省市区县])(?:里|级|的)?(?=[\u4e00-\u9fff]{0,12}(?:规划|方案|计划|报告|要点))")


def _of_level_word(q: str, docs: Sequence[str], metas: Mapping[str, DocMeta]) -> list[str]:
    """Of several documents on one subject, those a level word names: "市生态空间十五五规划" among a
    city's and its districts' → the city's (its jurisdiction ends in 市)."""
    if len(docs) < 2:
        return []
    m = _LEVEL_WORD.search(q)
    if not m:
        return []
    return [f for f in docs if (metas[f].jurisdiction or "").endswith(m.group(1))]


def _around(q: str, word: str, width: int = 6) -> str:
    i = q.find(word)
    return q[max(0, i - 1) : i] + "|" + q[i + len(word) : i + len(word) + width]


# a subject word names a plan when a plan word or a period follows it, or a level precedes it
_NAMES_A_PLAN = re.compile(rf"\|.*(?:规划|计划|方案|纲要|{PERIOD})|^[省市区县]\|")


def place_mentions(q: str) -> list[tuple[str, int]]:
    """(name, position) of each gazetteer place the question names, longest names first. A name
    inside a longer proper noun is no place: 苏州河 is a river, 黄浦江 too, 长宁路 a road."""
    out: list[tuple[str, int]] = []
    for name in _longest_first():
        if name not in q:
            continue
        for m in re.finditer(re.escape(name), q):
            pos = m.start()
            if any(p <= pos < p + len(n) for n, p in out):
                continue  # inside a longer place already found (吉林 in 吉林省)
            if _FEATURE_AFTER.match(q, pos + len(name)):
                continue
            out.append((name, pos))
            break
    return out


@lru_cache(maxsize=1)
def _longest_first() -> tuple[str, ...]:
    return tuple(sorted(places(), key=len, reverse=True))


_PROVINCE_WORDS = re.compile(r"(?:全省|省里|省级|省)(?:的)?$")


def _annual_of_owner(
    before: str, found: Sequence[str], metas: Mapping[str, DocMeta], named: Sequence[str], provinces: Collection[str]
) -> list[str]:
    """The annual documents of a year whose owner the words just before it name: a place
    ("吉林市2024年") or the province ("省里2026年", the province of the places named)."""
    if not found:
        return []
    for name in named:
        if re.search(rf"{re.escape(name)}(?:{SUFFIX})?(?:的)?$", before):
            return [f for f in found if _of_places(metas[f], (name,))]
    if _PROVINCE_WORDS.search(before):
        return [
            f for f in found
            if metas[f].level == "province" and (not provinces or place_province(metas[f].jurisdiction or "") in provinces)
        ]
    return []


def question_scope(
    question: str, metas: Mapping[str, DocMeta], mentioned: Collection[str] = ()
) -> Scope:
    """Which documents, years and places a question names. ``mentioned``: the gazetteer places
    the corpus's own text talks about (they are searched, never "not in the library")."""
    q = unicodedata.normalize("NFKC", question)
    jurisdictions = sorted({m.jurisdiction for m in metas.values() if m.jurisdiction})
    held = "、".join(jurisdictions) or "本地"

    # A plan period the corpus does not hold: 十五五规划, 十三五规划.
    for m in _PLAN_NAME.finditer(q):
        start, end = period_years(m.group(1))
        if not holds_period(metas, start, end):
            return Scope(missing=f"文档库中没有“十{m.group(1)}五”时期的规划。")

    # Places. A place in the province(s) the corpus's documents come from, without documents of
    # its own, is searched in their documents; a place elsewhere is not in the library.
    home = corpus_provinces(metas)
    named: list[str] = []
    local: list[str] = []  # places inside the corpus's province, without documents of their own
    for name, pos in place_mentions(q):
        if any(name in other for other in named):
            continue
        named.append(name)
        if any(_of_places(m, (name,)) for m in metas.values()):
            continue
        outside = places()[name] not in home or name.endswith(("省", "自治区"))
        if outside and name not in mentioned and stem(name) not in mentioned:
            # neither in the corpus's province(s) nor named in its documents' text
            return Scope(missing=f"文档库只收录了{held}的文件，没有{name}的相关文件。")
        if _DOC_WORDS.search(q[pos + len(name) :]):
            return Scope(missing=f"文档库只收录了{held}的文件，没有{name}本地的规划或文件。")
        local.append(name)

    # The corpus's own jurisdictions name their documents even when the gazetteer lacks them (长宁区).
    for j in jurisdictions:
        for n in (j, stem(j)):
            pos = q.find(n)
            if len(n) < 2 or pos < 0 or any(n in other or other in n for other in named):
                continue
            if not _FEATURE_AFTER.match(q, pos + len(n)):
                named.append(n)
            break

    docs: list[str] = []
    # a bare name the corpus has as a province (吉林 beside 吉林省 and 吉林市) means the province
    provinces = {stem(m.jurisdiction) for m in metas.values() if m.jurisdiction and m.level == "province"}
    lower_names = [n for n in named if n not in provinces or not re.search(rf"{re.escape(n)}(?!{SUFFIX})", q)]
    place_docs = [
        f
        for f, m in metas.items()
        if m.level != "province" and _of_places(m, lower_names)
    ]
    # the province a named place lies in (吉林市 → 吉林): "省里" beside it means that province, not another
    named_provinces = {p for p in (place_province(n) for n in lower_names) if p}
    province_plans = [
        f for f, m in metas.items()
        if m.level == "province" and m.kind == "five_year_plan"
        and (not named_provinces or place_province(m.jurisdiction or "") in named_provinces)
    ]
    topical = topic_docs(q, metas)
    if topical:
        # the documents whose subject the question names (历史风貌规划, 生态空间规划), of the place it names
        of_place = [f for f in topical if _of_places(metas[f], named)]
        if place_docs:
            place_docs = [f for f in place_docs if f in topical] or place_docs
        else:
            place_docs = of_place or _of_level_word(q, topical, metas) or topical
    periods = [period_years(m.group(1)) for m in PERIOD_RE.finditer(q)]
    if periods and place_docs:
        # 长宁和黄浦的十五五规划: each place's plan of that period, not its other plans
        of_period = [f for f in place_docs if any(_overlaps(metas[f], s, e) for s, e in periods)]
        place_docs = of_period or place_docs
    docs.extend(place_docs)
    # a bare name the corpus has only as a province-level place (北京 beside 北京市's plan, 吉林
    # beside 吉林省's documents) names that place's documents, when nothing else is named: the
    # question states the place plainly, and it does not turn into one over several documents
    # because that place has several
    bare_provinces = [n for n in named if n in provinces and n not in lower_names]
    own_province = [f for f, m in metas.items() if m.level == "province" and _of_places(m, bare_provinces)]
    bare_plan = not named and not topical and re.search(r"(?<!十[一二三四五六七八九]五)规划", q) and not re.search(r"[市县区]", q)
    if _PROVINCE_PLAN.search(q) or bare_plan or (place_docs and re.search(r"全省|省里|省级|省", q.replace("省民政厅", ""))):
        docs.extend(f for f in province_plans if f not in docs)
        if not province_plans and periods:
            # "吉林省十五五规划里…" with no such plan in the corpus: the province's documents of that period
            # (its 2026 government work report sets the 十五五 goals)
            docs.extend(
                f for f, m in metas.items()
                if m.level == "province" and _of_places(m, named) and any(_overlaps(m, a, b) for a, b in periods)
                and f not in docs
            )
    elif place_docs and named and _UPPER_WORDS.search(q):
        # 长宁的…和全市比: the plan the named document implements
        higher = [metas[f].implements for f in place_docs if metas[f].implements in metas]
        docs.extend(f for f in (higher or province_plans) if f and f not in docs)

    # Years: a year with 要点 / 工作报告 (or, with no other document named, a bare year) names that
    # year's annual document (work points, a government work report: a period of one year); a
    # deadline or a year asked about a named plan is a target.
    asked_kind = next((kind for kind, words in _ANNUAL_KINDS.items() if words.search(q)), None)
    annual: dict[int, list[str]] = {}
    for f, meta in metas.items():
        year = annual_year(meta)
        if year is not None and (asked_kind is None or meta.kind == asked_kind):
            annual.setdefault(year, []).append(f)
    targets: list[int] = []
    plan_named = bool(docs)
    annual_named = False
    for year, deadline, pos in question_years(q):
        owned = _annual_of_owner(q[:pos], annual.get(year, []), metas, named, named_provinces)
        if owned and not deadline:  # 省里2026年 / 吉林市2024年: that place's document of that year
            docs.extend(f for f in owned if f not in docs)
            targets.append(year)  # and its sentences about another year (its review of the last) do not answer
            continue
        if deadline or (plan_named and asked_kind is None):
            targets.append(year)
            continue
        found = annual.get(year, [])
        if named:  # the named place's own, when it has one (吉林市2024年 → the city's report)
            found = [f for f in found if _of_places(metas[f], named)] or found
        if found:
            docs.extend(f for f in found if f not in docs)
            annual_named = True
        elif asked_kind:
            what = _ANNUAL_LABELS[asked_kind]
            where = named[0] if named else ""
            years_held = {
                y for y, files in annual.items()
                if not where or any(_of_places(metas[f], (where,)) for f in files)
            }
            have = "、".join(str(y) for y in sorted(years_held))
            return Scope(missing=f"文档库中没有{where}{year}年的{what}（现有：{have or '无'}年）。")
        else:
            targets.append(year)

    if asked_kind and not annual_named and _SERIES.search(q):
        # every year's document of that kind (the named place's, when it has its own)
        series = [f for files in annual.values() for f in files]
        series = [f for f in series if _of_places(metas[f], named)] if named else series
        docs.extend(f for f in series if f not in docs)

    annual_docs = [f for f in docs if annual_year(metas[f]) is not None]
    relative = _RELATIVE_YEAR.search(q)
    if relative and len(annual_docs) == 1:  # "今年" in a 2026 report is 2026; "去年", 2025
        targets.append(annual_year(metas[annual_docs[0]]) + _RELATIVE_OFFSET[relative.group(0)])  # type: ignore[operator]

    gather = len(docs) > 1 or bool(_GATHER.search(q))
    if own_province and not place_docs and not any(f in docs for f in own_province):
        docs.extend(own_province)
        gather = gather or len({metas[f].jurisdiction for f in own_province}) > 1  # 北京和上海
    order = list(metas)
    docs.sort(key=order.index)
    doc_places = sorted(
        {n for j in jurisdictions for n in (j, stem(j)) if len(n) >= 2 and n in q}, key=lambda n: (-len(n), n)
    )
    return Scope(
        docs=tuple(docs),
        gather=gather,
        target_years=tuple(sorted(set(targets))),
        places=tuple(local),
        doc_places=tuple(doc_places),
    )
