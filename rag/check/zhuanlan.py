"""专栏 (project boxes): which provincial box each county box answers, and what became of its items.

A box is a 专栏N section of the outline with its 01/02 … items (a box without items is
one item: its text). Boxes are paired by title and content: the score is the higher of the
bigram Dice of the titles without their boilerplate ending (养老服务保障及提升工程 → 养老服务)
and the share of the provincial box's text whose sentences reappear in the county box;
pairs scoring at least ``BOX_MATCH`` are matched, best first, one to one. Numbers differ
between plans (the province's 专栏3 is Shulan's 专栏2), so they are not used. On the real
pair the six corresponding boxes score 1.0 and every other pair at most 0.33 (0.47 with the
whole titles, which share endings such as 服务提升工程).

Inside a matched pair each provincial item goes to the county item that is most similar
(title Dice or text reuse ≥ ``ITEM_MATCH``): ``kept`` when the text is the same (after
NFKC, without punctuation, 全省 and 全市 read alike), ``changed`` otherwise, with the
sentences rewritten, dropped and added; ``dropped`` when no county item is similar.
County items no provincial item went to are ``added``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from rag.check.compare import Evidence, SentenceIndex, dice, passage, sentence_spans, text_key
from rag.docs.outline import iter_sections
from rag.index.tokenize import tokenize
from rag.models import Document, Section

BOX_MATCH = 0.5
ITEM_MATCH = 0.5
SENTENCE_MATCH = 0.6
QUOTE_CHARS = 60
BODY = "（专栏正文）"
RARE_SHARE = 0.05  # a word in at most this share of the provincial plan's paragraphs is specific

ItemStatus = Literal["kept", "changed", "dropped", "added"]
BoxVerdict = Literal["matched", "missing", "added"]


class ItemFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: str | None
    county: str | None
    status: ItemStatus
    changes: list[str]
    evidence: Evidence


class ZhuanlanFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")
    province: str | None  # "专栏3 养老服务保障及提升工程"
    county: str | None
    verdict: BoxVerdict
    score: float
    items: list[ItemFinding]


@dataclass
class BoxItem:
    title: str  # the heading: "01 基本兜底养老服务保障能力提升"
    start: int  # its text, after a heading on a line of its own
    end: int


@dataclass
class Box:
    name: str  # the heading: "专栏3 养老服务保障及提升工程"
    number: int | None
    start: int  # the text after the heading
    end: int
    items: list[BoxItem]
    table: bool = False  # the box holds an indicator table (专栏1 …主要指标): compared as indicators

    @property
    def title(self) -> str:
        return re.sub(r"^专栏\s*\d+\s*", "", self.name)


def _end(section: Section) -> int:
    ends = [section.end] + [b.end for b in section.blocks] + [_end(c) for c in section.children]
    return max(ends)


def boxes(root: Section) -> list[Box]:
    """Every 专栏 of an outline, in order, with its items."""
    out = []
    for section, _path in iter_sections(root):
        if section.kind != "zhuanlan":
            continue
        m = re.match(r"专栏\s*(\d+)", section.heading)
        # 01/02 items; a box numbering its projects 1. 2. has those as items
        kind = "item" if any(c.kind == "item" for c in section.children) else "arabic"
        items = [
            BoxItem(c.heading, c.start if any(b.start == c.start for b in c.blocks) else c.end, _end(c))
            for c in section.children
            if c.kind == kind
        ]
        if not items and section.blocks:
            body = [b for b in section.blocks if b.start >= section.end] or section.blocks
            items = [BoxItem(BODY, body[0].start, body[-1].end)]
        table = any(b.table is not None and b.table.is_indicator for b in section.blocks)
        number = int(m.group(1)) if m else None
        out.append(Box(section.heading, number, section.end, _end(section), items, table))
    return out


def box_notes(county_root: Section, province_root: Section) -> list[str]:
    """What the summary says when a side has no 专栏 to compare, and which boxes are indicator tables."""
    p_all, c_all = boxes(province_root), boxes(county_root)
    notes = [
        f"{who}的{b.name.split()[0]}是指标表，在“主要发展指标”中对照，不作专栏比较"
        for who, found in (("省级规划", p_all), ("县级规划", c_all))
        for b in found
        if b.table
    ]
    p_boxes, c_boxes = [b for b in p_all if not b.table], [b for b in c_all if not b.table]
    if p_boxes and not c_boxes:
        notes.append(
            f"县级规划没有专栏：省级规划的 {len(p_boxes)} 个专栏都列为缺失；"
            "县级规划可能把这些项目写在正文里，请看“重点任务”的对照"
        )
    elif c_boxes and not p_boxes:
        notes.append(f"省级规划没有专栏：县级规划的 {len(c_boxes)} 个专栏都列为新增")
    elif not p_boxes and not c_boxes:
        notes.append("两份规划都没有专栏，未做专栏对照")
    return notes


def numbering_gaps(root: Section) -> list[int]:
    """专栏 numbers skipped between the first and the last (the provincial plan has no 专栏6 or 8)."""
    numbers = sorted({b.number for b in boxes(root) if b.number is not None})
    return [n for n in range(numbers[0], numbers[-1]) if n not in numbers] if numbers else []


def reuse(doc: Document, start: int, end: int, other: SentenceIndex) -> float:
    """Share of the characters of ``doc.text[start:end]`` in sentences that reappear in ``other``."""
    total = kept = 0
    for a, b in sentence_spans(doc.text[start:end], start):
        n = len(text_key(doc.text[a:b]))
        total += n
        share, _ = other.best(doc.text[a:b])
        kept += n if share >= SENTENCE_MATCH else 0
    return kept / total if total else 0.0


_ITEM_NUMBER = re.compile(r"(?m)^0\d[.．]?\s*")


def body_key(text: str) -> str:
    """``text_key`` without the item numbers (01, 02.) at line starts: numbering differs between plans."""
    return text_key(_ITEM_NUMBER.sub("", text))


def _quote(text: str) -> str:
    text = text.strip()
    return f"「{text[:QUOTE_CHARS]}…」" if len(text) > QUOTE_CHARS else f"「{text}」"


def item_changes(p_doc: Document, p: BoxItem, c_doc: Document, c_items: list[BoxItem]) -> list[str]:
    """A changed title, sentences of the provincial item rewritten or dropped, county sentences added."""
    c_index = SentenceIndex(c_doc, [(i.start, i.end) for i in c_items])
    p_index = SentenceIndex(p_doc, [(p.start, p.end)])
    changes = []
    if len(c_items) == 1 and body_key(p.title) != body_key(c_items[0].title) and c_items[0].title != BODY:
        changes.append(f"标题：省{_quote(p.title)} → 县{_quote(c_items[0].title)}")
    for a, b in sentence_spans(p_doc.text[p.start : p.end], p.start):
        sentence = p_doc.text[a:b]
        share, match = c_index.best(sentence)
        if match is None or share < SENTENCE_MATCH:
            changes.append(f"删去：{_quote(sentence)}")
        elif body_key(sentence) != body_key(c_doc.text[match.start : match.end]):
            changes.append(f"改写：省{_quote(sentence)} → 县{_quote(c_doc.text[match.start : match.end])}")
    for item in c_items:
        for a, b in sentence_spans(c_doc.text[item.start : item.end], item.start):
            share, _ = p_index.best(c_doc.text[a:b])
            if share < SENTENCE_MATCH:
                changes.append(f"新增：{_quote(c_doc.text[a:b])}")
    return changes


def _item_text(doc: Document, item: BoxItem) -> str:
    return doc.text[item.start : item.end]


def rare_words(doc: Document) -> set[str]:
    """Words (jieba) in at most ``RARE_SHARE`` of a plan's paragraphs: 殡仪馆, 公墓, not 建设."""
    paragraphs = [set(tokenize(doc.text[b.start : b.end])) for b in doc.blocks if b.kind == "para"]
    df = Counter(t for p in paragraphs for t in p)
    limit = max(1, int(RARE_SHARE * len(paragraphs)))
    return {t for t, n in df.items() if n <= limit and len(t) >= 2 and not t.isdigit()}


