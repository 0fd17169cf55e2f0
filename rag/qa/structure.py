"""Answers from a document's outline: what a plan's 专栏 are, what a section is made of.

"上海十五五生态空间规划的主要任务分哪几大块", "长宁规划的五项主要任务是什么", "有哪几个专栏":
the answer is a list of headings, and a retrieval guess (the passage that happens to
score best) gets it wrong; the outline has it exactly. The outline is read back from the
index itself: every chunk carries its section path, in reading order, so each document's
section tree (and the first passage of each section, which its heading is cited to) is
there without re-reading any file.

- A question whose focal words (its content words less those of the document's title)
  are covered by a section heading with sub-sections is answered with those
  sub-sections' headings, in order: "（二）基本原则" → its items, "四、主要任务" → （一）…（五）.
- A question about the 专栏 of a plan, naming none of them, lists every 专栏.
- A question about the main tasks of a plan with no heading of that name lists the
  plan's task chapters: its top-level sections less the framing ones (基础, 形势, 目标,
  指导思想, 保障措施, 附件 …), which is how Chinese plans are laid out.
- A question about the plan's chapters or structure lists its top-level sections.
- A question about a table's indicators ("主要发展指标一共几项？哪些是约束性指标？") lists the
  table's rows, all of them (not the retrieved few), or those of the attribute it names.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from rag.docs.outline import heading_kind
from rag.index.tokenize import tokenize
from rag.models import Chunk
from rag.qa.numbers import count_value
from rag.qa.scope import short_forms

# Focal words that ask for the plan's tasks as a whole, or for its structure.
_TASK_WORDS = frozenset("任务 主要任务 重点任务 大块 板块 块 方面 几大块 几大".split())
_STRUCTURE_WORDS = frozenset("章 章节 部分 大部分 几部分 几大部分 结构 框架 目录 篇章 内容 几章 篇".split())
# Top-level sections that frame a plan rather than set its tasks.
_FRAMING = re.compile(
    r"基础|形势|环境|回顾|总结|成效|现状|背景|前言|序言|概述|总体思路|总体要求|指导思想|基本原则|原则|目标|愿景|保障|实施|组织领导|"
    r"附[件表录]|名词解释|说明"
)
# Words that say a question is about structure (parts, items), not what the part is about.
_ITEM_WORDS = frozenset("部分 大部分 几部分 条 几条 项 几项 节 几节 章 子项目 子项 分项 项目 工程 内容 都是 是啥 讲 讲什么".split())
# A word that points at a part of the document by its kind rather than naming it: 那篇, 这一章, 几节,
# 哪几个小节, 那一部分里, 下面 (a determiner or count, the kind of part, where in it). The question's
# other words name the part; these only say that it asks about parts.
_PART_KIND = r"(?:篇|章|节|小节|部分|大部分|板块|大块|块|方面|条|项)"
_PART_REFERENCE = re.compile(
    rf"^(?:[这那哪几每各该本此]|最后|[一二三四五六七八九十两]|第[一二三四五六七八九十\d]+)*(?:个|一)?{_PART_KIND}?"
    r"(?:里|中|内|下|之中|当中|里面|下面|后面|上面|前面|里头)?$"
)


def part_reference(term: str) -> bool:
    """Whether a question's word points at a part of the document by its kind or place (那篇里,
    几个小节, 下面) rather than naming what the part is about."""
    return len(term) >= 2 and bool(_PART_REFERENCE.match(term)) and bool(re.search(rf"{_PART_KIND}|[里中内下面后前]$", term))


# A section the question names by number: 第五章, 第二节, 第一部分 (the work points' 一、), 专栏3, 附件2.
_SECTION_REF = re.compile(r"第([一二三四五六七八九十\d]+)(章|节|部分|篇)|专栏\s*(\d+)|附件\s*(\d+)")
_ASKS_BOXES = re.compile(r"专栏")
_NAMES_BOX = re.compile(r"专栏\s*[\d一二三四五六七八九十]+")


@dataclass
class Node:
    """A section of one document as the index sees it."""

    heading: str
    path: tuple[str, ...]
    first: Chunk | None = None  # the first passage in the section or under it
    children: list[Node] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        return heading_kind(self.heading)

    def walk(self) -> Iterable[Node]:
        for child in self.children:
            yield child
            yield from child.walk()


def outlines(chunks: Iterable[Chunk]) -> dict[str, Node]:
    """Each document's section tree, rebuilt from its chunks' section paths (in index order)."""
    roots: dict[str, Node] = {}
    nodes: dict[tuple[str, tuple[str, ...]], Node] = {}
    for chunk in chunks:
        root = roots.get(chunk.doc)
        if root is None:
            root = roots[chunk.doc] = Node(chunk.title, ())
        if root.first is None:
            root.first = chunk
        parent = root
        for depth in range(1, len(chunk.section_path) + 1):
            path = tuple(chunk.section_path[:depth])
            node = nodes.get((chunk.doc, path))
            if node is None:
                node = nodes[(chunk.doc, path)] = Node(path[-1], path, chunk)
                parent.children.append(node)
            parent = node
    return roots


@dataclass(frozen=True)
class Listing:
    """Headings that answer a question: the section they belong to (None: the whole plan)."""

    doc: str
    parent: Node | None
    items: tuple[Node, ...]
    coverage: float


def find_listing(
    question: str,
    terms: Sequence[str],
    weight: Callable[[str], float],
    docs: Sequence[str],
    trees: dict[str, Node],
    floor: float,
) -> Listing | None:
    """The headings that answer a list question about the outline of one of ``docs`` (in order of
    preference), or None when the outline does not answer it."""
    best: Listing | None = None
    for doc in docs:
        root = trees.get(doc)
        if root is None:
            continue
        listing = _listing_in(question, terms, weight, doc, root, floor)
        if listing and (best is None or listing.coverage > best.coverage):
            best = listing
    return _of_asked_unit(question, best) if best else None


# the unit a numbered heading counts in: 第三篇 → 篇, 第一部分 → 部分, 第五章 → 章
_HEADING_UNIT = re.compile(r"^第[一二三四五六七八九十百零〇\d]+(篇|部分|章|节)")


def heading_unit(heading: str) -> str:
    """The unit of a numbered heading (篇, 部分, 章, 节), or "" for another kind of heading."""
    m = _HEADING_UNIT.match(_norm(heading))
    return m.group(1) if m else ""


def _of_asked_unit(question: str, listing: Listing) -> Listing:
    """"一共分几篇": the listed headings of that unit, where at least two are (an 附表 beside the 篇 is
    not one of them); the listing as it is otherwise."""
    units = {heading_unit(n.heading) for n in listing.items} - {""}
    asked = [u for u in units if re.search(rf"(?:几|多少|哪几|哪些|个)(?:个)?{u}|{u}(?:数|有几)", question)]
    if len(asked) != 1:
        return listing
    kept = tuple(n for n in listing.items if heading_unit(n.heading) == asked[0])
    return dataclasses.replace(listing, items=kept) if len(kept) >= 2 else listing


def _listing_in(
    question: str, terms: Sequence[str], weight: Callable[[str], float], doc: str, root: Node, floor: float
) -> Listing | None:
    title_words = set(tokenize(root.heading))
    focal = [t for t in terms if not _in_title(t, root.heading, title_words)]
    if _SECTION_REF.search(question):  # "第五章讲什么", "专栏3里有哪几项工程": that section's parts, if any
        named = _named_section(question, root)
        if named is None or len(named.children) < 2:
            return None
        # named by its words too ("专栏3 养老服务保障及提升工程"): the heading must hold them (another
        # plan's 专栏3 is another 专栏)
        refs = "".join(m.group(0) for m in _SECTION_REF.finditer(question))
        words = [t for t in focal if t not in _ITEM_WORDS and t not in refs and weight(t) > 0]
        total = sum(weight(t) for t in words)
        cov = sum(weight(t) for t in words if t in _norm(named.heading)) / total if total else 1.0
        return Listing(doc, named, tuple(named.children), cov) if cov >= floor / 2 else None
    top = [n for n in root.children if n.heading != "印发通知"]
    if len(top) == 1 and len(top[0].children) >= 2 and top[0].kind is None:
        top = top[0].children  # everything under one heading (the plan's title repeated)
    if _ASKS_BOXES.search(question) and not _NAMES_BOX.search(question):
        rest = [t for t in focal if "专栏" not in t and t not in _TASK_WORDS and t not in ("工程", "项目")]
        boxes = tuple(n for n in root.walk() if n.kind == "zhuanlan")
        if len(boxes) >= 2 and not rest:
            return Listing(doc, None, boxes, 1.0)
        focal = [t for t in focal if "专栏" not in t]  # 专栏 alone names no section
    # a section the question names by its title, word for word ("2026年工作安排重点做几个方面"): its parts
    q = _norm(question)
    titled = [n for n in root.walk() if len(n.children) >= 2 and len(_title(n.heading)) >= 6 and _title(n.heading) in q]
    if titled:
        node = max(titled, key=lambda n: len(_title(n.heading)))
        # "共享发展成果那篇里，公共服务供给那一章…": the rest of the words may name a section inside it
        rest = [t for t in focal if t not in _ITEM_WORDS and not part_reference(t) and t not in _title(node.heading)]
        total = sum(weight(t) for t in rest)
        inner = [
            (sum(weight(t) for t in rest if t in _norm(n.heading)) / total, n)
            for n in node.walk() if total and len(n.children) >= 2
        ]
        cov, best = max(inner, key=lambda c: c[0], default=(0.0, node))
        node = best if cov >= floor else node
        return Listing(doc, node, tuple(node.children), 1.0)
    # a section the question names by its heading: its sub-sections
    # "养老那部分有哪几条", "共享发展成果那篇里…分哪几节": a section with parts
    asks_parts = any(t in _ITEM_WORDS or part_reference(t) for t in focal)
    focal = [t for t in focal if t not in _ITEM_WORDS and not part_reference(t)] or focal
    total = sum(weight(t) for t in focal)
    if total > 0:
        count = stated_count(question)
        scored = []
        for node in root.walk():
            if asks_parts and len(node.children) < 2:
                continue
            heading = _norm(node.heading)
            own = sum(weight(t) for t in focal if t in heading)
            if not own:
                continue
            # the words may name the section and the sections above it ("共享发展成果那篇里，公共服务
            # 供给那一章"): its path covers them, its own heading holds some
            path = _norm("".join(node.path[:-1]))
            got = sum(weight(t) for t in focal if t in heading or t in path)
            if count and len(node.children) == count:
                got = max(got, 0.75 * total)  # "五项主要任务" and a 主要任务 of five: the count confirms it
            # ties: the heading that holds most of the words itself, the heading the question quotes (主要任务,
            # not 重点任务), one with parts, the shortest (（二）基本原则 over 三、指导思想、基本原则和…)
            rank = (own, _title(node.heading) in q, len(node.children) >= 2, -len(_HEAD_NUMBER.sub("", heading)))
            scored.append((got / total, rank, node))
        if scored:
            cov, _, node = max(scored, key=lambda s: (s[0], s[1]))
            if cov >= floor:
                # a heading with no sub-sections: its items are lines of text, not headings (rag.qa.extractive)
                return Listing(doc, node, tuple(node.children), cov) if len(node.children) >= 2 else None
        if asks_parts:  # "养老那部分": the part whose sub-headings speak of 养老, though its own heading does not
            parts = []
            for node in root.walk():
                held = [c for c in node.children if sum(weight(t) for t in focal if t in _norm(c.heading)) >= floor * total]
                if len(node.children) >= 2 and len(held) >= 2 and 3 * len(held) >= len(node.children):
                    parts.append((len(held), -len(node.path), node))
            if parts:
                _, _, node = max(parts, key=lambda p: (p[0], p[1]))
                return Listing(doc, node, tuple(node.children), floor)
    if focal and all(t in _TASK_WORDS for t in focal):
        tasks = tuple(n for n in top if not _FRAMING.search(n.heading) and n.kind not in ("annex", "zhuanlan"))
        if len(tasks) >= 2:
            return Listing(doc, None, tasks, 1.0)
        # every chapter frames (前言, 形势, 目标, 保障): the tasks are the plan's largest set of sub-sections
        groups = [n for n in root.walk() if n.heading != "印发通知" and n.kind != "zhuanlan" and len(n.children) >= 3]
        if groups:
            biggest = max(groups, key=lambda n: (len(n.children), -len(n.path)))
            return Listing(doc, biggest, tuple(biggest.children), 1.0)
    if all(t in _STRUCTURE_WORDS or t in _ITEM_WORDS or part_reference(t) or not weight(t) for t in focal) and len(top) >= 2:
        return Listing(doc, None, tuple(top), 1.0)
    return None


_HEAD_NUMBER = re.compile(r"^(?:第[\d一二三四五六七八九十百]+[章节部篇]分?|[一二三四五六七八九十]+、|[（(][\d一二三四五六七八九十]+[）)]|\d+[.．、]|专栏\s*\d+)\s*")
_GENERIC_END = re.compile(r"(?:规划|计划|方案|纲要|要点)$")


_COUNT = re.compile(r"([一二三四五六七八九十两]+|\d+)\s*[项个大条类]")


def stated_count(question: str) -> int | None:
    """How many items the question says the list has ("五项主要任务" → 5), if it says."""
    m = _COUNT.search(question)
    if not m:
        return None
    return count_value(m.group(1))


def _named_section(question: str, root: Node) -> Node | None:
    """The section a question names by its number, if the document has it."""
    m = _SECTION_REF.search(question)
    if not m:
        return None
    number, unit, box, annex = m.groups()
    if box:
        prefixes = [f"专栏{box}"]
    elif annex:
        prefixes = [f"附件{annex}"]
    else:
        n = count_value(number)
        cn = _to_cn(n) if n else number
        prefixes = [f"第{number}{unit}", f"第{cn}{unit}"]
        if unit in ("部分", "篇"):  # the work points number their parts 一、二、
            prefixes.append(f"{cn}、")
    for node in root.walk():
        heading = _norm(node.heading)
        if any(re.match(rf"{re.escape(p)}(?![\d一二三四五六七八九十])", heading) for p in prefixes):
            return node
    return None


def _to_cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def names_document(term: str, title: str) -> bool:
    """Whether a question's word names the document titled ``title`` rather than something in it
    (空间规划 of 《…生态空间建设和市容环境优化“十五五”规划》)."""
    return _in_title(term, title, _title_words(title))


@functools.lru_cache(maxsize=1024)
def _title_words(title: str) -> set[str]:
    return set(tokenize(title))


def _in_title(term: str, title: str, title_words: set[str]) -> bool:
    """Whether ``term`` names the document rather than a part of it (空间规划 of 《…生态空间建设…规划》)."""
    if term in title_words or term in title or term in short_forms(title):
        return True
    stem = _GENERIC_END.sub("", term)
    return bool(stem) and stem != term and stem in title


def _title(heading: str) -> str:
    """A heading without its number and end mark: "二、2026年工作安排" → "2026年工作安排"."""
    return _HEAD_NUMBER.sub("", _norm(heading)).rstrip("。；：:")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


# A question about a table's indicators as a set: how many, which (of an attribute).
_ASKS_ROWS = re.compile(r"指标.{0,6}(?:一共|共有|总共|几项|多少项|多少个|哪些|哪几|有什么|都有|包括|列了)|(?:一共|共有|总共|几项|多少项|哪些|哪几)[^，,。？?]{0,8}指标")
_ATTRIBUTES = ("约束性", "预期性")


@dataclass(frozen=True)
class TableListing:
    """The rows of one table that answer a question, and how many rows the table has."""

    caption: str
    rows: tuple[Chunk, ...]
    total: int
    attribute: str = ""  # what the rows were chosen by (约束性, 指标类别为生态低碳安全), or ""
    category: str = ""  # "分哪几类": the column the rows are grouped by (指标类别); ``rows`` then holds
    # the first row of each of its values, in order


def find_table_listing(
    question: str,
    terms: Sequence[str],
    weight: Callable[[str], float],
    hits: Sequence[Chunk],
    rows_of: Callable[[Chunk], list[Chunk]],
    floor: float,
) -> TableListing | None:
    """The indicator table a question about a table's indicators as a set is about, among the
    passages retrieved first, with its rows; None when the question is not about one."""
    asks_kinds = bool(_ASKS_CATEGORIES.search(question))
    if not _ASKS_ROWS.search(question) and not asks_kinds:
        return None
    if asks_kinds:
        return _table_categories(question, terms, weight, hits, rows_of, floor)
    attribute = next((a for a in _ATTRIBUTES if a in question), "")
    focal = [t for t in terms if t != "指标" and not any(t in a for a in _ATTRIBUTES) and weight(t) > 0]
    total = sum(weight(t) for t in focal)
    for chunk in hits[:5]:
        if chunk.kind not in ("table", "table_row"):
            continue
        rows = rows_of(chunk)
        if len(rows) < 2:
            continue
        where = _norm(chunk.title + "".join(chunk.section_path))
        # words the caption lacks may pick rows: a category ("生态低碳安全类有哪些指标")
        rest = [re.sub(r"(?<=..)类$", "", t) for t in focal if _norm(t) not in where]  # 安全类: the category 安全
        chosen = [r for r in rows if not attribute or attribute in r.text]
        label = attribute
        if rest:
            picked = [r for r in chosen if all(_norm(t) in _norm(r.text) for t in rest)]
            if not picked or len(picked) == len(rows):
                if total and sum(weight(t) for t in focal if _norm(t) in where) / total < floor:
                    continue
            else:
                chosen, label = picked, label or _cell_with(picked[0], rest[0])
        if chosen:
            caption = chunk.section_path[-1] if chunk.section_path else chunk.title
            return TableListing(caption, tuple(chosen), len(rows), label)
    return None


# "指标分哪几类", "有哪些类别": the values of a table's category column
_ASKS_CATEGORIES = re.compile(r"(?:分|有|包括)(?:哪几|哪些|几)(?:个)?(?:类|大类|类别|种类)|哪几类|类别有哪些|分成几类|分几类")


def _table_categories(
    question: str, terms: Sequence[str], weight: Callable[[str], float], hits: Sequence[Chunk],
    rows_of: Callable[[Chunk], list[Chunk]], floor: float,
) -> TableListing | None:
    """The first row of each value of the category column (a cell "指标类别：…", "类型：…") of the
    table a question about its kinds is about."""
    focal = [t for t in terms if t not in ("指标", "类别", "分类") and weight(t) > 0]
    total = sum(weight(t) for t in focal)
    for chunk in hits[:5]:
        if chunk.kind not in ("table", "table_row"):
            continue
        rows = rows_of(chunk)
        where = _norm(chunk.title + "".join(chunk.section_path))
        if len(rows) < 2 or total and sum(weight(t) for t in focal if _norm(t) in where) / total < floor:
            continue
        columns: dict[str, dict[str, Chunk]] = {}
        for row in rows:
            for key, value in row.row_cells():
                if "类" in key and value and value not in _ATTRIBUTES:  # not 约束性 / 预期性
                    columns.setdefault(key, {}).setdefault(value, row)
        if columns:
            column, firsts = max(columns.items(), key=lambda c: len(c[1]))
            if len(firsts) >= 2:
                caption = chunk.section_path[-1] if chunk.section_path else chunk.title
                return TableListing(caption, tuple(firsts.values()), len(rows), category=column)
    return None


def _cell_with(row: Chunk, term: str) -> str:
    """The cell of a row (指标类别 / 生态低碳安全) that holds ``term``, as "指标类别为生态低碳安全"."""
    for key, value in row.row_cells():
        if _norm(term) in _norm(key + value):
            return f"{key}为{value}"
    return term
