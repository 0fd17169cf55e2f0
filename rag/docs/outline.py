"""The outline of a cleaned document: its headings and the section tree.

The outline is read from the paragraph starts of a cleaned document:

    第X章 > 第X节 > 一、 > （一） > 1. / 1． > 专栏N > 01 (only inside a 专栏)

Documents use different subsets in different orders (the work points go
一、 > （一）, the Shulan plan 一、 > （一） > 1. > 专栏N), so levels are not
fixed: a heading kind already open on the stack closes everything below it
and becomes a sibling; a new kind nests under the current heading.

A standard numbered 1 / 5.1 / 5.1.2 / 附录A throughout (:mod:`rag.docs.clauses`) has those
clauses as headings, each nested by its number.

A heading is either a line of its own ("第一节 总体思路") or run-in, the
first sentence of its paragraph ("（三）强化政治建设。把党的政治建设…"),
whose section title is that first sentence.

A heading line broken over two lines is one heading (:func:`continues`): one that stops at a
comma or 顿号 ("第十二篇 坚持公共服务优质共享，深入建设" / "…"), and a 篇 / 章 / 节 title set
on two lines ("第一篇 锚定发展目标" / "奋力谱写中国式现代化的北京篇章"), whose second line is a
short phrase without punctuation followed by the text (not a table: that phrase is a caption;
not a line that opens with a comma: that phrase began a sentence).

An 印发通知 in front of the plan ("关于印发《X》的通知 … 特此通知。 issuer date", see
:func:`rag.docs.heads.find_notice`) is one section of its own, kind ``notice`` and heading
"印发通知", before the plan's title: nothing in it is read as a heading of the plan.
"""

from __future__ import annotations

import re

from rag.docs.clauses import Clause, find_clauses
from rag.docs.heads import NOTICE_HEADING, NOTICE_LIMIT, find_notice
from rag.models import Block, Document, Section

_CN = "一二三四五六七八九十百零〇"
HEADING_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("part", re.compile(rf"^第[{_CN}\d]+[部篇](?:分)?(?![分门])")),  # 第一部分, 第二篇
    ("annex", re.compile(r"^附\s*[件表录](?:\s*[\d一二三四五六七八九十]+)?\s*[：:]?\s*$|^附\s*[件表录]\s*[\d一二三四五六七八九十]+")),
    ("chapter", re.compile(rf"^第[{_CN}\d]+章")),
    ("section", re.compile(rf"^第[{_CN}\d]+节")),
    ("cn", re.compile(rf"^[{_CN}]+、")),
    ("paren", re.compile(rf"^[（(][{_CN}]+[）)]")),
    ("item", re.compile(r"^0\d(?!\d)[.．]?")),  # numbered items inside a 专栏: 01, 02.
    ("arabic", re.compile(r"^\d{1,2}[.．、](?!\d)")),
    ("paren_arabic", re.compile(r"^[（(]\d{1,2}[）)]")),  # （1）
    ("circled", re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
    ("zhuanlan", re.compile(r"^专栏\s*\d+")),
]
# heading kinds whose title may be set on two lines (a list item's second line is its text)
_TWO_LINE_KINDS = ("part", "chapter", "section")
_BROKEN_AT = "，,、"  # a heading line that stops here goes on on the next line
_PHRASE_BREAK = re.compile(r"[。！？；：，,;:!?…\t]")
_SENTENCE_BREAK = re.compile(r"[。！？；!?;…\t]")
_OPENS_MID_SENTENCE = re.compile(r"^[，,、。；;：:）)”]")
MIN_SECOND_LINE = 4  # "前言" after a table of contents' last 节 is no second line
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])(?![”’」）)])|(?<=[。！？][”’」])")
_RUN_IN_END = re.compile(r"[。；：！？!?;:]")
MAX_TITLE = 40


def heading_kind(text: str) -> str | None:
    for kind, pattern in HEADING_PATTERNS:
        if pattern.match(text):
            return kind
    return None


