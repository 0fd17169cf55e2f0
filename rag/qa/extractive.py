"""The embedded answerer: pick and order the sentences that answer, or decline.

No model and no network: every sentence of the answer is copied from a
retrieved passage, so its wording and its figures are the document's own.

1. The retrieved passages are split into sentences (table rows stay whole).
2. Each sentence gets a *coverage*: the share of the question's content
   words it contains, each word weighted by its inverse document frequency
   in the index (rare words such as 护理型床位 count more than 工作); words
   in the passage's document title and section headings count half.
3. A question that asks for a figure (多少, 比例, 几个 …) is answered only
   by sentences that state one, in the unit asked for (多少张 → 张), and
   not for another year than the one asked about.
4. The best sentence must cover at least ``min_coverage`` of the question,
   or the answer is declined. When the question compares documents or
   years, the best sentence from each document is taken, labelled with its
   document; otherwise the best sentence and the ones close to it.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rag.docs.outline import split_sentences
from rag.docs.periods import PERIOD, PERIOD_RE
from rag.index.tokenize import tokenize
from rag.models import Chunk, Hit
from rag.qa.numbers import count_value, normalize
from rag.qa.scope import Scope, is_place, place_mentions, question_years
from rag.qa.structure import (
    Listing,
    Node,
    TableListing,
    find_listing,
    find_table_listing,
    heading_unit,
    names_document,
    part_reference,
)

# Words that say what kind of answer is wanted, or which document to look in:
# they steer retrieval (rag.qa.scope) but are not content to be matched.
NON_CONTENT = frozenset(
    "多少 哪些 哪几 哪个 哪年 哪里 几个 几项 几类 几倍 什么 怎么 怎么样 如何 是否 分别 具体 主要 "
    "提到 提出 提 提的 做 干 写 要求 规定 说 讲 定 定的 搞 要 达到 需要 能 可以 现在 目前 这几年 这块 这个 那个 "
    "变化 有变化 有啥 一样 不同 区别 对比 比较 相比 吗 呢 还是 高 低 早 晚 又 各 各是 "
    "全省 省里 省级 省 市 规划 要点 工作 工作要点 民政 "
    "年 年度 之 那 这 里 里面 中 后 前 哪 几 几条 有没有 没有 有 到 给 设 出 啥 "
    "进度 进展 提法 说法 演变 历程 一步步 怎么样 情况 一共 共 总共 合计 共有 分 分为 分成 元 张 个 人 户 所 家 名 次 项 条 内容 项目 哪几项 几项 列了 列 包括 包含".split()
)
# Short forms staff use for terms the documents write out in full.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "低保": ("最低生活保障",),
    "特困": ("特困人员", "特困供养"),
    "未保": ("未成年人保护",),
    "福彩": ("福利彩票",),
    "社工": ("社会工作",),
    "社工站": ("社会工作服务站",),
    "残联": ("残疾人联合会",),
    "两项补贴": ("困难残疾人生活补贴", "重度残疾人护理补贴"),
    "GDP": ("地区生产总值", "生产总值"),
    "gdp": ("地区生产总值", "生产总值"),
    "CPI": ("居民消费价格",),
    "失能": ("失能老年人",),
    "老人": ("老年人",),
}
_ASKS_NUMBER = re.compile(r"多少|(?<!哪)几[个项类名人张家所户次倍成岁]|比例|占比|比重|比率|百分|多大|多高|多长|标准是|(?<![这近那前])几年(?!来)")  # 这几年: these years, no figure
_ASKED_UNIT = re.compile(r"(?:多少|几)(万|亿)?(平方米|人次|元|钱|张|个|人|户|所|家|名|次|项|条|座|处)")
# A figure may be counted with another word for the same thing: 多少人 → 1200名.
_UNIT_CLASSES = {
    "人": "人|名|人次",
    "名": "人|名",
    "个": "个|所|家|处|座|项|条|类|名|人",
    "所": "所|个|家",
    "家": "家|个|所",
    "钱": "元",
}
_COUNTED = re.compile(r"[一二两三四五六七八九十百千万]+[个项类名人张家所户次倍成条]")
_HAS_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万]+[个项类名人张家所户次倍成条]|全覆盖|全部|所有|每[个一]")
_YEAR = re.compile(r"(?<!\d)(20\d{2})年")
_ASKS_TIME = re.compile(r"哪天|哪一天|什么时候|什么时间|何时|哪年|哪一年|几月|时间节点|时间表")
_HAS_TIME = re.compile(r"\d{4}年|\d+月|\d+·\d+|年底|年内|月底|期末|末期|以前|之前|前完成|底前|年起")
_ASKS_LIST = re.compile(r"哪些|哪几|包括|包含|有什么|有哪|列了|内容|具体是|是哪|几条|几项|几类|几个方面")
# A token that asks rather than names (哪几个, 多少项, 几大块, 什么样): jieba keeps some whole.
# A count the question gives for its list (五项, 三大, 两个) is not content either: "两项补贴" is.
_QUESTION_WORD = re.compile(
    r"^(?:哪|多少|什么|怎么|如何|几(?:[个项类条大种方块点批处家所名]|$))|^[一二三四五六七八九十两]+[项个大条类]$"
)
# "五项主要任务是什么", "一带一心一城分别指什么": a counted list, asked without 哪些.
_COUNTED_LIST = re.compile(r"[一二三四五六七八九十两\d]+[项个大条类方面部分]+[^？?]{0,12}(?:是什么|分别|指什么|是哪)|分哪|分为哪")
_ASKS_PARTS = re.compile(
    r"(?:分|有|共|包括)?(?:几|多少)(?:个)?(?:小节|节|章|篇|条|项|部分|大部分|个专栏|专栏|项工程|个子项目|子项目|大块|块|方面|大方面|板块|大类)|"
    r"第[一二三四五六七八九十\d]+(?:章|节|部分|篇)(?:讲|是|说|包括|有)|讲(?:了)?什么|都是啥|都有啥"
)
# a list the question names by its count: 七个要义, 三项重点工程, 五大任务
_COUNTED_NAME = re.compile(r"([一二三四五六七八九十两]+)(?:个|项|大|条|种)[\u4e00-\u9fff]{1,6}")
_QUOTED = re.compile(r"[“\"「『]([^”\"」』]+)")
_ITEM = re.compile(r"^(——|0\d(?!\d)[.．]?|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、](?!\d)|[一二三四五六七八九十]+、)")


# What a chosen sentence is part of: a sentence chosen for its coverage; a table's rows or an outline's
# headings (after a sentence that counts them); a section's text; the items of a list.
SentenceRole = Literal["sentence", "table", "listing", "section", "list"]


@dataclass(frozen=True)
class Sentence:
    chunk: Chunk  # the passage it comes from
    start: int  # offset of the sentence inside the passage text
    text: str
    coverage: float
    score: float
    count: int = 0  # how many listed items follow (an outline listing's intro); see rag.models.Claim
    total: int = 0  # how many there are in all, when the items are some of them (a table's 约束性 rows)
    role: SentenceRole = "sentence"  # what it is part of (rag.qa.evidence reads it)


@dataclass(frozen=True)
class Selection:
    """The chosen sentences (in reading order) or, when declined, why."""

    sentences: tuple[Sentence, ...]
    reason: str = ""


def content_terms(question: str, places: Sequence[str] = ()) -> list[str]:
    """The question's words worth matching: no question words, years, place names (``places``
    and the gazetteer's), or plan-period names (十五五 and its pieces 十五, 五五, 五)."""
    periods = [m.group(0) for m in PERIOD_RE.finditer(question)]
    quoted = " ".join(_QUOTED.findall(question))  # “四个优先” is a name
    out = []
    for t in tokenize(question):
        asks = t in NON_CONTENT or bool(_QUESTION_WORD.match(t)) and t not in quoted
        if asks or t.isdigit() or re.fullmatch(r"\d+年?", t) or is_place(t):
            continue
        if any(t in p for p in periods):
            continue
        if any(t in p or p in t for p in places):
            continue
        if t not in out:
            out.append(t)
    for name in instrument_names(question):  # 吉林省慈善条例: one name, not 慈善 + 条例
        if name not in out:
            out.append(name)
    return out