def shared_words(p_doc: Document, p_box: Box, pi: int, c_text: str, rare: set[str]) -> list[str]:
    """Specific words of provincial item ``pi`` (in no other item of its box) found in ``c_text``."""
    own = set(tokenize(_item_text(p_doc, p_box.items[pi])))
    others = {t for i, it in enumerate(p_box.items) if i != pi for t in tokenize(_item_text(p_doc, it))}
    return sorted((own - others) & set(tokenize(c_text)) & rare)


def compare_items(
    p_doc: Document,
    p_root: Section,
    p_box: Box,
    c_doc: Document,
    c_root: Section,
    c_box: Box,
    rare: set[str] | None = None,
) -> list[ItemFinding]:
    """Each provincial item's county counterpart, then the county items left over (see the module doc).

    A county box written as one paragraph (no items) takes every provincial item whose specific
    words (``rare``, in no other item of the box) it mentions, as ``changed``.
    """
    c_index = [SentenceIndex(c_doc, [(i.start, i.end)]) for i in c_box.items]
    chosen: dict[int, int] = {}
    notes: dict[int, list[str]] = {}
    for pi, p in enumerate(p_box.items):
        scores = [
            max(dice(p.title, c.title), reuse(p_doc, p.start, p.end, c_index[ci]))
            for ci, c in enumerate(c_box.items)
        ]
        if scores and max(scores) >= ITEM_MATCH:
            chosen[pi] = scores.index(max(scores))
        elif [c.title for c in c_box.items] == [BODY] and rare:
            words = shared_words(p_doc, p_box, pi, _item_text(c_doc, c_box.items[0]), rare)
            if words:
                chosen[pi] = 0
                notes[pi] = [f"县级专栏未分条目，正文写到本条的“{'、'.join(words)}”，内容已改写"]
    out = []
    for pi, p in enumerate(p_box.items):
        p_ev = passage(p_doc, p_root, p.start, p.end)
        if pi not in chosen:
            out.append(
                ItemFinding(
                    province=p.title,
                    county=None,
                    status="dropped",
                    changes=[],
                    evidence=Evidence(province=p_ev),
                )
            )
            continue
        c = c_box.items[chosen[pi]]
        same = body_key(_item_text(p_doc, p)) == body_key(_item_text(c_doc, c)) and body_key(
            p.title
        ) == body_key(c.title)
        out.append(
            ItemFinding(
                province=p.title,
                county=c.title,
                status="kept" if same else "changed",
                changes=[] if same else notes.get(pi) or item_changes(p_doc, p, c_doc, [c]),
                evidence=Evidence(province=p_ev, county=passage(c_doc, c_root, c.start, c.end)),
            )
        )
    for ci, c in enumerate(c_box.items):
        if ci not in chosen.values():
            ev = Evidence(county=passage(c_doc, c_root, c.start, c.end))
            out.append(ItemFinding(province=None, county=c.title, status="added", changes=[], evidence=ev))
    return out