def heading_title(text: str) -> tuple[str, bool]:
    """(section title, run_in). A run-in heading's title is its first sentence."""
    m = _RUN_IN_END.search(text)
    if m is None or m.end() == len(text) and len(text) <= MAX_TITLE:
        return text.rstrip("。；："), False
    title = text[: m.start()]
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE] + "…"
    return title, True


def continues(kind: str, line: str, nxt: str | None, after: str | None) -> bool:
    """Whether paragraph ``nxt`` is the rest of the heading ``line`` of ``kind``, broken onto the
    next line (``after``: the paragraph after ``nxt``, None when a table or nothing follows).

    A line that stops at a comma or 顿号 goes on on the next, when that is no heading and no
    sentence. A 篇 / 章 / 节 title may be set on two lines: the second is a phrase of at least
    :data:`MIN_SECOND_LINE` characters without punctuation, the two fit in :data:`MAX_TITLE`,
    and text follows that does not open with a comma (else the phrase began a sentence).
    A table of contents' line (…… page) goes on nowhere.
    """
    if nxt is None or heading_kind(nxt) or "…" in line:
        return False
    if line[-1:] in _BROKEN_AT:
        return len(line) + len(nxt) <= MAX_TITLE * 2 and not _SENTENCE_BREAK.search(nxt)
    return (
        kind in _TWO_LINE_KINDS
        and MIN_SECOND_LINE <= len(nxt)
        and len(line) + len(nxt) <= MAX_TITLE
        and not _PHRASE_BREAK.search(nxt)
        and after is not None
        and not _OPENS_MID_SENTENCE.match(after)
    )


# a contents line's tail: the leader dots and the page number ("……… 14", "…… — 3 —")
_CONTENTS_TAIL = re.compile(r"\s*(?:…|\.{3,}|·{3,})[…\.·\s]*[—–\-]?\s*\d{0,4}\s*[—–\-]?\s*$")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def second_lines(paras: list[str | None]) -> set[int]:
    """The headings (by paragraph index) whose title goes on in the next paragraph, decided on the
    evidence of the whole document, not of one line:

    - where the document's contents list headings of that kind, a heading goes on exactly when it and
      the next line together are a contents entry and it alone is not;
    - otherwise a heading that stops at a comma or 顿号 goes on (:func:`continues`); and a 篇 / 章 / 节
      title is set on two lines only where most headings of its kind in the document are: one phrase
      after one heading among many is the first words of its text (a sentence a footnote number cut,
      an annex's 名词解释), not a layout.
    """
    contents: dict[str, set[str]] = {}
    for text in paras:
        if text and "…" in text and (kind := heading_kind(text)):
            contents.setdefault(kind, set()).add(_squash(_CONTENTS_TAIL.sub("", text)))
    heads: dict[str, list[int]] = {}
    for i, text in enumerate(paras):
        if text and "…" not in text and (kind := heading_kind(text)) and not heading_title(text)[1]:
            heads.setdefault(kind, []).append(i)
    out: set[int] = set()
    def local(kind: str, i: int) -> bool:
        return continues(kind, paras[i] or "", paras[i + 1] if i + 1 < len(paras) else None,
                         paras[i + 2] if i + 2 < len(paras) else None)  # fmt: skip

    for kind, found in heads.items():
        if kind in contents:
            entries = contents[kind]
            for i in found:
                nxt = paras[i + 1] if i + 1 < len(paras) else None
                whole = _squash((paras[i] or "") + (nxt or ""))
                if nxt and not heading_kind(nxt) and _squash(paras[i] or "") not in entries and whole in entries:
                    out.add(i)
            continue
        broken = {i for i in found if (paras[i] or "")[-1:] in _BROKEN_AT and local(kind, i)}
        phrased = {i for i in found if i not in broken and local(kind, i)}
        out |= broken
        if len(phrased) + len(broken) >= max(2, len(found) / 2):
            out |= phrased
    return out