# A law, regulation or standard named in a question: 《吉林省慈善条例》, 养老机构等级评定办法.
_INSTRUMENT = re.compile(r"[\u4e00-\u9fff]{2,12}?(?:条例|办法|规定|细则|规范|管理规定)(?![\u4e00-\u9fff]*[条办规细])")


def instrument_names(question: str) -> list[str]:
    """The names of laws and regulations a question names, without the place they start with
    (吉林省慈善条例 → 慈善条例, which 《吉林慈善条例》 holds too)."""
    out = []
    for m in _INSTRUMENT.finditer(unicodedata.normalize("NFKC", question)):
        name = m.group(0)
        for place, _pos in sorted(place_mentions(name), key=lambda p: p[1]):
            if name.startswith(place):
                name = name[len(place) :]
        name = re.sub(r"^(?:省|市|县|区|国家|全国)", "", name)
        if len(name) >= 4:
            out.append(name)
    return out


def _without_document_names(terms: list[str], scope: Scope, hits: Sequence[Hit]) -> list[str]:
    """The terms less those that only name the documents the question is steered to ("上海生态空间
    规划里绿道…": 空间规划 picked the plan; a sentence about 绿道 need not say it)."""
    titles = {h.chunk.title for h in hits if h.chunk.doc in scope.docs}
    if not titles:
        return terms
    kept = [t for t in terms if not all(names_document(t, title) for title in titles)]
    return kept if kept else terms


# The generic head of a measure ("森林覆盖率", "护理型床位占比"): what it measures is the word before it.
_MEASURE_HEAD = re.compile(r"覆盖率|普及率|利用率|达标率|增长率|增速|占比|比例|比重|面积|数量|总量|密度|长度|指数")


# what is done rather than what is measured: 达标比例, 新建数量, 建设面积 (the thing is further left)
_ACTION = re.compile(r"(?:达标|新建|新增|建设|建成|改造|改建|提升|实施|完成|达到|开放|共享|利用|处理|回收|治理|更新|修缮|培训|供应|覆盖)$")


def measure_modifiers(question: str, terms: Sequence[str], weight: Callable[[str], float]) -> list[tuple[str, str]]:
    """(modifier, head) of each measure the question names with a content word right before a
    generic head: 森林 of 森林覆盖率. A sentence stating another measure of that head does not answer."""
    q = _norm(question)
    out = []
    for m in _MEASURE_HEAD.finditer(q):
        before = q[: m.start()]
        words = [t for t in terms if len(t) >= 2 and not _MEASURE_HEAD.fullmatch(t)
                 and before.endswith(_norm(t)) and not _ACTION.search(t)]
        if words:
            out.append((_norm(max(words, key=len)), m.group(0)))
    return out