_BOILERPLATE = re.compile(r"(提升|建设|完善|发展|保障|及|和)*(工程|工作|项目|行动|计划)$")


def title_core(title: str) -> str:
    """A box title without its boilerplate ending: 养老服务保障及提升工程 → 养老服务."""
    return _BOILERPLATE.sub("", title) or title


def box_score(p_doc: Document, p: Box, c_doc: Document, c: Box) -> float:
    """The higher of the title cores' bigram Dice and the share of the provincial box reused in the county box."""
    title = dice(title_core(p.title), title_core(c.title))
    return max(title, reuse(p_doc, p.start, p.end, SentenceIndex(c_doc, [(c.start, c.end)])))


def compare_zhuanlan(
    county: Document, province: Document, county_root: Section, province_root: Section
) -> list[ZhuanlanFinding]:
    """Provincial boxes in order (matched or ``missing``), then county boxes left over (``added``)."""
    p_boxes = [b for b in boxes(province_root) if not b.table]
    c_boxes = [b for b in boxes(county_root) if not b.table]
    rare = rare_words(province)
    scored = sorted(
        (
            (box_score(province, p, county, c), i, j)
            for i, p in enumerate(p_boxes)
            for j, c in enumerate(c_boxes)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    pairs: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for score, i, j in scored:
        if score >= BOX_MATCH and i not in pairs and j not in used:
            pairs[i] = (j, score)
            used.add(j)
    out = []
    for i, p in enumerate(p_boxes):
        if i not in pairs:
            items = [
                ItemFinding(
                    province=it.title,
                    county=None,
                    status="dropped",
                    changes=[],
                    evidence=Evidence(province=passage(province, province_root, it.start, it.end)),
                )
                for it in p.items
            ]
            out.append(
                ZhuanlanFinding(province=p.name, county=None, verdict="missing", score=0.0, items=items)
            )
            continue
        j, score = pairs[i]
        c = c_boxes[j]
        items = compare_items(province, province_root, p, county, county_root, c, rare)
        out.append(
            ZhuanlanFinding(
                province=p.name, county=c.name, verdict="matched", score=round(score, 3), items=items
            )
        )
    for j, c in enumerate(c_boxes):
        if j not in used:
            items = [
                ItemFinding(
                    province=None,
                    county=it.title,
                    status="added",
                    changes=[],
                    evidence=Evidence(county=passage(county, county_root, it.start, it.end)),
                )
                for it in c.items
            ]
            out.append(ZhuanlanFinding(province=None, county=c.name, verdict="added", score=0.0, items=items))
    return out