def parse_outline(doc: Document) -> Section:
    """The section tree of a document. The root holds what comes before any heading."""
    return outline_of(doc.text, doc.blocks)


def outline_of(text: str, blocks: list[Block]) -> Section:
    """The section tree of a cleaned text and its blocks (:func:`parse_outline`)."""
    doc_text = text
    root = Section(kind="root", heading="", level=0, start=0, end=0)
    stack: list[Section] = [root]
    notice = find_notice(
        [doc_text[b.start : b.end] if b.kind == "para" else "\t" for b in blocks[:NOTICE_LIMIT]]
    )
    clauses = find_clauses([doc_text[b.start : b.end] if b.kind == "para" else None for b in blocks])
    depths: dict[int, int] = {}  # id of an open clause section -> its clause depth

    def para(j: int) -> str | None:  # the text of paragraph j; None for a table, a clause, or past the end
        if j >= len(blocks) or blocks[j].kind != "para" or j in clauses:
            return None
        return doc_text[blocks[j].start : blocks[j].end]

    joined: set[int] = set()  # paragraphs that are the second line of the heading before them
    two_line = second_lines([para(j) for j in range(len(blocks))])
    for i, block in enumerate(blocks):
        if i in joined:
            continue
        if notice is not None and notice.start <= i < notice.end:
            if i == notice.start:
                root.children.append(
                    Section(kind="notice", heading=NOTICE_HEADING, level=1, start=block.start, end=block.start)
                )
            root.children[-1].blocks.append(block)
            continue
        if i in clauses:
            _open_clause(stack, depths, clauses[i], block)
            continue
        text = doc_text[block.start : block.end]
        kind = heading_kind(text) if block.kind == "para" else None
        if kind == "item" and not any(s.kind == "zhuanlan" for s in stack):
            kind = None  # "01" outside a 专栏 is not a heading
        if kind is None:
            stack[-1].blocks.append(block)
            continue
        title, run_in = heading_title(text)
        end = block.end
        if not run_in and i in two_line:
            title, end = (text + (para(i + 1) or "")).rstrip("。；："), blocks[i + 1].end
            joined.add(i + 1)
        open_kinds = [s.kind for s in stack]
        if kind in open_kinds:
            del stack[open_kinds.index(kind) :]
        elif kind in ("part", "annex"):
            del stack[1:]  # a part (第一部分) or an annex (附件1) starts at the top
        elif kind in ("chapter", "section"):
            # a chapter or section also closes any list levels opened inside the previous one
            while len(stack) > 1 and stack[-1].kind not in ("part", "chapter", "section"):
                stack.pop()
            if kind == "chapter":
                del stack[2 if stack[1:2] and stack[1].kind == "part" else 1 :]
        section = Section(kind=kind, heading=title, level=len(stack), start=block.start, end=end)
        if run_in:
            section.blocks.append(block)
        stack[-1].children.append(section)
        stack.append(section)
    return root


def _open_clause(stack: list[Section], depths: dict[int, int], clause: Clause, block: Block) -> None:
    """A standard's clause heading: it closes everything down to its parent clause, so 5.1.2
    nests under 5.1 and 6 under the root, whatever other headings opened in between."""
    while len(stack) > 1 and depths.get(id(stack[-1]), clause.depth) >= clause.depth:
        stack.pop()
    section = Section(kind=clause.kind, heading=clause.title, level=len(stack), start=block.start, end=block.end)
    depths[id(section)] = clause.depth
    stack[-1].children.append(section)
    stack.append(section)


def iter_sections(section: Section, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """(section, path of headings) for every section, depth first, root included."""
    yield section, path
    for child in section.children:
        yield from iter_sections(child, path + (child.heading,))


def split_sentences(text: str) -> list[str]:
    """Split at 。！？； (keeping closing quotes with their sentence)."""
    parts = [p for p in _SENTENCE_END.split(text) if p]
    return parts or [text]