def _quoted_name_found(question: str, term: str, hits: Sequence[Hit]) -> bool:
    """Whether a count kept as part of a quoted name (“四个优先”) is the passages' name too; a
    question's own summary (“七个明显”, written nowhere) makes it a count again."""
    names = [q for q in _QUOTED.findall(question) if term in q]
    return any(name in hit.chunk.text for name in names for hit in hits)


def passage_sentences(chunk: Chunk) -> list[tuple[int, str]]:
    """(offset, sentence) pairs of one passage; a table row is one sentence."""
    if chunk.kind == "table_row":
        return [(0, chunk.statement or chunk.text)]
    if chunk.kind == "table":
        return []
    out, pos = [], 0
    for line in chunk.text.split("\n"):
        for s in split_sentences(line):
            if s.strip() and len(s.strip()) > 3:
                out.append((pos + (len(s) - len(s.lstrip())), s.strip()))
            pos += len(s)
        pos += 1
    return out


def coverage(
    terms: Sequence[str], weight: Callable[[str], float], text: str, context: str, context_weight: float = 0.5
) -> float:
    """Weighted share of ``terms`` found in ``text`` (a term only in ``context`` counts half, or
    ``context_weight``)."""
    total = sum(weight(t) for t in terms)
    if total <= 0:
        return 0.0
    text, context = _norm(text), _norm(context)
    got = 0.0
    for t in terms:
        forms = (t, *ABBREVIATIONS.get(t, ()))
        if any(f in text for f in forms):
            got += weight(t)
        elif any(f in context for f in forms):
            got += context_weight * weight(t)
    return got / total


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _norm_same_length(text: str) -> str:
    """NFKC and lower case character by character, keeping offsets (a character that
    would change length, such as …, is kept as it is)."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch).lower()
        out.append(n if len(n) == 1 else ch)
    return "".join(out)


def matched_spans(question: str, text: str) -> list[tuple[int, int]]:
    """Where ``text`` contains the question's content words (or their full forms:
    低保 → 最低生活保障): sorted, merged ``(start, end)`` offsets, for highlighting."""
    hay = _norm_same_length(text)
    spans: list[tuple[int, int]] = []
    for term in content_terms(question):
        for form in (term, *ABBREVIATIONS.get(term, ())):
            if len(form) < 2 and not form.isdigit():
                continue  # a single character (省, 县) would light up half the passage
            start = hay.find(form)
            while start >= 0:
                spans.append((start, start + len(form)))
                start = hay.find(form, start + len(form))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Headings of what was done, not of what is set; and questions that ask about the past.
_PAST_HEADING = re.compile(r"回顾|成就|成效|总结|发展基础|现实基础|十三五|取得|过去")
_ASKS_PAST = re.compile(r"十三五|回顾|去年|上年|已经|完成了|建了|实现了|取得|现状|现在|目前|期间|末是|末达到|末到了")


# The share of the coverage floor a passage needs when the question names its document among others,
# or carries a topic over to it from another document (a follow-up): that document words the topic its own way.
NAMED_DOC_SHARE = 0.8
# The share of the coverage floor a sentence of the first passage retrieved needs when it holds the
# question's most specific word (the rarest in the index): the words it lacks are the asker's own for what
# the text says otherwise ("往什么方向转" / "向…转变"), when they are one or two. Fitted on the dev documents
# (evals/gold.jsonl, evals/external/gold_dev.jsonl, evals/plan15/gold_dev.jsonl), where no unanswerable
# question passes by it.
SPECIFIC_SHARE = 0.8
SPECIFIC_MISSING = 2  # words of the question it may lack (每千名老人拥有…床位数: four missing is another measure)
# Added to the score of a sentence that names a year the question asks about.
YEAR_BONUS = 0.1
# Comparisons across named documents: another document's best sentence is kept at this share of the
# best coverage, and never under this floor (chosen on the change / cross-document questions of evals/gold.jsonl).
GATHER_RATIO = 0.4
GATHER_FLOOR = 0.3
# A section the question points at by its number: 专栏3, 第五章, 第二节, 附件2.
_SECTION_REF = re.compile(r"专栏\s*\d+|第[一二三四五六七八九十\d]+[章节]|附[件表]\s*\d+")


def in_named_section(question: str, section_path: Sequence[str]) -> bool:
    """Whether a passage lies in a section the question names by number ("专栏3…里" and a passage
    under "专栏3 公园提质增效及开放共享工程"): its headings' words are then the question's own
    pointer to the place, and count in full."""
    refs = [re.sub(r"\s+", "", r) for r in _SECTION_REF.findall(question)]
    heads = [re.sub(r"\s+", "", h) for h in section_path]
    return any(re.match(rf"{re.escape(r)}(?!\d)", h) for r in refs for h in heads)


def stated_years(sentence: str, implicit: int | None = None) -> set[int]:
    """The years a sentence speaks for: those it names, else its work points' year."""
    years = {int(y) for y in _YEAR.findall(normalize(sentence))}
    return years or ({implicit} if implicit else set())


def heading_year(section_path: Sequence[str]) -> int | None:
    """The one year the nearest heading with a year speaks for ("一、2023年工作回顾" → 2023), so a
    sentence under it that names no year speaks for that year; None for a range (2026—2030年)."""
    for heading in reversed(section_path):
        years = {int(y) for y in _YEAR.findall(normalize(heading))}
        if len(years) == 1 and not re.search(r"20\d\d\s*年?\s*[-—–~～至到]\s*20\d\d", heading):
            return years.pop()
        if years:
            return None
    return None


_REVIEW_HEADING = re.compile(r"回顾|过去一年|上一年|去年|上年")


def implicit_year(section_path: Sequence[str], doc_year: int | None) -> int | None:
    """The year a sentence that names none speaks for: its heading's (:func:`heading_year`); else,
    in an annual document of ``doc_year``, the year before under a review heading ("一、工作回顾"
    of a 2026 government work report reports on 2025), and ``doc_year`` elsewhere."""
    year = heading_year(section_path)
    if year is not None or doc_year is None:
        return year
    if any(_REVIEW_HEADING.search(h) for h in section_path):
        return doc_year - 1
    return doc_year


def answers_when(sentence: str) -> bool:
    """Whether ``sentence`` states a time (2023年, 6月底前, 年底前, “十四五”末期, 6·19)."""
    return bool(_HAS_TIME.search(normalize(sentence)))


@lru_cache(maxsize=256)
def asked_unit(question: str) -> re.Pattern[str] | None:
    """A figure in the unit the question asks for (多少张 → a number followed by 张), or None when it names none."""
    unit = _ASKED_UNIT.search(normalize(question))
    if not unit:
        return None
    units = f"(?:{unit.group(1)})?" if unit.group(1) else ""
    units += f"(?:{_UNIT_CLASSES.get(unit.group(2), unit.group(2))})"
    # a figure, not the denominator of a rate: "每百张养老机构床位…1名社会工作者" states no count of 张
    return re.compile(rf"(?<![\d.每])\d+(?:\.\d+)?\s*(?:万|亿)?{units}|(?<![每一二两三四五六七八九十百千])[一二两三四五六七八九十百千]+{units}")


def answers_number(
    question: str, sentence: str, target_years: Sequence[int], implicit_year: int | None = None
) -> bool:
    """Whether ``sentence`` can answer a question that asks for a figure.

    It must state a figure, in the unit asked for (多少人 → 人/名), and not
    only for years other than the ones asked about (a work points sentence
    with no year speaks for its own year).
    """
    s = normalize(sentence)
    for own in set(_COUNTED.findall(normalize(question))):
        s = s.replace(own, "")  # the question's own "四项" (“四项”基本收费) is no figure of the answer
    if not _HAS_NUMBER.search(s):
        return False
    unit = asked_unit(question)
    if unit and not unit.search(s):
        return False
    years = stated_years(s, implicit_year)
    return not (target_years and years and not years & set(target_years))


_TIME_MARK = re.compile(rf"(?:20)?\d{{2}}\s*年|{PERIOD}")
_NAMES_PLAN = re.compile(r"规划(?:里|中|里面|上|的)?$")  # "…十五五规划里，": a half that only names the plan
_PLAN_PERIOD = re.compile(rf"[“\"]?{PERIOD}[”\"]?(?:时期)?(?:的)?(?=[\u4e00-\u9fff]{{0,8}}规划)")
_ASKS_ONLY = frozenset("目标 计划 安排 情况 完成 预期 增长 提高 实现 达到 多少 末 期末 年底 年末 底".split())


def sub_questions(question: str) -> list[str]:
    """"火化率十四五末要达到多少？十三五末是多少？" → two questions, answered one by one; so is
    "吉林粮食产量2025年多少，2026年目标" (each side of the comma names its own time). A part that
    names no subject of its own is asked about the first part's: "火化率十三五末是多少"."""
    parts: list[str] = []
    for part in re.split(r"[？?！!；;]", question):
        parts.extend(_time_halves(part.strip()))
    parts = [p for p in parts if len(p) >= 4]
    if not parts:
        return [question]
    first = _TIME_MARK.search(parts[0])
    topic = parts[0][: first.start()].strip() if first else ""
    out = [parts[0]]
    for part in parts[1:]:
        own = [t for t in content_terms(part) if t not in _ASKS_ONLY]
        out.append(topic + part if topic and not own else part)
    return out


def _time_halves(part: str) -> list[str]:
    """The sides of a comma when each names a time of its own, else the part whole. A half that only
    names a plan by its period ("黄浦区生态空间十五五规划里，…") names the document, not a time."""
    halves = [h.strip() for h in re.split(r"[，,]", part) if h.strip()]
    if len(halves) < 2 or not all(_TIME_MARK.search(_PLAN_PERIOD.sub("", h) if _NAMES_PLAN.search(h) else h) for h in halves):
        return [part]
    return halves


def named_years(question: str) -> tuple[int, ...]:
    """The years a question (or a part of one) names: 2025年, 25年 (as :mod:`rag.qa.scope` reads them)."""
    return tuple(sorted({year for year, _deadline, _pos in question_years(normalize(question))}))


def list_items(text: str) -> list[tuple[int, str]]:
    """(offset, first sentence) of each item line in a passage: ——, 01, （一）, 1., 一、 starts."""
    out, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        if _ITEM.match(stripped):
            first = re.split(r"(?<=[。：:；;])", stripped, maxsplit=1)[0]
            out.append((pos + line.index(stripped[0]), first))
        pos += len(line) + 1
    return out


MAX_RUN_IN = 20  # characters of a paragraph's title sentence, its end mark included


def run_in_titles(text: str) -> list[tuple[int, str]]:
    """(offset, title) of each paragraph of a passage that opens with a title sentence: a short
    sentence without commas ("加强就业岗位挖潜扩容。深入实施…", "5.1整合完善养老服务体系。"), which is how
    plans name the items of a section that has no sub-headings."""
    out, pos = [], 0
    for line in text.split("\n"):
        stripped = line.strip()
        m = re.match(r"[^。！？；;，,、：:]{3,}。", stripped)
        if m and len(m.group(0)) <= MAX_RUN_IN and not _ITEM.match(stripped):
            out.append((pos + line.index(stripped[0]), m.group(0)))
        pos += len(line) + 1
    return out


def select(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    weight: Callable[[str], float],
    min_coverage: float = 0.5,
    keep_ratio: float = 0.8,
    max_sentences: int = 4,
    following: Callable[[Chunk], list[Chunk]] = lambda c: [],
    box_of: Callable[[Chunk], Chunk | None] = lambda c: None,
    doc_years: Mapping[str, int] | None = None,
    outlines: Mapping[str, Node] | None = None,
    rows_of: Callable[[Chunk], list[Chunk]] = lambda c: [],
    carried: bool = False,
) -> Selection:
    """The sentences that answer ``question`` from ``hits``, or none and a reason.

    ``following(chunk)`` gives the passages after ``chunk`` in the same
    section, where a list introduced at a passage's end ("坚持以下原则：")
    continues; ``box_of(chunk)`` the whole 专栏 a passage belongs to;
    ``doc_years`` the year of each annual document (work points), which its
    sentences speak for when they name none; ``outlines`` each document's
    section tree (:func:`rag.qa.structure.outlines`), which answers questions
    about a plan's structure; ``rows_of(chunk)`` every row of the table a passage
    belongs to, which answers questions about a table's indicators as a set;
    ``carried``: the question's topic comes from a conversation about another document
    (:class:`rag.qa.followup.Standalone`), in that document's words: it needs
    :data:`NAMED_DOC_SHARE` of ``min_coverage``, as a question naming several documents does.
    """
    if carried:
        min_coverage *= NAMED_DOC_SHARE
    if not scope.several:  # a table's indicators: the question whole ("一共几项？哪些是约束性")
        terms = _without_document_names(content_terms(question, scope.places + scope.doc_places), scope, hits)
        table = find_table_listing(question, terms, weight, [h.chunk for h in hits], rows_of, min_coverage)
        if table:
            return Selection(table_sentences(table))
    chosen: list[Sentence] = []
    reason = ""
    parts = sub_questions(question)
    for part in parts:
        years = named_years(part) if len(parts) > 1 else ()
        part_scope = dataclasses.replace(scope, target_years=years) if years else scope
        sel = _select_one(
            part, hits, part_scope, weight, min_coverage, keep_ratio, max_sentences, following, box_of,
            doc_years or {}, outlines or {}, rows_of, carried,
        )
        reason = reason or sel.reason
        have = {(c.chunk.chunk_id, c.start) for c in chosen}
        chosen.extend(c for c in sel.sentences if (c.chunk.chunk_id, c.start) not in have)
    return Selection(tuple(chosen), "" if chosen else reason)


def _select_one(
    question: str,
    hits: Sequence[Hit],
    scope: Scope,
    weight: Callable[[str], float],
    min_coverage: float,
    keep_ratio: float,
    max_sentences: int,
    following: Callable[[Chunk], list[Chunk]],
    box_of: Callable[[Chunk], Chunk | None],
    doc_years: Mapping[str, int],
    outlines: Mapping[str, Node],
    rows_of: Callable[[Chunk], list[Chunk]] = lambda c: [],
    carried: bool = False,
) -> Selection:
    terms = content_terms(question, scope.places + scope.doc_places)
    terms = [t for t in terms if not _QUESTION_WORD.match(t) or _quoted_name_found(question, t, hits)]
    terms = _without_document_names(terms, scope, hits)
    if not terms or sum(weight(t) for t in terms) <= 0:
        # "纲要一共分几篇？": nothing to match in a sentence, but the outline answers
        asks = _ASKS_PARTS.search(question) or _ASKS_LIST.search(question)
        listing = _outline_listing(question, terms, hits, scope, weight, outlines, min_coverage, following) if asks else ()
        return Selection(listing) if listing else Selection((), "问题中没有可以检索的内容词。")
    wants_number = bool(_ASKS_NUMBER.search(question))
    wants_time = bool(_ASKS_TIME.search(question))
    wants_target = bool(re.search(r"目标|标准|要求|指标", question))
    # a target question ("…目标是多少", "到2025年要达到…") is not answered by a past achievement
    forward = (
        wants_target and wants_number and not _ASKS_PAST.search(question)
        and all(deadline for _year, deadline, _pos in question_years(normalize(question)))  # "2020年…标准": that year's
    )
    seen: set[str] = set()
    cands: list[Sentence] = []
    for i, hit in enumerate(hits):
        context = hit.chunk.title + " " + " ".join(hit.chunk.section_path)
        named_here = in_named_section(question, hit.chunk.section_path)
        for start, text in passage_sentences(hit.chunk):
            key = hit.chunk.doc + re.sub(r"\s+", "", text)  # the same sentence in two plans is two facts
            if key in seen:
                continue
            seen.add(key)
            if scope.places and not any(p in text for p in scope.places):
                continue  # a question about 延吉 is answered by sentences about 延吉
            implicit = implicit_year(hit.chunk.section_path, doc_years.get(hit.chunk.doc))
            if wants_number and not answers_number(question, text, scope.target_years, implicit):
                continue
            if wants_time and not answers_when(text):
                continue
            if forward and any(_PAST_HEADING.search(h) for h in hit.chunk.section_path):
                continue  # 十三五 achievements, 发展基础, 工作回顾: what was done, not what is set
            cov = coverage(terms, weight, text, context, 1.0 if named_here else 0.5)
            rank_bonus = 0.1 * (1.0 - i / max(len(hits), 1))
            number_bonus = 0.05 if wants_target and re.search(r"\d", text) else 0.0
            # a sentence that names the year asked about ("…到2020年提高到每人每月560元") over one that does not
            year_bonus = YEAR_BONUS if scope.target_years and stated_years(text) & set(scope.target_years) else 0.0
            cands.append(Sentence(hit.chunk, start, text, cov, cov + rank_bonus + number_bonus + year_bonus))
    # Passages from a document the question names need a little less evidence.
    floor = min_coverage * (NAMED_DOC_SHARE if scope.several else 1.0)
    asks_list = bool(_ASKS_LIST.search(question) or _COUNTED_LIST.search(question))
    asks_parts = bool(_ASKS_PARTS.search(question))  # "分几节，都是啥", "第五章讲什么": the outline answers
    if _ASKS_BODY.search(question) and not scope.several and outlines:  # "第8条具体要求啥": that section's text
        body = _section_body(question, hits, outlines, following)
        if body:
            return Selection(body)
    if asks_list and not wants_number or asks_parts:
        listing = _outline_listing(question, terms, hits, scope, weight, outlines, floor, following)
        if listing:
            return Selection(listing)
    if (asks_list and not wants_number or asks_parts) and not scope.several:
        named = [t for t in terms if not part_reference(t)] or terms  # 这节, 下面: they name no part
        listed = _list_answer(hits, named, weight, floor, following, box_of, question)
        if listed:
            return Selection(tuple(listed))
    specific = max(terms, key=weight)
    first = hits[0].chunk.chunk_id
    words = [t for t in terms if weight(t) > 0 and not any(t != u and t in u for u in terms)]  # 床位数, not 位数

    def enough(c: Sentence) -> bool:
        if c.coverage >= floor:
            return True
        text = _norm(c.text)
        relieved = c.chunk.chunk_id == first and _norm(specific) in text
        missing = [t for t in words if _norm(t) not in text]
        return relieved and len(missing) <= SPECIFIC_MISSING and c.coverage >= SPECIFIC_SHARE * floor

    good = sorted((c for c in cands if enough(c)), key=lambda c: -c.score)
    if not good:
        return Selection((), "检索到的段落没有直接回答这个问题。")
    for modifier, head in [] if carried else measure_modifiers(question, terms, weight):
        # "森林覆盖率": a sentence about 轨交站点覆盖率 is about another measure
        forms = [_norm(f) for f in (modifier, *ABBREVIATIONS.get(modifier, ()))]
        good = [c for c in good if any(f in _norm(c.text + " " + " ".join(c.chunk.section_path)) for f in forms)]
        if not good:
            return Selection((), f"检索到的段落没有说到“{modifier}{head}”。")
    if scope.gather:  # the best sentence of each document, and any close to it
        per_doc: dict[str, list[Sentence]] = {}
        if len(scope.docs) > 1:
            # a document the question names speaks of the topic in its own words (this year's 进展 is
            # not last year's 目标): its best sentence is kept when close to the best of any document
            lead = good[0].coverage
            for doc in scope.docs:
                if any(c.chunk.doc == doc for c in good):
                    continue
                own = sorted((c for c in cands if c.chunk.doc == doc), key=lambda c: -c.score)
                if own and own[0].coverage >= max(GATHER_FLOOR, GATHER_RATIO * lead):
                    good.append(own[0])
        for c in good:
            top = per_doc.setdefault(c.chunk.doc, [])
            if not top or (len(top) < 2 and c.score >= 0.9 * top[0].score):
                top.append(c)
        firsts = sorted(per_doc.values(), key=lambda v: -v[0].score)
        return Selection(tuple(c for v in firsts[:max_sentences] for c in v))
    best = good[0]
    chosen = [c for c in good if c.score >= keep_ratio * best.score][:max_sentences]
    return Selection(tuple(chosen))


def _outline_listing(
    question: str, terms: Sequence[str], hits: Sequence[Hit], scope: Scope, weight: Callable[[str], float],
    outlines: Mapping[str, Node], floor: float, following: Callable[[Chunk], list[Chunk]],
) -> tuple[Sentence, ...]:
    """The headings of the outline that answer a question about a document's parts, or none."""
    if scope.several or not outlines:
        return ()
    docs = list(scope.docs) or list(dict.fromkeys(h.chunk.doc for h in hits[:3]))
    listing = find_listing(question, terms, weight, docs, dict(outlines), floor)
    return listing_sentences(listing, following) if listing else ()


# A question about what a section says: "推进农村养老服务具体要求啥", "专栏3讲了什么".
_ASKS_BODY = re.compile(
    r"具体(?:内容|要求|要做|做|说|讲|是|有|安排|部署|措施)|(?:讲|说|写)了?(?:什么|啥|哪些)|要求(?:啥|什么)|什么内容|主要内容"
)
_HEADING_NUMBER = re.compile(
    r"^(?:第[\d一二三四五六七八九十百]+[章节部篇条]分?|[一二三四五六七八九十]+、|[（(][\d一二三四五六七八九十]+[）)]|\d+[.．、]|0\d|专栏\s*\d+)\s*"
)
BODY_SENTENCES = 8  # at most, of a section's text


def _section_body(
    question: str, hits: Sequence[Hit], outlines: Mapping[str, Node], following: Callable[[Chunk], list[Chunk]]
) -> tuple[Sentence, ...]:
    """The text of the section without sub-sections that the question names by its heading's
    words ("推进农村养老服务") or number (专栏3), among the first passages retrieved: its sentences
    in order, the heading itself left out."""
    q = _norm(re.sub(r"\s+", "", question))
    for hit in hits[:3]:
        path = hit.chunk.section_path
        if not path:
            continue
        heading = re.sub(r"\s+", "", path[-1])
        title = _norm(_HEADING_NUMBER.sub("", heading).rstrip("。；：:"))
        if not (len(title) >= 4 and title in q or in_named_section(question, path[-1:])):
            continue
        node = next((n for n in outlines[hit.chunk.doc].walk() if n.path == tuple(path)), None) if hit.chunk.doc in outlines else None
        if node is None or node.children or node.first is None:
            continue
        out: list[Sentence] = []
        for chunk in [node.first, *following(node.first)]:
            for start, text in passage_sentences(chunk):
                if _norm(re.sub(r"\s+", "", text)).rstrip("。；：:") in (_norm(heading).rstrip("。；：:"), title):
                    continue  # the heading, run in at the start of its text
                out.append(Sentence(chunk, start, text, 1.0, 1.0, role="section"))
        if out:
            return tuple(out[:BODY_SENTENCES])
    return ()


def listing_sentences(
    listing: Listing, following: Callable[[Chunk], list[Chunk]] = lambda c: []
) -> tuple[Sentence, ...]:
    """A listing of headings as sentences: the section they belong to ("“四、主要任务”包括6项："),
    the sentence of its own text that states the count, if any ("重点做好八个方面工作"), then each
    heading, cited to the first passage of its section."""
    items = [node for node in listing.items if node.first is not None]
    if not items:
        return ()
    n, unit = len(items), _count_unit(items)
    cov = listing.coverage
    out = []
    if listing.parent is not None and listing.parent.first is not None:
        head = listing.parent.first
        out.append(Sentence(head, -1, f"“{listing.parent.heading}”包括{n}{unit}：", cov, cov, count=n, role="listing"))
        if tuple(head.section_path) == listing.parent.path:  # the section's own words for the count
            own = [head, *following(head)]
            out.extend(
                Sentence(c, start, text, cov, cov, role="listing") for c in own for start, text in passage_sentences(c)
                if any(count_value(m.group(1)) == n for m in _STATED_COUNT.finditer(text))
            )
    else:  # the whole plan's 专栏, chapters or tasks: the count is the plan's
        first = items[0].first
        assert first is not None
        out.append(Sentence(first, -1, f"《{first.title}》共有{n}{unit}：", cov, cov, count=n, role="listing"))
    out.extend(Sentence(node.first, 0, node.heading, cov, cov, role="listing") for node in items if node.first is not None)
    return tuple(out)


def table_sentences(table: TableListing) -> tuple[Sentence, ...]:
    """A table's rows as sentences, after one that counts them ("“…主要发展指标”共有15项指标：",
    "“…”的15项指标中，约束性指标5项："), cited to the first row."""
    n = len(table.rows)
    caption = table.caption if "“" in table.caption else f"“{table.caption}”"
    what = "" if table.caption.endswith("指标") else "指标"
    if table.category:  # 分哪几类: each value of the column, cited to its first row
        intro = f"{caption}的{table.total}项{what}按{table.category}分为{n}类："
        out = [Sentence(table.rows[0], -1, intro, 1.0, 1.0, count=n, total=table.total, role="table")]
        out.extend(Sentence(row, 0, _cell_value(row, table.category), 1.0, 1.0, role="table") for row in table.rows)
        return tuple(out)
    if table.attribute in ("约束性", "预期性"):
        intro = f"{caption}的{table.total}项{what}中，{table.attribute}指标{n}项："
    elif table.attribute:  # a category: 指标类别为生态低碳安全
        intro = f"{caption}的{table.total}项{what}中，{table.attribute}的{n}项："
    else:
        intro = f"{caption}共有{n}项{what}："
    out = [Sentence(table.rows[0], -1, intro, 1.0, 1.0, count=n, total=table.total, role="table")]
    out.extend(Sentence(row, 0, row.statement or row.text, 1.0, 1.0, role="table") for row in table.rows)
    return tuple(out)


def _cell_value(row: Chunk, key: str) -> str:
    """The cell of column ``key`` of a table row (指标类别 → 发展规模)."""
    return next((value for k, value in row.row_cells() if k == key), row.text)


_STATED_COUNT = re.compile(r"([一二三四五六七八九十两]+|\d+)(?:个方面|个|项|大|条|方面|部分|类)")
_COUNT_UNITS = {"zhuanlan": "个专栏", "chapter": "章", "section": "节", "part": "部分", "annex": "个附件"}


def _count_unit(items: Sequence[Node]) -> str:
    """How a listing counts its items: 6节, 8个专栏, 5章, else 5项."""
    units = {heading_unit(node.heading) for node in items}
    if len(units) == 1 and "" not in units:  # the headings' own unit: 第一篇 … 第十五篇 → 15篇
        return units.pop()
    kinds = {node.kind for node in items}
    kind = kinds.pop() if len(kinds) == 1 else None
    return _COUNT_UNITS.get(kind or "", "项")


def _names_list(counted: re.Match[str], line: str) -> bool:
    """Whether ``line`` names the counted list of a question: its count and at least two more
    characters of it ("七个要义是哪些" and "…聚焦七个要义，…")."""
    name, least = counted.group(0), len(counted.group(1)) + 3
    return any(name[:k] in line for k in range(len(name), least - 1, -1))


def _list_answer(
    hits: Sequence[Hit],
    terms: Sequence[str],
    weight: Callable[[str], float],
    floor: float,
    following: Callable[[Chunk], list[Chunk]],
    box_of: Callable[[Chunk], Chunk | None],
    question: str = "",
) -> list[Sentence]:
    """The items of the first passage among the top hits that lists what the question asks for.

    A passage qualifies when its headings (or the sentence that introduces
    the list) cover the question; its item lines (01 …, ——…, （一）…) are the
    answer, one sentence each. A list introduced at the end of a passage is
    read on from the passages that follow it in the same section. A list the question names by its
    count ("七个要义是哪些") is the items after the sentence that names it ("具体要聚焦七个要义，…。").
    """
    counted = _COUNTED_NAME.search(question)
    for rank, hit in enumerate(hits[:5]):
        chunk = hit.chunk
        if chunk.kind in ("table", "table_row"):
            continue
        if chunk.kind != "box" and any(p.startswith("专栏") for p in chunk.section_path):
            chunk = box_of(chunk) or chunk  # an item of a 专栏: the list is the whole box
        heading = chunk.title + " " + " ".join(chunk.section_path)
        items = [(chunk, o, t) for o, t in list_items(chunk.text)]
        intro = ""
        lines = [ln for ln in chunk.text.split("\n") if ln.strip()]
        named = next((ln.strip() for ln in lines if counted and _names_list(counted, ln)), "")
        for ln in lines:
            if ln.rstrip().endswith(("：", ":")):
                intro = ln.strip()
        if named and counted:  # the items after the sentence that names the list, as many as it says
            intro, at = named, chunk.text.find(named)
            items = [(c, o, t) for c, o, t in items if o > at]
            for nxt in following(chunk)[:4]:
                items.extend((nxt, o, t) for o, t in list_items(nxt.text))
            items = items[: count_value(counted.group(1)) or len(items)]
        elif intro and len(items) < 2:
            for nxt in following(chunk)[:4]:
                items.extend((nxt, o, t) for o, t in list_items(nxt.text))
        elif items and lines and _ITEM.match(lines[-1].strip()):  # the list runs on past the passage's end
            for nxt in following(chunk)[:4]:
                more = list_items(nxt.text)
                if not more or more[0][0] > len(nxt.text) - len(nxt.text.lstrip()):
                    break
                items.extend((nxt, o, t) for o, t in more)
        if len(items) < 2 and not intro and chunk.kind == "text":  # paragraphs that open with their title
            items = [(c, o, t) for c in (chunk, *following(chunk)[:6]) for o, t in run_in_titles(c.text)]
        if len(items) < 2:
            continue
        cov = max(coverage(terms, weight, heading, ""), coverage(terms, weight, intro, heading) if intro else 0.0)
        if cov < floor:
            continue
        out = []
        if intro:
            out.append(Sentence(chunk, chunk.text.find(intro), intro, cov, cov, role="list"))
        seen = set()
        for c, o, t in items[:12]:
            if t not in seen:
                seen.add(t)
                out.append(Sentence(c, o, t, cov, cov - 0.01 * rank, role="list"))
        return out
    return []


def idf_weights(doc_freq: Callable[[str], int], n_docs: int) -> Callable[[str], float]:
    """BM25's idf: log(1 + (N - df + 0.5) / (df + 0.5)).

    A word the index has never seen weighs as the rarest (df = 1) when it is
    three characters or longer, a real term the corpus lacks, and nothing
    when shorter: a fragment jieba cut from a spoken question. An unseen word
    in Latin letters weighs nothing either: in a mixed-script question
    ("护理型床位占比 target is?") it is a gloss or filler no Chinese passage can hold.
    """

    def weight(term: str) -> float:
        df = doc_freq(term)
        if df == 0 and (len(term) <= 2 or term.isascii() and term.isalpha()):
            return 0.0  # jieba debris from spoken questions (哪出, 要配) or English words: match nothing anywhere
        return math.log(1.0 + (n_docs - max(df, 1) + 0.5) / (max(df, 1) + 0.5))

    return weight
